import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { COMPARE_METRICS, compareRuns, DEFAULT_COMPARE_OPTIONS } from '../analytics/compare.js';
import { getRun, type Run } from '../db/queries/runs.js';
import { HttpError } from '@queuescope/service-kit';
import { ErrorSchema, RunIdParam, RunSchema } from './schemas.js';

const CompareQuery = Type.Object({
  a: Type.String({ ...RunIdParam, description: 'run id of the baseline' }),
  b: Type.String({ ...RunIdParam, description: 'run id compared against the baseline (may equal a)' }),
  minEffectPct: Type.Number({
    minimum: 0,
    maximum: 1000,
    default: DEFAULT_COMPARE_OPTIONS.minEffectPct,
    description: 'smallest |deltaPct| that counts as a change, percent',
  }),
  minSamples: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: DEFAULT_COMPARE_OPTIONS.minSamples,
    description: 'fewest values per run before a percentile change can be significant',
  }),
});

const Num = Type.Union([Type.Number(), Type.Null()]);
const Estimate = Type.Union([
  Type.Object({ n: Type.Integer(), q: Type.Number(), qLo: Type.Number(), qHi: Type.Number(), value: Num, lo: Num, hi: Num }),
  Type.Null(),
]);
const Counts = Type.Union([Type.Object({ events: Type.Integer(), total: Type.Integer() }), Type.Null()]);

const MetricComparisonSchema = Type.Object({
  metric: Type.String(),
  lowerIsBetter: Type.Boolean(),
  a: Num,
  b: Num,
  delta: Num,
  deltaPct: Num,
  verdict: Type.Enum(['better', 'worse', 'unchanged', 'no-data'] as const),
  reason: Type.String(),
  test: Type.Union([
    Type.Object({ kind: Type.Literal('percentile'), a: Estimate, b: Estimate, overlap: Type.Union([Type.Boolean(), Type.Null()]) }),
    Type.Object({ kind: Type.Literal('proportion'), a: Counts, b: Counts, z: Num }),
    Type.Object({ kind: Type.Literal('effect') }),
  ]),
});

// RunSchema carries `$id: 'Run'`; one response may hold a schema id only once, so a and b get a copy without it.
const RunCopy = Type.Object(RunSchema.properties);

const CompareResponse = Type.Object({
  rule: Type.String({ description: 'how each verdict is decided' }),
  options: Type.Object({ minEffectPct: Type.Number(), minSamples: Type.Integer() }),
  a: Type.Object({ run: RunCopy, verdict: Type.String() }),
  b: Type.Object({ run: RunCopy, verdict: Type.String() }),
  queues: Type.Array(
    Type.Object({
      queue: Type.String(),
      a: Type.Unknown({ description: 'the queue summary in run a (as GET /runs/:id/summary), or null' }),
      b: Type.Unknown({ description: 'the queue summary in run b, or null' }),
      metrics: Type.Object(Object.fromEntries(COMPARE_METRICS.map((m) => [m, MetricComparisonSchema]))),
    }),
  ),
});

/** Compare two runs side by side: per queue and metric, a, b, delta and a better/worse/unchanged verdict. */
const compare: FastifyPluginAsyncTypebox = async (app) => {
  const load = async (param: 'a' | 'b', id: string): Promise<Run> => {
    const run = await getRun(app.db, id);
    if (!run) throw new HttpError(404, 'NOT_FOUND', `${param}: run '${id}' not found`);
    return run;
  };

  app.get(
    '/api/v1/compare',
    {
      schema: {
        tags: ['compare'],
        summary: 'Compare two runs per queue and metric',
        description:
          'Verdicts follow the rule returned in `rule` (order-statistic confidence intervals for percentiles, z-test for rates, minimum effect).',
        querystring: CompareQuery,
        response: { 200: CompareResponse, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const { a, b, minEffectPct, minSamples } = request.query;
      const runA = await load('a', a);
      const runB = a === b ? runA : await load('b', b);
      return compareRuns(app.db, app.config, runA, runB, { minEffectPct, minSamples });
    },
  );
};
export default compare;
