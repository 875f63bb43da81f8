import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ClientSummarySchema,
  ErrorSchema,
  LoadSecondSchema,
  LoadSourceSchema,
  RunIdSchema,
  RunSchema,
  type ClientSummary,
  type Run,
} from '@queuescope/contracts';
import { Type } from 'typebox';
import { writeLoadMetrics } from '../db/queries/load-metrics.js';
import { requireRun, waitForRun, writeRun } from '../db/queries/runs.js';
import { DependencyUnavailableError } from '@queuescope/service-kit';

/**
 * Client-side load of a run: per-second rows from the load generator (builtin engine, or k6's
 * `--out json` stream aggregated by the runner) and its end-of-run `ClientSummary` (the engine's
 * result, or k6's handleSummary converted by the runner: loadtest/src/k6/summary.ts).
 */
const load: FastifyPluginAsyncTypebox = async (app) => {
  const storeSummary = async (run: Run, summary: ClientSummary): Promise<Run> => {
    await writeRun(app.db, { ...run, clientSummary: summary });
    const stored = await waitForRun(app.db, run.id, (r) => JSON.stringify(r.clientSummary) === JSON.stringify(summary));
    if (!stored) throw new DependencyUnavailableError('questdb', 'the client summary did not become visible in time');
    return stored;
  };

  app.post(
    '/api/v1/runs/:id/load-metrics',
    {
      schema: {
        tags: ['load'],
        summary: 'Store per-second client-side load metrics of a run (one transaction)',
        params: Type.Object({ id: RunIdSchema }),
        body: Type.Object(
          { source: LoadSourceSchema, seconds: Type.Array(LoadSecondSchema, { minItems: 1, maxItems: 3600 }) },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ stored: Type.Integer() }), 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      await requireRun(app.db, request.params.id);
      try {
        await writeLoadMetrics(app.config.questdb.ilpConf, request.params.id, request.body.source, request.body.seconds);
      } catch (err) {
        throw new DependencyUnavailableError('questdb', err instanceof Error ? err.message : String(err));
      }
      return reply.code(202).send({ stored: request.body.seconds.length });
    },
  );

  app.post(
    '/api/v1/runs/:id/client-summary',
    {
      schema: {
        tags: ['load'],
        summary: "Store the load generator's end-of-run numbers",
        params: Type.Object({ id: RunIdSchema }),
        body: ClientSummarySchema,
        response: { 200: RunSchema, 404: ErrorSchema },
      },
    },
    async (request) => storeSummary(await requireRun(app.db, request.params.id), request.body as ClientSummary),
  );
};
export default load;
