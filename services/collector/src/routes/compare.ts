import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorSchema, RUN_ID_PATTERN, RunComparisonSchema } from '@queuescope/contracts';
import { compareRuns, DEFAULT_COMPARE_OPTIONS } from '../analytics/compare.js';
import { requireRun } from '../db/queries/runs.js';

const CompareQuery = Type.Object({
  a: Type.String({ pattern: RUN_ID_PATTERN, description: 'run id of the baseline' }),
  b: Type.String({ pattern: RUN_ID_PATTERN, description: 'run id compared against the baseline (may equal a)' }),
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

/** Compare two runs side by side: per queue and metric, a, b, delta and a better/worse/unchanged verdict. */
const compare: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/compare',
    {
      schema: {
        tags: ['compare'],
        summary: 'Compare two runs per queue and metric',
        description:
          'Verdicts follow the rule returned in `rule` (order-statistic confidence intervals for percentiles, z-test for rates, minimum effect). ' +
          'At most COLLECTOR_MAX_QUEUES_PER_REQUEST queues are compared, those with the most accepted jobs over both runs; `truncatedQueues` counts the rest.',
        querystring: CompareQuery,
        response: { 200: RunComparisonSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const { a, b, minEffectPct, minSamples } = request.query;
      const runA = await requireRun(app.db, a, 'a');
      const runB = a === b ? runA : await requireRun(app.db, b, 'b');
      return compareRuns(app.db, app.config, runA, runB, { minEffectPct, minSamples });
    },
  );
};
export default compare;
