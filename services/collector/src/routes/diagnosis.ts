import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorSchema, RunDiagnosisSchema, RunIdSchema } from '@queuescope/contracts';
import { Type } from 'typebox';
import { diagnose } from '../analytics/diagnosis.js';
import { requireRun } from '../db/queries/runs.js';

/** Why each queue of a run misses its SLO, worst first, with the dominant cause and a recommendation. */
const diagnosis: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/runs/:id/diagnosis',
    {
      schema: {
        tags: ['diagnosis'],
        summary: 'Diagnose a run: queues ranked by SLO miss, cause, evidence, recommendation; with the run summary',
        params: Type.Object({ id: RunIdSchema }),
        response: { 200: RunDiagnosisSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const run = await requireRun(app.db, request.params.id);
      return diagnose(app.db, app.config, run);
    },
  );
};
export default diagnosis;
