import { Type, type Static } from 'typebox';
import { CLOSED, Count, Ms, Num, Nullable, VerdictSchema } from './common.js';
import { RunSchema } from './runs.js';
import { RunSummarySchema, SloCheckSchema } from './summary.js';

/** Capacity of one queue in the run: arrival, service time, slots, utilisation and the backlog it started with. */
export const CapacitySchema = Type.Object(
  {
    /** λ, jobs added to the queue per second while the run added its own, every run id counted (SQL). */
    arrivalRate: Num,
    /** Where λ came from: every arrival to the queue (`queue`), or only the run's own (`run`) when none is stored. */
    arrivalSource: Nullable(Type.Enum(['queue', 'run'] as const)),
    /** The run's own jobs added per second (SQL): its share of λ. */
    runArrivalRate: Num,
    /** S, mean processing time of one attempt, ms (SQL). */
    meanRunMs: Ms,
    /** Worker processes serving the queue, and where that number came from. */
    workers: Num,
    workersSource: Nullable(Type.Enum(['run-config', 'events'] as const)),
    /** Jobs one worker process runs at once, and where that number came from. */
    perProcessConcurrency: Num,
    perProcessSource: Nullable(Type.Enum(['run-config', 'collector-config'] as const)),
    /** c = per-process concurrency × worker processes. */
    concurrency: Num,
    /** ρ = λ·(S/1000)/c; ≥ 1 means arrivals outpace the slots. */
    utilisation: Num,
    /** Jobs the queue finished per second during the run, every run id counted, else the run's own (SQL). */
    throughput: Num,
    /** μ = min(c/(S/1000), throughput), jobs/s. */
    serviceRate: Num,
    /** B₀, jobs waiting when the run started (`queue_depth`), and the time of that sample (ISO). */
    backlogAtStart: Num,
    backlogAtStartAt: Nullable(Type.String()),
    /** B₀/μ, s: how long a job that arrived with the run waited behind that backlog. */
    backlogAtStartWaitSeconds: Num,
    /** B₀/(μ − λ), s; null when μ ≤ λ (it does not drain) or unknown. */
    backlogAtStartDrainSeconds: Num,
  },
  CLOSED,
);
export type Capacity = Static<typeof CapacitySchema>;

/** One failure reason and how many attempts (retried and failed) ended with it. */
export const ErrorCountSchema = Type.Object({ error: Type.String(), count: Count }, CLOSED);
export type ErrorCount = Static<typeof ErrorCountSchema>;

/** The conditions that raised a cause, in words. */
const Because = Type.Array(Type.String(), { description: 'the conditions that raised this cause' });

const WaitingFinding = Type.Object(
  {
    cause: Type.Literal('waiting'),
    because: Because,
    evidence: Type.Object(
      {
        arrivalRate: Num,
        runArrivalRate: Num,
        meanRunMs: Ms,
        concurrency: Num,
        utilisation: Num,
        waitP95Ms: Ms,
        runP95Ms: Ms,
        peakWaiting: Num,
        backlogAtStart: Num,
        backlogAtStartWaitSeconds: Num,
        backlogAtStartDrainSeconds: Num,
      },
      CLOSED,
    ),
    recommendation: Type.Object(
      {
        text: Type.String(),
        /** c*, total slots across all worker processes; never below the current c when the queue is saturated or holds a backlog. */
        concurrency: Num,
        /** Whether c* was raised to the current c (Little's law alone asked for fewer slots). */
        atLeastCurrent: Type.Boolean(),
        perProcessConcurrency: Num,
        workers: Num,
        /** Jobs waiting: the latest `queue_depth` sample of the run, else the peak. */
        backlog: Num,
        backlogSource: Nullable(Type.Enum(['queue_depth', 'peak'] as const)),
        /** Completions per second: min(c/(S/1000), measured throughput). */
        serviceRate: Num,
        /** Whether the service rate exceeds the arrival rate. */
        drains: Nullable(Type.Boolean()),
        /** backlog / (service rate − λ), s; null when it does not drain or is unknown. */
        drainSeconds: Num,
      },
      CLOSED,
    ),
  },
  CLOSED,
);

const RunningFinding = Type.Object(
  {
    cause: Type.Literal('running'),
    because: Because,
    evidence: Type.Object({ runP50Ms: Ms, runP95Ms: Ms, waitP95Ms: Ms, latencyP95Ms: Ms, sloP95Ms: Ms }, CLOSED),
    recommendation: Type.Object(
      {
        text: Type.String(),
        /** Run p95 that would keep latency p95 under the SLO (SLO p95 − wait p95), ms. */
        targetRunP95Ms: Ms,
      },
      CLOSED,
    ),
  },
  CLOSED,
);

const RetryingFinding = Type.Object(
  {
    cause: Type.Literal('retrying'),
    because: Because,
    evidence: Type.Object(
      { retries: Count, retryRate: Num, failed: Count, failureRate: Num, sloErrorRate: Num, topErrors: Type.Array(ErrorCountSchema) },
      CLOSED,
    ),
    recommendation: Type.Object({ text: Type.String() }, CLOSED),
  },
  CLOSED,
);

const StallingFinding = Type.Object(
  {
    cause: Type.Literal('stalling'),
    because: Because,
    evidence: Type.Object({ stalled: Count, attempts: Count, lockDurationMs: Type.Number() }, CLOSED),
    recommendation: Type.Object({ text: Type.String() }, CLOSED),
  },
  CLOSED,
);

/** One cause of a queue's SLO miss: the conditions that raised it, the SQL numbers behind it, and what to change. */
export const FindingSchema = Type.Union([WaitingFinding, RunningFinding, RetryingFinding, StallingFinding]);
export type Finding = Static<typeof FindingSchema>;
export type Cause = Finding['cause'];

/** One queue of a diagnosis. */
export const QueueDiagnosisSchema = Type.Object(
  {
    /** 1 = the queue that misses its SLO worst. */
    rank: Type.Integer({ minimum: 1 }),
    queue: Type.String(),
    healthy: Type.Boolean(),
    verdict: VerdictSchema,
    /** max of actual/target over the SLO checks (≥ 1 fails); null without any value. */
    severity: Num,
    worstCheck: Nullable(SloCheckSchema.properties.metric),
    checks: Type.Array(SloCheckSchema),
    capacity: CapacitySchema,
    cause: Nullable(FindingSchema),
    secondary: Type.Array(FindingSchema),
  },
  CLOSED,
);
export type QueueDiagnosis = Static<typeof QueueDiagnosisSchema>;

/** `GET /api/v1/runs/:id/diagnosis`: queues worst first, and the run's summary they were judged on (one request for the run page). */
export const RunDiagnosisSchema = Type.Object(
  {
    run: RunSchema,
    verdict: VerdictSchema,
    /** How queues are ranked and causes chosen, in words. */
    rule: Type.String(),
    queues: Type.Array(QueueDiagnosisSchema),
    /** The summary the diagnosis read (as `GET /api/v1/runs/:id/summary`). */
    summary: RunSummarySchema,
  },
  CLOSED,
);
export type RunDiagnosis = Static<typeof RunDiagnosisSchema>;
