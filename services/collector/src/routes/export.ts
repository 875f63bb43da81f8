import { Readable } from 'node:stream';
import { JOB_EVENT_COLUMNS, RunIdSchema } from '@queuescope/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { runWindow } from '../analytics/summary.js';
import { streamRunEvents } from '../db/queries/export.js';
import { requireRun } from '../db/queries/runs.js';

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * `GET /api/v1/runs/:id/events?format=csv|json`: every stored event of a run, streamed in time
 * order as CSV (header = contract columns) or a JSON array, as a download.
 */
const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/runs/:id/events',
    {
      schema: {
        tags: ['runs'],
        summary: "Export a run's events as CSV or JSON",
        params: Type.Object({ id: RunIdSchema }),
        querystring: Type.Object({ format: Type.Enum(['csv', 'json'] as const, { default: 'csv' }) }),
      },
    },
    async (request, reply) => {
      const run = await requireRun(app.db, request.params.id);
      const rows = streamRunEvents(app.db, run.id, runWindow(run));
      const { format } = request.query;
      async function* body(): AsyncGenerator<string> {
        if (format === 'csv') yield `${JOB_EVENT_COLUMNS.join(',')}\n`;
        else yield '[';
        let first = true;
        for await (const row of rows) {
          if (format === 'csv') yield `${JOB_EVENT_COLUMNS.map((c) => csvField(row[c])).join(',')}\n`;
          else {
            yield `${first ? '' : ','}\n${JSON.stringify(row)}`;
            first = false;
          }
        }
        if (format === 'json') yield '\n]\n';
      }
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="run-${run.id}-events.${format}"`)
        .send(Readable.from(body()));
    },
  );
};
export default exportRoutes;
