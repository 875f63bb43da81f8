import type { FastifyPluginAsync } from 'fastify';
import { DependencyUnavailableError } from '../errors.js';
import { streamStatus } from '../ingest/stream-status.js';

/**
 * `GET /api/v1/ingest/status`: per queue stream — entries waiting in Redis (`length`), entries
 * read but not yet stored (`pending`), events this process wrote, and `lagMs`: age of the oldest
 * entry not yet stored (0 when the stream is drained).
 */
const ingest: FastifyPluginAsync = async (app) => {
  app.get('/api/v1/ingest/status', { schema: { tags: ['ingest'], summary: 'Backlog and lag of each event stream' } }, async () => {
    try {
      const streams = await streamStatus(app.redis, app.consumers.map((c) => c.stats));
      return {
        streams,
        totals: {
          length: streams.reduce((n, s) => n + s.length, 0),
          pending: streams.reduce((n, s) => n + s.pending, 0),
          eventsWritten: streams.reduce((n, s) => n + s.eventsWritten, 0),
          lagMs: Math.max(0, ...streams.map((s) => s.lagMs)),
        },
      };
    } catch (err) {
      throw new DependencyUnavailableError('redis', err instanceof Error ? err.message : String(err));
    }
  });
};
export default ingest;
