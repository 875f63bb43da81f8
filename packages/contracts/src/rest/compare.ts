import { Type, type Static } from 'typebox';
import { CLOSED, Count, Num, Nullable, VerdictSchema } from './common.js';
import { RunSchema } from './runs.js';
import { QueueSummarySchema } from './summary.js';

/** Percentile metrics of a comparison, each with a confidence interval (ms). */
export const PERCENTILE_METRICS = ['latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms', 'wait_p95_ms', 'run_p95_ms'] as const;
export type PercentileMetric = (typeof PERCENTILE_METRICS)[number];

/** Every compared metric, in response order. */
export const COMPARE_METRICS = [
  ...PERCENTILE_METRICS,
  'throughput_per_s',
  'retry_rate',
  'failure_rate',
  'stalled',
  'peak_waiting',
] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number];

export const ChangeVerdictSchema = Type.Enum(['better', 'worse', 'unchanged', 'no-data'] as const);
export type ChangeVerdict = Static<typeof ChangeVerdictSchema>;

/** A percentile of one run with its confidence interval, ms; `n` values, levels 0..1. */
export const PercentileEstimateSchema = Type.Object(
  { n: Count, q: Type.Number(), qLo: Type.Number(), qHi: Type.Number(), value: Num, lo: Num, hi: Num },
  CLOSED,
);
export type PercentileEstimate = Static<typeof PercentileEstimateSchema>;

const Proportion = Nullable(Type.Object({ events: Count, total: Count }, CLOSED));

/** The statistical test behind one metric's verdict, with its inputs. */
export const ChangeTestSchema = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('percentile'),
      a: Nullable(PercentileEstimateSchema),
      b: Nullable(PercentileEstimateSchema),
      overlap: Nullable(Type.Boolean()),
    },
    CLOSED,
  ),
  Type.Object({ kind: Type.Literal('proportion'), a: Proportion, b: Proportion, z: Num }, CLOSED),
  Type.Object({ kind: Type.Literal('effect') }, CLOSED),
]);
export type ChangeTest = Static<typeof ChangeTestSchema>;

/** One metric of one queue in runs a and b: Δ = b − a, Δ% = (b − a)/a·100 (null when a is 0 or missing). */
export const MetricComparisonSchema = Type.Object(
  {
    metric: Type.Enum(COMPARE_METRICS),
    lowerIsBetter: Type.Boolean(),
    a: Num,
    b: Num,
    delta: Num,
    deltaPct: Num,
    verdict: ChangeVerdictSchema,
    /** Why the verdict is what it is, in words (which condition held or failed). */
    reason: Type.String(),
    test: ChangeTestSchema,
  },
  CLOSED,
);
export type MetricComparison = Static<typeof MetricComparisonSchema>;

/** One queue in both runs: its summary in each (null when the run has none) and one comparison per metric. */
export const QueueComparisonSchema = Type.Object(
  {
    queue: Type.String(),
    a: Nullable(QueueSummarySchema),
    b: Nullable(QueueSummarySchema),
    metrics: Type.Object(
      Object.fromEntries(COMPARE_METRICS.map((m) => [m, MetricComparisonSchema])) as Record<CompareMetric, typeof MetricComparisonSchema>,
      CLOSED,
    ),
  },
  CLOSED,
);
export type QueueComparison = Static<typeof QueueComparisonSchema>;

/** The comparison's knobs (query parameters of `GET /api/v1/compare`). */
export const CompareOptionsSchema = Type.Object(
  {
    /** Smallest |Δ%| that counts as a change, percent. */
    minEffectPct: Type.Number(),
    /** Fewest values each run needs before a percentile change can be significant. */
    minSamples: Type.Integer(),
  },
  CLOSED,
);
export type CompareOptions = Static<typeof CompareOptionsSchema>;

const Side = Type.Object({ run: RunSchema, verdict: VerdictSchema }, CLOSED);

/** `GET /api/v1/compare`: run b against run a, per queue (sorted by name) and metric. */
export const RunComparisonSchema = Type.Object(
  {
    /** How each verdict is decided, in words. */
    rule: Type.String(),
    options: CompareOptionsSchema,
    a: Side,
    b: Side,
    queues: Type.Array(QueueComparisonSchema),
    /**
     * Queues of the two runs left out: each queue costs its own SQL, so at most
     * COLLECTOR_MAX_QUEUES_PER_REQUEST queues are compared, those with the most accepted jobs over both runs.
     */
    truncatedQueues: Type.Integer({
      minimum: 0,
      description:
        'queues left out: at most COLLECTOR_MAX_QUEUES_PER_REQUEST (default 32) are compared, those with the most accepted jobs over both runs; 0 when none was left out',
    }),
  },
  CLOSED,
);
export type RunComparison = Static<typeof RunComparisonSchema>;
