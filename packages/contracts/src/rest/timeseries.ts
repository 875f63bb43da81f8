import { Type, type Static } from 'typebox';
import { CLOSED } from './common.js';

/** The one step table: every `step` the timeseries API accepts and its bucket width, seconds. Each divides a day. */
export const TIMESERIES_STEPS = {
  '1s': 1,
  '2s': 2,
  '5s': 5,
  '10s': 10,
  '15s': 15,
  '30s': 30,
  '1m': 60,
  '5m': 300,
  '15m': 900,
  '1h': 3600,
} as const;
export type TimeseriesStep = keyof typeof TIMESERIES_STEPS;
/** Step names, finest first. */
export const TIMESERIES_STEP_NAMES = Object.keys(TIMESERIES_STEPS) as TimeseriesStep[];

/** Most buckets one series may have. */
export const MAX_BUCKETS = 10_000;

/** Buckets of `stepSeconds` needed to cover [from, to) when aligned to the calendar (UTC). */
export function bucketCount(from: Date, to: Date, stepSeconds: number): number {
  const stepMs = stepSeconds * 1000;
  return Math.max(0, Math.ceil(to.getTime() / stepMs) - Math.floor(from.getTime() / stepMs));
}

/** `step=auto`: the finest step of {@link TIMESERIES_STEPS} that covers [from, to) in at most {@link MAX_BUCKETS} buckets (the widest when none does). */
export function autoStep(from: Date, to: Date): TimeseriesStep {
  return TIMESERIES_STEP_NAMES.find((s) => bucketCount(from, to, TIMESERIES_STEPS[s]) <= MAX_BUCKETS) ?? TIMESERIES_STEP_NAMES.at(-1)!;
}

/** What the timeseries API can chart. */
export const TIMESERIES_METRICS = ['throughput', 'latency', 'wait', 'retries', 'failures', 'depth', 'redis', 'load'] as const;
export type TimeseriesMetric = (typeof TIMESERIES_METRICS)[number];

/**
 * `GET /api/v1/runs/:id/timeseries` and `GET /api/v1/timeseries`: columnar, bucketed by SQL (STYLE R14).
 * `series` keys are `<queue>.<stat>` (`p50|p95|p99`, `rate`, `waiting|active|delayed|failed`),
 * `redis.<stat>` or `client.<stat>`.
 */
export const TimeseriesSchema = Type.Object(
  {
    metric: Type.Enum(TIMESERIES_METRICS),
    /** The bucket width used (the one `step=auto` picked). */
    step: Type.Enum(TIMESERIES_STEP_NAMES),
    from: Type.String({ format: 'date-time', description: 'start of the window (inclusive)' }),
    to: Type.String({ format: 'date-time', description: 'end of the window (exclusive)' }),
    ts: Type.Array(Type.Number(), { description: 'bucket starts, epoch ms, contiguous at `step`' }),
    series: Type.Record(Type.String(), Type.Array(Type.Union([Type.Number(), Type.Null()])), {
      description:
        'one array per series, each as long as `ts`. Rates are 0 in a bucket without events; percentiles, depth and redis values are null in a bucket without data.',
    }),
    truncatedQueues: Type.Integer({
      minimum: 0,
      description:
        'queues of the window left out: a per-queue metric reads at most COLLECTOR_MAX_QUEUES_PER_REQUEST queues (default 32), the busiest (most events; for depth, the highest sampled depth); 0 when none was left out',
    }),
  },
  CLOSED,
);
export type TimeSeries = Static<typeof TimeseriesSchema>;
