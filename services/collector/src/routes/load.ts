import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LoadSecondSchema } from '@queuescope/contracts';
import { Type } from 'typebox';
import { writeLoadMetrics } from '../db/queries/load-metrics.js';
import { getRun, waitForRun, writeRun, type ClientSummary, type Run } from '../db/queries/runs.js';
import { DependencyUnavailableError, NotFoundError } from '@queuescope/service-kit';
import { ClientSummarySchema, ErrorSchema, LoadSource, RunIdParam, RunSchema } from './schemas.js';

/** The parts of k6's handleSummary `data` we read (legacy summary shape, k6 1.x and 2.x). */
interface K6SummaryData {
  metrics?: Record<string, { type?: string; values?: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
}

/** k6's end-of-test summary → our client summary: http_reqs, http_req_failed, http_req_duration trend (ms). */
export function fromK6Summary(data: K6SummaryData): ClientSummary {
  const m = data.metrics ?? {};
  const duration = m.http_req_duration?.values ?? {};
  const reqs = m.http_reqs?.values ?? {};
  const failedRate = m.http_req_failed?.values?.rate ?? 0;
  const requests = Math.round(reqs.count ?? 0);
  const thresholds: Record<string, boolean> = {};
  for (const [metric, def] of Object.entries(m)) {
    for (const [expr, result] of Object.entries(def.thresholds ?? {})) thresholds[`${metric}: ${expr}`] = result.ok;
  }
  const pick = (k: string): number | null => (typeof duration[k] === 'number' ? duration[k]! : null);
  return {
    source: 'k6',
    requests,
    accepted: null,
    errors: Math.round(requests * failedRate),
    timeouts: null,
    reqPerSec: reqs.rate ?? 0,
    p50Ms: pick('med'),
    p95Ms: pick('p(95)'),
    p99Ms: pick('p(99)'),
    maxMs: pick('max'),
    thresholds,
  };
}

/**
 * Client-side load of a run: per-second rows from the load generator (builtin engine, or k6's
 * `--out json` stream aggregated by the runner) and its end-of-run summary (engine result, or
 * k6's handleSummary payload).
 */
const load: FastifyPluginAsyncTypebox = async (app) => {
  const load = async (id: string): Promise<Run> => {
    const run = await getRun(app.db, id);
    if (!run) throw new NotFoundError(`run '${id}'`);
    return run;
  };
  const storeSummary = async (run: Run, summary: ClientSummary): Promise<Run> => {
    await writeRun(app.db, { ...run, clientSummary: summary });
    const stored = await waitForRun(app.db, run.id, (r) => JSON.stringify(r.clientSummary) === JSON.stringify(summary));
    if (!stored) throw new DependencyUnavailableError('questdb', 'the client summary did not become visible in time');
    return stored;
  };

  app.post(
    '/api/v1/runs/:id/load-metrics',
    {
      schema: {
        tags: ['load'],
        summary: 'Store per-second client-side load metrics of a run (one transaction)',
        params: Type.Object({ id: RunIdParam }),
        body: Type.Object(
          { source: LoadSource, seconds: Type.Array(LoadSecondSchema, { minItems: 1, maxItems: 3600 }) },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ stored: Type.Integer() }), 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      await load(request.params.id);
      try {
        await writeLoadMetrics(app.config.questdb.ilpConf, request.params.id, request.body.source, request.body.seconds);
      } catch (err) {
        throw new DependencyUnavailableError('questdb', err instanceof Error ? err.message : String(err));
      }
      return reply.code(202).send({ stored: request.body.seconds.length });
    },
  );

  app.post(
    '/api/v1/runs/:id/client-summary',
    {
      schema: {
        tags: ['load'],
        summary: "Store the load generator's end-of-run numbers",
        params: Type.Object({ id: RunIdParam }),
        body: ClientSummarySchema,
        response: { 200: RunSchema, 404: ErrorSchema },
      },
    },
    async (request) => storeSummary(await load(request.params.id), request.body as ClientSummary),
  );

  app.post(
    '/api/v1/runs/:id/k6-summary',
    {
      bodyLimit: 10 * 1024 * 1024,
      schema: {
        tags: ['load'],
        summary: "Store k6's handleSummary data for a run",
        params: Type.Object({ id: RunIdParam }),
        body: Type.Object({
          runId: Type.Optional(Type.String()),
          summary: Type.Object({ metrics: Type.Record(Type.String(), Type.Unknown()) }),
        }),
        response: { 200: RunSchema, 404: ErrorSchema },
      },
    },
    async (request) => storeSummary(await load(request.params.id), fromK6Summary(request.body.summary as K6SummaryData)),
  );
};
export default load;
