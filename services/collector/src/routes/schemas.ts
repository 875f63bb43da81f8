import { Type } from 'typebox';

/** Run ids are generated (UUIDv7) or chosen by k6 users; the same alphabet as the X-Run-Id header. */
export const RunIdParam = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$', description: 'run id' });

export const Count = Type.Integer({ minimum: 0 });
/** A duration in ms, or null when there was nothing to measure. */
export const Ms = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);
export const LoadSource = Type.Enum(['builtin', 'k6'] as const);

/** Whole-run HTTP numbers from the load generator (db/queries/runs.ts ClientSummary). */
export const ClientSummarySchema = Type.Object(
  {
    source: LoadSource,
    requests: Count,
    accepted: Type.Union([Count, Type.Null()]),
    errors: Count,
    timeouts: Type.Union([Count, Type.Null()]),
    reqPerSec: Type.Number({ minimum: 0 }),
    p50Ms: Ms,
    p95Ms: Ms,
    p99Ms: Ms,
    maxMs: Ms,
    thresholds: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
  },
  { additionalProperties: false },
);

export const RunSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    scenario: Type.Union([Type.String(), Type.Null()]),
    engine: Type.Union([Type.String(), Type.Null()]),
    status: Type.Enum(['running', 'finished', 'aborted'] as const),
    config: Type.Record(Type.String(), Type.Unknown()),
    startedAt: Type.String({ format: 'date-time' }),
    endedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    clientSummary: Type.Union([ClientSummarySchema, Type.Null()]),
  },
  { $id: 'Run' },
);

export const ErrorSchema = Type.Object({ statusCode: Type.Integer(), code: Type.String(), message: Type.String() });
