import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { RunIdSchema } from '@queuescope/contracts';
import { RateWindow } from '../live/limits.js';
import { CLOSE_POLICY_VIOLATION, CLOSE_TRY_AGAIN_LATER, Outbox } from '../live/outbox.js';
import type { LiveFilter, Subscription } from '../live/ticker.js';

/** What a dashboard may send: which run (none = all events) and which queues. */
const SubscribeMessage = Type.Object(
  {
    type: Type.Literal('subscribe'),
    runId: Type.Optional(RunIdSchema),
    queues: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 32 })),
  },
  { additionalProperties: false },
);
const checkSubscribe = Compile(SubscribeMessage);

/** The window of COLLECTOR_WS_MAX_SUBSCRIBES_PER_MINUTE, ms. */
const MINUTE_MS = 60_000;
/** `Retry-After` of a refused upgrade, seconds: dashboards come and go within seconds. */
const RETRY_AFTER_S = 5;

/**
 * `GET /api/v1/live` (WebSocket). On connect: all queues, all runs; a `{"type":"subscribe", …}`
 * message changes that. The server sends `{type:'backfill', frame}` (the last minutes) and then
 * `{type:'tick', frame}` every second; a malformed message gets `{type:'error', message}` and the
 * connection keeps its previous subscription.
 *
 * Limits (`config.collector.limits`), each named with its variable in the refusal:
 * - COLLECTOR_WS_MAX_CONNECTIONS open sockets per process: one more is refused before the upgrade
 *   with HTTP 503 and `Retry-After` (a socket that raced past that check is closed with 1013);
 * - COLLECTOR_WS_MAX_SUBSCRIBES_PER_MINUTE messages per socket: one more gets an error frame,
 *   then the socket is closed with 1008;
 * - COLLECTOR_LIVE_MAX_FILTERS distinct run filters in the ticker: a subscribe that would add one
 *   more gets an error frame and keeps its previous subscription (at connect: none until it
 *   subscribes to a run already served);
 * - COLLECTOR_WS_MAX_BUFFERED_BYTES unsent bytes per socket, on every frame (live/outbox.ts).
 */
const live: FastifyPluginAsync = async (app) => {
  const limits = app.config.collector.limits;
  const counters = app.liveCounters;
  const tooManyConnections = `too many WebSocket connections (COLLECTOR_WS_MAX_CONNECTIONS=${limits.wsMaxConnections})`;
  const tooManyFilters =
    `too many live filters: at most ${limits.liveMaxFilters} runs are streamed at once ` +
    `(COLLECTOR_LIVE_MAX_FILTERS=${limits.liveMaxFilters}); subscribe to a run already streamed, or try again later`;
  const tooManySubscribes = `too many subscribe messages (COLLECTOR_WS_MAX_SUBSCRIBES_PER_MINUTE=${limits.wsMaxSubscribesPerMinute})`;

  app.get(
    '/api/v1/live',
    {
      websocket: true,
      schema: { tags: ['live'], summary: 'Live per-second frames over WebSocket', hide: true },
      // Refuse before the upgrade: a refused dashboard costs no WebSocket, and sees why.
      preValidation: async (_request, reply) => {
        if (counters.open < limits.wsMaxConnections) return;
        counters.refused.connections++;
        await reply
          .code(503)
          .header('retry-after', String(RETRY_AFTER_S))
          .send({ statusCode: 503, code: 'TOO_MANY_CONNECTIONS', message: tooManyConnections });
      },
    },
    (socket) => {
      if (counters.open >= limits.wsMaxConnections) {
        counters.refused.connections++;
        socket.close(CLOSE_TRY_AGAIN_LATER, tooManyConnections);
        return;
      }
      counters.open++;
      const outbox = new Outbox(socket, limits.wsMaxBufferedBytes, counters);
      const subscribes = new RateWindow(limits.wsMaxSubscribesPerMinute, MINUTE_MS);
      let subscription: Subscription | undefined = app.ticker.subscribe({}, outbox.send);
      if (!subscription) {
        counters.refused.filters++;
        outbox.send({ type: 'error', message: tooManyFilters });
      }
      socket.on('message', (raw: Buffer) => {
        if (!subscribes.take()) {
          counters.refused.subscribes++;
          outbox.send({ type: 'error', message: `${tooManySubscribes}; closing` });
          socket.close(CLOSE_POLICY_VIOLATION, tooManySubscribes);
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString('utf8'));
        } catch {
          outbox.send({ type: 'error', message: 'message is not JSON' });
          return;
        }
        if (!checkSubscribe.Check(parsed)) {
          const first = [...checkSubscribe.Errors(parsed)][0];
          outbox.send({
            type: 'error',
            message: `invalid subscribe message: ${first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'}`,
          });
          return;
        }
        const filter: LiveFilter = { runId: parsed.runId, queues: parsed.queues };
        const next = app.ticker.subscribe(filter, outbox.send, subscription);
        if (next) subscription = next;
        else {
          counters.refused.filters++;
          outbox.send({ type: 'error', message: tooManyFilters });
        }
      });
      socket.on('close', () => {
        counters.open--;
        subscription?.close();
        subscription = undefined;
      });
    },
  );
};
export default live;
