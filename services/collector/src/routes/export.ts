import { Readable } from 'node:stream';
import { ErrorSchema, JOB_EVENT_COLUMNS, RunIdSchema } from '@queuescope/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpError } from '@queuescope/service-kit';
import { Gauge } from 'prom-client';
import { Type } from 'typebox';
import { runWindow } from '../analytics/summary.js';
import { countRunEvents, streamRunEvents } from '../db/queries/export.js';
import { requireRun } from '../db/queries/runs.js';

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Lines are sent in chunks of about this many characters: one write per chunk, not per row. */
const CHUNK_CHARS = 64 * 1024;
/** `Retry-After` of a refused export, seconds. */
const RETRY_AFTER_S = 5;

/** Export header: rows of the run when the export started. */
export const TOTAL_ROWS_HEADER = 'x-queuescope-total-rows';
/** Export header: `true` when the run had more rows than `limit`, so the body holds only the first `limit`. */
export const TRUNCATED_HEADER = 'x-queuescope-truncated';

/**
 * `GET /api/v1/runs/:id/events?format=csv|json&limit=n`: a run's stored events, streamed in time
 * order as CSV (header = contract columns) or a JSON array, as a download.
 *
 * Limits (`config.collector.limits`): COLLECTOR_EXPORT_CONCURRENCY exports at once (one more: 429
 * with `Retry-After`); at most `limit` rows, itself at most COLLECTOR_EXPORT_MAX_ROWS (the SQL has
 * the LIMIT; the run's row count is read first, so the headers say whether the body is cut); at
 * most COLLECTOR_EXPORT_TIMEOUT_MS from the request to the last byte: past it the stream is
 * aborted, so the client sees a broken download rather than a short file that looks complete, and
 * the cursor is closed and its connection released.
 */
const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { exportConcurrency, exportMaxRows, exportTimeoutMs, pgPoolSize } = app.config.collector.limits;
  if (exportConcurrency >= pgPoolSize) {
    app.log.warn(
      { exportConcurrency, pgPoolSize },
      'COLLECTOR_EXPORT_CONCURRENCY >= COLLECTOR_PG_POOL_SIZE: slow exports can hold every QuestDB connection',
    );
  }
  let running = 0;
  new Gauge({
    name: 'queuescope_exports_running',
    help: 'Event exports streaming now (limit COLLECTOR_EXPORT_CONCURRENCY)',
    registers: [app.metrics],
    collect() {
      this.set(running);
    },
  });

  app.get(
    '/api/v1/runs/:id/events',
    {
      schema: {
        tags: ['runs'],
        summary: "Export a run's events as CSV or JSON",
        description:
          `At most \`limit\` rows (default and maximum COLLECTOR_EXPORT_MAX_ROWS, here ${exportMaxRows}); the ` +
          `\`${TOTAL_ROWS_HEADER}\` header gives the run's rows when the export started and \`${TRUNCATED_HEADER}: true\` says the body holds only the first \`limit\`. ` +
          `At most COLLECTOR_EXPORT_CONCURRENCY (here ${exportConcurrency}) exports run at once: one more gets 429 with Retry-After. ` +
          `An export still streaming after COLLECTOR_EXPORT_TIMEOUT_MS (here ${exportTimeoutMs} ms) is aborted: the download ends without its terminating chunk.`,
        params: Type.Object({ id: RunIdSchema }),
        querystring: Type.Object({
          format: Type.Enum(['csv', 'json'] as const, { default: 'csv' }),
          limit: Type.Integer({ minimum: 1, maximum: exportMaxRows, default: exportMaxRows, description: 'most rows to return' }),
        }),
        response: {
          200: Type.Unknown({ description: 'text/csv or application/json download, streamed' }),
          400: ErrorSchema,
          404: ErrorSchema,
          429: ErrorSchema,
          503: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      if (running >= exportConcurrency) {
        return reply
          .code(429)
          .header('retry-after', String(RETRY_AFTER_S))
          .send({
            statusCode: 429,
            code: 'TOO_MANY_EXPORTS',
            message: `too many exports running (COLLECTOR_EXPORT_CONCURRENCY=${exportConcurrency}); retry in ${RETRY_AFTER_S} s`,
          });
      }
      running++;
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        running--;
      };
      const deadline = Date.now() + exportTimeoutMs;
      const timedOut = (): HttpError =>
        new HttpError(503, 'EXPORT_TIMEOUT', `export exceeded COLLECTOR_EXPORT_TIMEOUT_MS=${exportTimeoutMs}`);
      try {
        const run = await requireRun(app.db, request.params.id);
        const window = runWindow(run);
        const total = await countRunEvents(app.db, run.id, window);
        if (Date.now() > deadline) throw timedOut();
        const { format, limit } = request.query;
        const rows = streamRunEvents(app.db, run.id, window, limit);
        async function* body(): AsyncGenerator<string> {
          let chunk = format === 'csv' ? `${JOB_EVENT_COLUMNS.join(',')}\n` : '[';
          let first = true;
          for await (const row of rows) {
            if (format === 'csv') chunk += `${JOB_EVENT_COLUMNS.map((c) => csvField(row[c])).join(',')}\n`;
            else {
              chunk += `${first ? '' : ','}\n${JSON.stringify(row)}`;
              first = false;
            }
            if (chunk.length >= CHUNK_CHARS) {
              yield chunk;
              chunk = '';
            }
          }
          yield format === 'json' ? `${chunk}\n]\n` : chunk;
        }
        const stream = Readable.from(body());
        const timer = setTimeout(() => {
          request.log.warn({ runId: run.id, exportTimeoutMs }, 'export timed out; aborting its stream');
          stream.destroy(timedOut());
        }, deadline - Date.now());
        // The stream closes once its generator has returned (cursor closed, connection released), whether
        // it ended, the timeout aborted it or the client went away (Fastify destroys it then).
        stream.once('close', () => {
          clearTimeout(timer);
          release();
        });
        return reply
          .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
          .header('content-disposition', `attachment; filename="run-${run.id}-events.${format}"`)
          .header(TOTAL_ROWS_HEADER, String(total))
          .header(TRUNCATED_HEADER, String(total > limit))
          .send(stream);
      } catch (err) {
        release();
        throw err;
      }
    },
  );
};
export default exportRoutes;
