import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { RunIdSchema, type LiveMessage } from '@queuescope/contracts';
import type { LiveFilter } from '../live/ticker.js';

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

/** A socket this far behind skips ticks instead of growing the server's buffers, bytes. */
const MAX_BUFFERED = 1 << 20;

/**
 * `GET /api/v1/live` (WebSocket). On connect: all queues, all runs; a `{"type":"subscribe", …}`
 * message changes that. The server sends `{type:'backfill', frame}` (the last minutes) and then
 * `{type:'tick', frame}` every second; a malformed message gets `{type:'error', message}` and the
 * connection keeps its previous subscription.
 */
const live: FastifyPluginAsync = async (app) => {
  app.get(
    '/api/v1/live',
    { websocket: true, schema: { tags: ['live'], summary: 'Live per-second frames over WebSocket', hide: true } },
    (socket) => {
      const send = (message: LiveMessage | { type: 'error'; message: string }): void => {
        if (socket.readyState !== socket.OPEN) return;
        if (message.type === 'tick' && socket.bufferedAmount > MAX_BUFFERED) return;
        socket.send(JSON.stringify(message));
      };
      let unsubscribe = app.ticker.subscribe({}, send);
      socket.on('message', (raw: Buffer) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString('utf8'));
        } catch {
          send({ type: 'error', message: 'message is not JSON' });
          return;
        }
        if (!checkSubscribe.Check(parsed)) {
          const first = [...checkSubscribe.Errors(parsed)][0];
          send({
            type: 'error',
            message: `invalid subscribe message: ${first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'}`,
          });
          return;
        }
        const filter: LiveFilter = { runId: parsed.runId, queues: parsed.queues };
        unsubscribe();
        unsubscribe = app.ticker.subscribe(filter, send);
      });
      socket.on('close', () => unsubscribe());
    },
  );
};
export default live;
