import { Type, type Static } from 'typebox';
import { CLOSED, Count, DateTime, Ms, Nullable, RunIdSchema, VerdictSchema } from './common.js';

/** Where a run's client-side numbers came from. */
export const LoadSourceSchema = Type.Enum(['builtin', 'k6'] as const);

/** Whole-run HTTP numbers as the load generator measured them; latencies in ms. */
export const ClientSummarySchema = Type.Object(
  {
    source: LoadSourceSchema,
    requests: Count,
    accepted: Nullable(Count),
    errors: Count,
    timeouts: Nullable(Count),
    /** Requests per second over the whole run. */
    reqPerSec: Type.Number({ minimum: 0 }),
    p50Ms: Ms,
    p95Ms: Ms,
    p99Ms: Ms,
    maxMs: Ms,
    /** k6 threshold results by expression, when k6 ran. */
    thresholds: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
  },
  CLOSED,
);
export type ClientSummary = Static<typeof ClientSummarySchema>;

/** A load-test run as the API returns it. Times are ISO-8601 UTC. */
export const RunSchema = Type.Object(
  {
    id: RunIdSchema,
    name: Type.String(),
    scenario: Nullable(Type.String()),
    engine: Nullable(Type.String()),
    status: Type.Enum(['running', 'finished', 'aborted'] as const),
    /** Free-form: VUs, worker count, per-queue concurrency, … */
    config: Type.Record(Type.String(), Type.Unknown()),
    startedAt: DateTime,
    endedAt: Nullable(DateTime),
    /** The load generator's end-of-run numbers (builtin engine result or k6 summary), once posted. */
    clientSummary: Nullable(ClientSummarySchema),
  },
  CLOSED,
);
export type Run = Static<typeof RunSchema>;

/** One queue of a run in the runs list: its accepted jobs and SLO verdict (as in the run's summary). */
export const RunQueueVerdictSchema = Type.Object({ queue: Type.String(), jobs: Count, verdict: VerdictSchema }, CLOSED);
export type RunQueueVerdict = Static<typeof RunQueueVerdictSchema>;

/** `GET /api/v1/runs` item: the run, its accepted jobs over all queues, its worst verdict and each queue's (by name). */
export const RunListItemSchema = Type.Object(
  {
    ...RunSchema.properties,
    jobs: Count,
    verdict: VerdictSchema,
    queues: Type.Array(RunQueueVerdictSchema),
  },
  CLOSED,
);
export type RunListItem = Static<typeof RunListItemSchema>;

/** `GET /api/v1/runs`: newest first. */
export const RunPageSchema = Type.Object(
  { runs: Type.Array(RunListItemSchema), total: Count, limit: Type.Integer(), offset: Type.Integer() },
  CLOSED,
);
export type RunPage = Static<typeof RunPageSchema>;
