import type { IngestStatus } from '@queuescope/contracts';
import type { FastifyPluginAsync } from 'fastify';
import { DependencyUnavailableError } from '@queuescope/service-kit';
import { deadLetterCounts } from '../capture/dead-letters.js';
import { streamStatus } from '../capture/stream-status.js';
import { boundedRead } from '../samplers/bounded-read.js';

/** Longest the status reads may take before the answer is 503, ms. */
const READ_TIMEOUT_MS = 3000;

/**
 * `GET /api/v1/ingest/status`: per captured stream — entries not yet read (`unread`), read but
 * not yet stored (`pending`), `lagMs` (age of the oldest entry not yet stored), entries BullMQ
 * trimmed before any collector read them (`lostEvents`), the stream's `maxLenEvents`, which
 * collector owns it, and warnings; plus totals and the dead letters (`deadLetters`: list them with
 * `GET /api/v1/dead-letters`, replay them with `npm run dead-letters -- --replay`). 503 naming
 * Redis, at once, while Redis is away.
 */
const captureStatus: FastifyPluginAsync = async (app) => {
  app.get(
    '/api/v1/ingest/status',
    { schema: { tags: ['ingest'], summary: 'Backlog, lag and dead letters of each event stream' } },
    async (): Promise<IngestStatus> => {
      const sources = app.capture.sources();
      let streams: IngestStatus['streams'];
      let dead: Map<string, number>;
      try {
        [streams, dead] = await boundedRead(
          'ingest status',
          app.redis,
          () =>
            Promise.all([
              streamStatus(app.redis, sources),
              deadLetterCounts(
                app.redis,
                sources.map((s) => s.spec.streamKey),
              ),
            ]),
          READ_TIMEOUT_MS,
        );
      } catch (err) {
        throw new DependencyUnavailableError('redis', err instanceof Error ? err.message : String(err), { cause: err });
      }
      const deadStreams = [...dead].filter(([, n]) => n > 0).map(([stream, deadLetters]) => ({ stream, deadLetters }));
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
        deadLetters: {
          total: deadStreams.reduce((n, s) => n + s.deadLetters, 0),
          streams: deadStreams,
          moved: { refused: app.capture.loop.stats.deadLetters, malformed: streams.reduce((n, s) => n + s.malformedEntries, 0) },
        },
      };
    },
  );
};
export default captureStatus;
