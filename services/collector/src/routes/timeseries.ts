import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  ErrorSchema,
  MAX_BUCKETS,
  RunIdSchema,
  TIMESERIES_METRICS,
  TIMESERIES_STEPS,
  TIMESERIES_STEP_NAMES,
  TimeseriesSchema,
  autoStep,
  bucketCount,
  type TimeseriesMetric,
  type TimeseriesStep,
} from '@queuescope/contracts';
import { Type } from 'typebox';
import { requireRun } from '../db/queries/runs.js';
import {
  depth,
  failures,
  latency,
  load,
  redis,
  retries,
  throughput,
  wait,
  type SeriesQuery,
  type TimeSeries,
} from '../db/queries/timeseries.js';
import { HttpError } from '@queuescope/service-kit';
import { redisStatsName } from '../samplers/redis-info.js';

/** Longest window of `GET /api/v1/timeseries`, ms. */
const MAX_WINDOW_MS = 24 * 3600 * 1000;

/** ISO 8601 date-time with a zone (`Z` or `±hh:mm`), so no server time zone is ever guessed. */
const ISO_DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$';

const Metric = Type.Enum(TIMESERIES_METRICS, {
  description:
    'throughput: finished jobs/s per queue (`<queue>.rate`); latency: end-to-end ms (`<queue>.p50|p95|p99`); ' +
    'wait: first-attempt message delay ms (`<queue>.p50|p95|p99`); retries: retried attempts/s (`<queue>.rate`); ' +
    'failures: failed jobs/s (`<queue>.rate`); depth: max sampled jobs per state (`<queue>.waiting|active|delayed|failed`); ' +
    'redis: `redis.ops_per_sec` (mean), `redis.used_memory_bytes` (max), `redis.connected_clients` (max), `redis.ping_ms` (mean), `redis.ping_ms_max`',
});
const Step = Type.Enum([...TIMESERIES_STEP_NAMES, 'auto'] as const, {
  default: '1s',
  description: `bucket width; buckets are aligned to the UTC calendar. auto: the finest width giving at most ${MAX_BUCKETS} buckets for the window (the response's \`step\` says which)`,
});
const DateTime = (what: string) =>
  Type.String({ pattern: ISO_DATE_TIME, description: `${what}, ISO 8601 date-time with zone, e.g. 2026-01-05T10:00:00Z` });

/** 400 whose message names the offending query parameter, like the schema's own 400s. */
function badParameter(name: string, problem: string): HttpError {
  return new HttpError(400, 'INVALID_PARAMETER', `querystring/${name} ${problem}`);
}

/** The step to use: `auto` picked for the window, else the one asked for; refuses more than MAX_BUCKETS buckets. */
function stepFor(from: Date, to: Date, asked: TimeseriesStep | 'auto'): TimeseriesStep {
  const step = asked === 'auto' ? autoStep(from, to) : asked;
  const n = bucketCount(from, to, TIMESERIES_STEPS[step]);
  if (n > MAX_BUCKETS)
    throw badParameter(
      'step',
      `'${step}' gives ${n} buckets for this window; at most ${MAX_BUCKETS} (choose a larger step or a shorter window)`,
    );
  return step;
}

function seriesFor(app: FastifyInstance, metric: TimeseriesMetric, q: SeriesQuery): Promise<TimeSeries> {
  switch (metric) {
    case 'throughput':
      return throughput(app.db, q);
    case 'latency':
      return latency(app.db, q);
    case 'wait':
      return wait(app.db, q);
    case 'retries':
      return retries(app.db, q);
    case 'failures':
      return failures(app.db, q);
    case 'depth':
      return depth(app.db, { ...q, namespace: app.config.namespace });
    case 'redis':
      return redis(app.db, { ...q, redis: redisStatsName(app.config) });
    case 'load':
      return load(app.db, q);
  }
}

/**
 * Time series, bucketed by SQL (db/queries/timeseries.ts), as columnar JSON for uPlot (STYLE R14):
 * of one run (its events, between its start and its end or now) or of any window up to 24 h.
 * `depth` and `redis` come from the per-second samplers of this collector's namespace and Redis.
 */
const timeseries: FastifyPluginAsyncTypebox = async (app) => {
  // One statement per queue: a window with more queues answers the busiest and counts the rest in `truncatedQueues`.
  const { maxQueuesPerRequest: maxQueues } = app.config.collector.limits;
  app.get(
    '/api/v1/runs/:id/timeseries',
    {
      schema: {
        tags: ['timeseries'],
        summary: 'Time series of one run',
        description:
          "Window: the run's start until its end (or now while it runs). job_events metrics count only this run's events. " +
          'Per-queue metrics read at most COLLECTOR_MAX_QUEUES_PER_REQUEST queues, the busiest; `truncatedQueues` counts the rest.',
        params: Type.Object({ id: RunIdSchema }),
        querystring: Type.Object({ metric: Metric, step: Step }),
        response: { 200: TimeseriesSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const { metric } = request.query;
      const run = await requireRun(app.db, request.params.id);
      const from = new Date(run.startedAt);
      const to = new Date(Math.max(from.getTime(), run.endedAt ? Date.parse(run.endedAt) : Date.now()));
      const step = stepFor(from, to, request.query.step);
      const result = await seriesFor(app, metric, { runId: run.id, from, to, stepSeconds: TIMESERIES_STEPS[step], maxQueues });
      return { metric, step, from: from.toISOString(), to: to.toISOString(), ...result };
    },
  );

  app.get(
    '/api/v1/timeseries',
    {
      schema: {
        tags: ['timeseries'],
        summary: 'Time series of any window (all runs)',
        description: `Window [from, to), at most 24 h and ${MAX_BUCKETS} buckets. Per-queue metrics read at most COLLECTOR_MAX_QUEUES_PER_REQUEST queues, the busiest; \`truncatedQueues\` counts the rest.`,
        querystring: Type.Object({ metric: Metric, step: Step, from: DateTime('start (inclusive)'), to: DateTime('end (exclusive)') }),
        response: { 200: TimeseriesSchema, 400: ErrorSchema },
      },
    },
    async (request) => {
      const { metric } = request.query;
      const from = new Date(request.query.from);
      const to = new Date(request.query.to);
      if (Number.isNaN(from.getTime())) throw badParameter('from', 'is not a valid date-time');
      if (Number.isNaN(to.getTime())) throw badParameter('to', 'is not a valid date-time');
      if (to.getTime() <= from.getTime()) throw badParameter('to', 'must be after from');
      if (to.getTime() - from.getTime() > MAX_WINDOW_MS) throw badParameter('to', 'must be at most 24 h after from');
      const step = stepFor(from, to, request.query.step);
      const result = await seriesFor(app, metric, { from, to, stepSeconds: TIMESERIES_STEPS[step], maxQueues });
      return { metric, step, from: from.toISOString(), to: to.toISOString(), ...result };
    },
  );
};
export default timeseries;
