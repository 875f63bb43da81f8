import type { IngestStatus } from '@queuescope/contracts';
import type { FastifyPluginAsync } from 'fastify';
import { DependencyUnavailableError } from '@queuescope/service-kit';
import { streamStatus } from '../capture/stream-status.js';

/**
 * `GET /api/v1/ingest/status`: per captured stream — entries not yet read (`unread`), read but
 * not yet stored (`pending`), `lagMs` (age of the oldest entry not yet stored), entries BullMQ
 * trimmed before any collector read them (`lostEvents`), the stream's `maxLenEvents`, which
 * collector owns it, and warnings; plus totals.
 */
const captureStatus: FastifyPluginAsync = async (app) => {
  app.get(
    '/api/v1/ingest/status',
    { schema: { tags: ['ingest'], summary: 'Backlog and lag of each event stream' } },
    async (): Promise<IngestStatus> => {
      try {
        const streams = await streamStatus(app.redis, app.capture.sources());
        return {
          streams,
          totals: {
            unread: streams.reduce((n, s) => n + s.unread, 0),
            pending: streams.reduce((n, s) => n + s.pending, 0),
            eventsWritten: streams.reduce((n, s) => n + s.eventsWritten, 0),
            lostEvents: streams.reduce((n, s) => n + s.lostEvents, 0),
            lagMs: Math.max(0, ...streams.map((s) => s.lagMs)),
          },
          capture: app.capture.loop.stats,
        };
      } catch (err) {
        throw new DependencyUnavailableError('redis', err instanceof Error ? err.message : String(err));
      }
    },
  );
};
export default captureStatus;
