import { Type, type Static } from 'typebox';
import { CLOSED, Count, DateTime, Ms, Num, Nullable, VerdictSchema } from './common.js';
import { ClientSummarySchema, RunSchema } from './runs.js';

/** Percentiles of one duration, ms; null when the run has no such value. */
export const PercentilesSchema = Type.Object({ p50: Ms, p95: Ms, p99: Ms, max: Ms }, CLOSED);
export type Percentiles = Static<typeof PercentilesSchema>;

/** Everything the summary says about one queue of one run, computed by SQL from the per-second views. */
export const QueueStatsSchema = Type.Object(
  {
    queue: Type.String(),
    /** Accepted jobs (`added` events). */
    jobs: Count,
    completed: Count,
    failed: Count,
    /** Attempts started (`active` events). */
    attempts: Count,
    retries: Count,
    jobsRetried: Count,
    stalled: Count,
    /** Finished jobs (completed + failed) per second over the run's events of this queue. */
    throughput: Num,
    /** Accepted jobs per second between the first and the last `added`. */
    arrivalRate: Num,
    /** Mean processing time of one attempt, ms. */
    meanRunMs: Ms,
    /** End to end, finished − enqueued, ms (`completed` and `failed`). */
    latency: PercentilesSchema,
    /** Message delay of first attempts, started − enqueued, ms. */
    wait: PercentilesSchema,
    /** Processing time per attempt, ms (terminal events). */
    run: PercentilesSchema,
    /** Share of retries per started attempt, 0..1. */
    retryRate: Num,
    /** Share of finished jobs that failed for good, 0..1. */
    failureRate: Num,
    firstEventAt: Nullable(DateTime),
    lastEventAt: Nullable(DateTime),
  },
  CLOSED,
);
export type QueueStats = Static<typeof QueueStatsSchema>;

/** Client-side totals of a run from `load_metrics`: counts, peak VUs, mean req/s over the seconds with load, worst-second p95/p99 (ms). */
export const LoadTotalsSchema = Type.Object(
  {
    source: Type.String(),
    seconds: Count,
    requests: Count,
    accepted: Count,
    errors: Count,
    timeouts: Count,
    peakVus: Count,
    reqPerSec: Num,
    worstSecondP95Ms: Ms,
    worstSecondP99Ms: Ms,
  },
  CLOSED,
);
export type LoadTotals = Static<typeof LoadTotalsSchema>;

/** A queue's SLO: latency p95/p99 below these (ms), failed share below `maxErrorRate` (0..1). */
export const SloTargetSchema = Type.Object({ p95Ms: Type.Number(), p99Ms: Type.Number(), maxErrorRate: Type.Number() }, CLOSED);

/** One SLO check: `actual` must stay below `target`; `pass` null without a value. */
export const SloCheckSchema = Type.Object(
  {
    metric: Type.Enum(['latency_p95_ms', 'latency_p99_ms', 'error_rate'] as const),
    target: Type.Number(),
    actual: Num,
    pass: Nullable(Type.Boolean()),
  },
  CLOSED,
);
export type SloCheck = Static<typeof SloCheckSchema>;

/** One queue of `GET /api/v1/runs/:id/summary`. */
export const QueueSummarySchema = Type.Object(
  {
    ...QueueStatsSchema.properties,
    /** Highest sampled depth during the run (counts); null before the samplers saw the queue. */
    peakDepth: Nullable(Type.Object({ waiting: Count, delayed: Count, active: Count }, CLOSED)),
    slo: Type.Object({ target: Nullable(SloTargetSchema), verdict: VerdictSchema, checks: Type.Array(SloCheckSchema) }, CLOSED),
    /**
     * Entries of this queue's events stream that BullMQ trimmed before any collector read them while
     * the run lasted (`capture_gaps`): events missing from these numbers. 0 is the normal case.
     */
    lostEvents: Count,
  },
  CLOSED,
);
export type QueueSummary = Static<typeof QueueSummarySchema>;

/** `GET /api/v1/runs/:id/summary`: per-queue SQL statistics with SLO verdicts, and the client side. */
export const RunSummarySchema = Type.Object(
  {
    run: RunSchema,
    /** The worst queue verdict. */
    verdict: VerdictSchema,
    /** Accepted jobs over all queues. */
    jobs: Count,
    /** Events lost to trimming over all queues of the run. */
    lostEvents: Count,
    queues: Type.Array(QueueSummarySchema),
    /** The client side next to the queue side: per-second totals from `load_metrics`, and the generator's own whole-run numbers. */
    client: Type.Object({ perSecond: Type.Array(LoadTotalsSchema), summary: Nullable(ClientSummarySchema) }, CLOSED),
  },
  CLOSED,
);
export type RunSummary = Static<typeof RunSummarySchema>;
