import { COLLECTOR_GROUP } from '@queuescope/contracts';
import type { FastifyPluginAsync } from 'fastify';
import { DependencyUnavailableError } from '../errors.js';

/**
 * `GET /api/v1/ingest/status`: per queue stream — entries waiting in Redis (`length`), entries
 * read but not yet stored (`pending`), events this process wrote, and `lagMs`: age of the oldest
 * entry not yet stored (0 when the stream is drained).
 */
const ingest: FastifyPluginAsync = async (app) => {
  app.get('/api/v1/ingest/status', async () => {
    const now = Date.now();
    try {
      const streams = await Promise.all(
        app.consumers.map(async (c) => {
          const key = c.stats.streamKey;
          const [length, pendingSummary, oldest] = await Promise.all([
            app.redis.xlen(key),
            app.redis.xpending(key, COLLECTOR_GROUP) as Promise<[number, ...unknown[]]>,
            app.redis.xrange(key, '-', '+', 'COUNT', 1),
          ]);
          const oldestMs = oldest[0] ? Number(oldest[0][0].split('-')[0]) : now;
          return { ...c.stats, length, pending: Number(pendingSummary[0] ?? 0), lagMs: Math.max(0, now - oldestMs) };
        }),
      );
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
