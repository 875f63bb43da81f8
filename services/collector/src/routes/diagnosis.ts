import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { diagnose } from '../analytics/diagnosis.js';
import { getRun } from '../db/queries/runs.js';
import { NotFoundError } from '@queuescope/service-kit';
import { ErrorSchema, RunIdParam } from './schemas.js';

const Num = Type.Union([Type.Number(), Type.Null()]);
const Finding = Type.Object({
  cause: Type.Enum(['waiting', 'running', 'retrying', 'stalling'] as const),
  because: Type.Array(Type.String(), { description: 'the conditions that raised this cause' }),
  evidence: Type.Record(Type.String(), Type.Unknown(), { description: 'the SQL numbers behind the cause' }),
  recommendation: Type.Record(Type.String(), Type.Unknown(), {
    description: '`text`, plus the numbers it states (e.g. `concurrency`, `drainSeconds`)',
  }),
});

const DiagnosisResponse = Type.Object({
  run: Type.Unknown({ description: 'the run (as GET /runs/:id)' }),
  verdict: Type.String(),
  rule: Type.String({ description: 'how queues are ranked and causes chosen' }),
  queues: Type.Array(
    Type.Object({
      rank: Type.Integer(),
      queue: Type.String(),
      healthy: Type.Boolean(),
      verdict: Type.String(),
      severity: Num,
      worstCheck: Type.Union([Type.String(), Type.Null()]),
      checks: Type.Array(
        Type.Object({ metric: Type.String(), target: Type.Number(), actual: Num, pass: Type.Union([Type.Boolean(), Type.Null()]) }),
      ),
      capacity: Type.Object({
        arrivalRate: Num,
        arrivalSource: Type.Union([Type.String(), Type.Null()]),
        runArrivalRate: Num,
        meanRunMs: Num,
        workers: Num,
        workersSource: Type.Union([Type.String(), Type.Null()]),
        perProcessConcurrency: Num,
        perProcessSource: Type.Union([Type.String(), Type.Null()]),
        concurrency: Num,
        utilisation: Num,
        throughput: Num,
        serviceRate: Num,
        backlogAtStart: Num,
        backlogAtStartAt: Type.Union([Type.String(), Type.Null()]),
        backlogAtStartWaitSeconds: Num,
        backlogAtStartDrainSeconds: Num,
      }),
      cause: Type.Union([Finding, Type.Null()]),
      secondary: Type.Array(Finding),
    }),
  ),
});

/** Why each queue of a run misses its SLO, worst first, with the dominant cause and a recommendation. */
const diagnosis: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/runs/:id/diagnosis',
    {
      schema: {
        tags: ['diagnosis'],
        summary: 'Diagnose a run: queues ranked by SLO miss, cause, evidence, recommendation',
        params: Type.Object({ id: RunIdParam }),
        response: { 200: DiagnosisResponse, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const run = await getRun(app.db, request.params.id);
      if (!run) throw new NotFoundError(`run '${request.params.id}'`);
      return diagnose(app.db, app.config, run);
    },
  );
};
export default diagnosis;
