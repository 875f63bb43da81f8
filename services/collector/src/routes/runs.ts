import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { v7 as uuidv7 } from 'uuid';
import { ErrorSchema, RunConfigSchema, RunIdSchema, RunPageSchema, RunSchema, RunSummarySchema, type Run } from '@queuescope/contracts';
import { runVerdicts, summarize } from '../analytics/summary.js';
import { getRun, listRuns, requireRun, waitForRun, writeRun } from '../db/queries/runs.js';
import { DependencyUnavailableError } from '@queuescope/service-kit';

const CreateRunBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scenario: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    engine: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'k6, builtin, …' })),
    id: Type.Optional(RunIdSchema),
    config: Type.Optional(RunConfigSchema),
  },
  { additionalProperties: false },
);

const FinishQuery = Type.Object({
  status: Type.Enum(['finished', 'aborted'] as const, { default: 'finished', description: 'aborted when the load test was interrupted' }),
});

/** Runs: create, finish, list, get, summary. A run's events are the `job_events` rows carrying its id. */
const runs: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Create a run',
        body: CreateRunBody,
        response: { 201: RunSchema, 400: ErrorSchema, 409: ErrorSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const run: Run = {
        id: body.id ?? uuidv7(),
        name: body.name,
        scenario: body.scenario ?? null,
        engine: body.engine ?? null,
        status: 'running',
        config: body.config ?? {},
        startedAt: new Date().toISOString(),
        endedAt: null,
        clientSummary: null,
      };
      if (body.id && (await getRun(app.db, body.id))) {
        return reply.code(409).send({ statusCode: 409, code: 'RUN_EXISTS', message: `run '${body.id}' already exists` });
      }
      await writeRun(app.db, run);
      const stored = await waitForRun(app.db, run.id, () => true);
      if (!stored) throw new DependencyUnavailableError('questdb', 'the new run did not become visible in time');
      return reply.code(201).send(stored);
    },
  );

  app.post(
    '/api/v1/runs/:id/finish',
    {
      schema: {
        tags: ['runs'],
        summary: 'Finish a run (idempotent)',
        params: Type.Object({ id: RunIdSchema }),
        querystring: FinishQuery,
        response: { 200: RunSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const run = await requireRun(app.db, request.params.id);
      if (run.status !== 'running') return run;
      const finished: Run = { ...run, status: request.query.status, endedAt: new Date().toISOString() };
      await writeRun(app.db, finished);
      const stored = await waitForRun(app.db, run.id, (r) => r.status !== 'running');
      if (!stored) throw new DependencyUnavailableError('questdb', 'the finished run did not become visible in time');
      return stored;
    },
  );

  app.get(
    '/api/v1/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Runs, newest first, each with its jobs and SLO verdicts',
        description:
          "Each run carries its accepted jobs, its worst SLO verdict and each queue's, judged as in its summary. " +
          'Items are lean: no `config` and no `clientSummary` (read them with `GET /api/v1/runs/:id`).',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 20 }),
          offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
        }),
        response: { 200: RunPageSchema },
      },
    },
    async (request) => {
      const { limit, offset } = request.query;
      const page = await listRuns(app.db, { limit, offset });
      const verdicts = await runVerdicts(app.db, app.config, page.runs);
      const runs = page.runs.map((run) => ({ ...run, ...(verdicts.get(run.id) ?? { jobs: 0, verdict: 'no-data' as const, queues: [] }) }));
      return { runs, total: page.total, limit, offset };
    },
  );

  app.get(
    '/api/v1/runs/:id',
    {
      schema: {
        tags: ['runs'],
        summary: 'One run',
        description: 'With its `config` and `clientSummary`; either is null when the stored value does not parse or match its schema.',
        params: Type.Object({ id: RunIdSchema }),
        response: { 200: RunSchema, 404: ErrorSchema },
      },
    },
    async (request) => requireRun(app.db, request.params.id),
  );

  app.get(
    '/api/v1/runs/:id/summary',
    {
      schema: {
        tags: ['runs'],
        summary: 'Per-queue summary with SLO verdicts',
        params: Type.Object({ id: RunIdSchema }),
        response: { 200: RunSummarySchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const run = await requireRun(app.db, request.params.id);
      return summarize(app.db, app.config, run);
    },
  );
};
export default runs;
