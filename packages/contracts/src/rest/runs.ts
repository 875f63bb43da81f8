import { Type, type Static, type TSchema } from 'typebox';
import { CLOSED, Count, DateTime, Nullable, RunIdSchema, VerdictSchema } from './common.js';

/**
 * Bounds of the JSON a client may have stored with a run (`POST /api/v1/runs` `config`, `POST
 * /api/v1/runs/:id/client-summary`): every number finite, every string, key, array and object
 * bounded, nesting bounded. Ajv accepts `1e999` (JSON.parse's Infinity) as a number and even as an
 * integer, and JSON.stringify stores it as null; an explicit `maximum` is what refuses it.
 */
export const STORED_JSON_LIMITS = {
  /** Largest |number|. */
  maxAbsNumber: 1e15,
  /** Longest string value, characters. */
  maxStringLength: 1024,
  /** Longest object key, characters. */
  maxKeyLength: 128,
  /** Most properties of one object. */
  maxProperties: 64,
  /** Most items of one array. */
  maxItems: 256,
  /** Levels of nested objects and arrays, `config` itself included: `{ stages: [{ target: 10 }] }` is 3. */
  maxDepth: 3,
} as const;

const L = STORED_JSON_LIMITS;

/** A finite number within ±{@link STORED_JSON_LIMITS.maxAbsNumber}. */
const FiniteNumber = Type.Number({ minimum: -L.maxAbsNumber, maximum: L.maxAbsNumber });
/** A finite number ≥ 0 (rates, ms). */
const FiniteNonNegative = Type.Number({ minimum: 0, maximum: L.maxAbsNumber });
/** A count ≥ 0 that is finite (ajv passes Infinity as an integer without a maximum). */
const StoredCount = Type.Integer({ minimum: 0, maximum: L.maxAbsNumber });
/** A duration in ms, or null. */
const StoredMs = Nullable(FiniteNonNegative);

/** A JSON value nested at most `depth` more levels, within {@link STORED_JSON_LIMITS}. */
function boundedJson(depth: number): TSchema {
  const leaves = [Type.String({ maxLength: L.maxStringLength }), FiniteNumber, Type.Boolean(), Type.Null()];
  if (depth === 0) return Type.Union(leaves);
  const inner = boundedJson(depth - 1);
  return Type.Union([
    ...leaves,
    Type.Array(inner, { maxItems: L.maxItems }),
    Type.Record(Type.String(), inner, { maxProperties: L.maxProperties, propertyNames: { maxLength: L.maxKeyLength } }),
  ]);
}

/**
 * A run's free-form `config` as a client may store it (VUs, stages, worker count, per-queue
 * concurrency, git commit …), within {@link STORED_JSON_LIMITS}. Checked on write (400 naming the
 * field) and again on every read: a stored value that does not match reads as null.
 */
export const RunConfigSchema = Type.Record(Type.String(), boundedJson(L.maxDepth - 1), {
  maxProperties: L.maxProperties,
  propertyNames: { maxLength: L.maxKeyLength },
  description: `free-form: VUs, worker count, per-queue concurrency, git commit …; at most ${L.maxProperties} keys per object, ${L.maxDepth} levels of nesting, strings of ${L.maxStringLength} characters, numbers within ±${L.maxAbsNumber}`,
});
export type RunConfig = Record<string, unknown>;

/** Where a run's client-side numbers came from. */
export const LoadSourceSchema = Type.Enum(['builtin', 'k6'] as const);

/**
 * Whole-run HTTP numbers as the load generator measured them; latencies in ms. Every number is
 * finite and bounded; checked on write and on every read (a stored value that does not match reads
 * as null).
 */
export const ClientSummarySchema = Type.Object(
  {
    source: LoadSourceSchema,
    requests: StoredCount,
    accepted: Nullable(StoredCount),
    errors: StoredCount,
    timeouts: Nullable(StoredCount),
    /** Requests per second over the whole run. */
    reqPerSec: FiniteNonNegative,
    p50Ms: StoredMs,
    p95Ms: StoredMs,
    p99Ms: StoredMs,
    maxMs: StoredMs,
    /** k6 threshold results by expression, when k6 ran. */
    thresholds: Type.Optional(
      Type.Record(Type.String(), Type.Boolean(), { maxProperties: L.maxProperties, propertyNames: { maxLength: L.maxStringLength } }),
    ),
  },
  CLOSED,
);
export type ClientSummary = Static<typeof ClientSummarySchema>;

/** What every view of a run shows: identity, status and times (ISO-8601 UTC). */
const RunCoreProperties = {
  id: RunIdSchema,
  name: Type.String(),
  scenario: Nullable(Type.String()),
  engine: Nullable(Type.String()),
  status: Type.Enum(['running', 'finished', 'aborted'] as const),
  startedAt: DateTime,
  endedAt: Nullable(DateTime),
};

/** A load-test run as `GET /api/v1/runs/:id` returns it. Times are ISO-8601 UTC. */
export const RunSchema = Type.Object(
  {
    ...RunCoreProperties,
    /**
     * The client's free-form config ({@link RunConfigSchema} on write); null when the stored value
     * does not parse or match (rows written before it was checked).
     */
    config: Nullable(Type.Record(Type.String(), Type.Unknown())),
    /** The load generator's end-of-run numbers (builtin engine result or k6 summary), once posted; null before, or when the stored value does not match. */
    clientSummary: Nullable(ClientSummarySchema),
  },
  CLOSED,
);
export type Run = Static<typeof RunSchema>;

/** One queue of a run in the runs list: its accepted jobs and SLO verdict (as in the run's summary). */
export const RunQueueVerdictSchema = Type.Object({ queue: Type.String(), jobs: Count, verdict: VerdictSchema }, CLOSED);
export type RunQueueVerdict = Static<typeof RunQueueVerdictSchema>;

/**
 * `GET /api/v1/runs` item: the run without its config and client summary (those are in `GET
 * /api/v1/runs/:id`, so a page of 500 runs stays small), its accepted jobs over all queues, its
 * worst verdict and each queue's (by name).
 */
export const RunListItemSchema = Type.Object(
  {
    ...RunCoreProperties,
    jobs: Count,
    verdict: VerdictSchema,
    queues: Type.Array(RunQueueVerdictSchema),
  },
  CLOSED,
);
export type RunListItem = Static<typeof RunListItemSchema>;

/** A run as the runs list reads it: everything but its stored JSON. */
export type RunHead = Omit<Run, 'config' | 'clientSummary'>;

/** `GET /api/v1/runs`: newest first. */
export const RunPageSchema = Type.Object(
  { runs: Type.Array(RunListItemSchema), total: Count, limit: Type.Integer(), offset: Type.Integer() },
  CLOSED,
);
export type RunPage = Static<typeof RunPageSchema>;
