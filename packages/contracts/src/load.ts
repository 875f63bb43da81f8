import { Type, type Static } from 'typebox';

// Explicit maxima: JSON's `1e999` parses to Infinity, which Ajv accepts as a number (even an
// integer) and the ILP line would carry; a bound refuses it with a 400 naming the field.
const Count = Type.Integer({ minimum: 0, maximum: 1e15 });
const Ms = Type.Union([Type.Number({ minimum: 0, maximum: 1e12 }), Type.Null()]);

/**
 * One second of client-side load as the load generator measured it (built-in engine, or k6's JSON
 * stream aggregated by the runner): the body items of `POST /api/v1/runs/:id/load-metrics`, one row
 * of QuestDB `load_metrics`. Latencies in ms; null when nothing was answered in the second.
 */
export const LoadSecondSchema = Type.Object(
  {
    ts: Type.Integer({ minimum: 0, maximum: 1e14, description: 'start of the second, epoch ms' }),
    vus: Count,
    requests: Count,
    accepted: Count,
    errors: Count,
    timeouts: Count,
    status4xx: Count,
    status5xx: Count,
    p50Ms: Ms,
    p95Ms: Ms,
    p99Ms: Ms,
    maxMs: Ms,
  },
  { additionalProperties: false, $id: 'LoadSecond' },
);
export type LoadSecond = Static<typeof LoadSecondSchema>;
