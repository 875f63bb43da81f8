import { Type, type Static, type TSchema } from 'typebox';

/**
 * Building blocks of the REST shapes (STYLE R4): every response schema of the collector is built
 * from these, and the dashboard reads the `Static<>` types. No `$id`s: a schema may then appear
 * any number of times in one response (Fastify refuses a repeated id).
 */

/**
 * Run ids are generated (UUIDv7) or chosen by k6 users; the one rule for the `X-Run-Id` header, the
 * run routes' `:id` and a job's `data.runId`: 1 to 128 characters of `[A-Za-z0-9_.:-]`.
 */
export const RUN_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,128}$';

/** A run id (see {@link RUN_ID_PATTERN}). */
export const RunIdSchema = Type.String({ pattern: RUN_ID_PATTERN, description: 'run id' });

/** `schema` or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A count of jobs, events or requests. */
export const Count = Type.Integer({ minimum: 0 });
/** A duration in ms, or null when there was nothing to measure. */
export const Ms = Nullable(Type.Number());
/** A number, or null when it cannot be computed (no data, division by zero). */
export const Num = Nullable(Type.Number());
/** An ISO-8601 UTC date-time. */
export const DateTime = Type.String({ format: 'date-time' });

/** Objects whose every property is listed: the serializer drops anything else, so a missing property is a schema bug. */
export const CLOSED = { additionalProperties: false } as const;

/** An SLO verdict: `no-data` when a check has no value (no finished jobs, no SLO). */
export const VERDICTS = ['pass', 'fail', 'no-data'] as const;
export const VerdictSchema = Type.Enum(VERDICTS);
export type Verdict = Static<typeof VerdictSchema>;

/** Every 4xx/5xx body (service-kit's error handler); `message` names the offending field for a 400. */
export const ErrorSchema = Type.Object({ statusCode: Type.Integer(), code: Type.String(), message: Type.String() }, CLOSED);
export type ErrorBody = Static<typeof ErrorSchema>;
