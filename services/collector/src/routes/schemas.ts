import { Type } from 'typebox';

/** Run ids are generated (UUIDv7) or chosen by k6 users; the same alphabet as the X-Run-Id header. */
export const RunIdParam = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$', description: 'run id' });

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
  },
  { $id: 'Run' },
);

export const ErrorSchema = Type.Object({ statusCode: Type.Integer(), code: Type.String(), message: Type.String() });
