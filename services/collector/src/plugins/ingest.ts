import { hostname } from 'node:os';
import { QUEUE_NAMES, ingestStream, queueKeys, type Config } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { QuestdbWriter } from '../ingest/questdb-writer.js';
import { StreamConsumer } from '../ingest/stream-consumer.js';

declare module 'fastify' {
  interface FastifyInstance {
    consumers: StreamConsumer[];
  }
}

/**
 * Starts one consumer loop per queue stream, plus one for `ingestStream` (events of queues outside
 * QUEUE_NAMES posted to `POST /api/v1/events`), each with its own blocking Redis connection and its
 * own Sender. One stream per loop keeps every command on one cluster slot (Redis Cluster later).
 * On close: stop reading, finish the batch in hand (write, then ack), close senders.
 */
export default fp(
  async (app: FastifyInstance, opts: { config: Config; consumerName?: string }) => {
    const { config } = opts;
    const consumerName = opts.consumerName ?? `${hostname()}:${process.pid}`;
    const consumers: StreamConsumer[] = [];
    const closers: (() => Promise<void>)[] = [];
    const streams = [
      ...QUEUE_NAMES.map((queue) => ({ queue: queue as string, streamKey: queueKeys(config.namespace, queue).events })),
      { queue: '_ingest', streamKey: ingestStream(config.namespace) },
    ];
    for (const { queue, streamKey } of streams) {
      const connection = app.redis.duplicate();
      connection.on('error', (err) => app.log.warn({ err: err.message, queue }, 'consumer redis error'));
      const writer = await QuestdbWriter.create(config.questdb.ilpConf, app.log);
      const consumer = new StreamConsumer(connection, writer, {
        streamKey,
        consumer: consumerName,
        batchSize: config.collector.batchSize,
        blockMs: config.collector.blockMs,
        flushIntervalMs: config.collector.flushIntervalMs,
        claimIdleMs: config.collector.claimIdleMs,
        claimIntervalMs: config.collector.claimIntervalMs,
        onStored: (events) => app.observeStored(events),
      }, app.log.child({ queue }));
      await consumer.start();
      consumers.push(consumer);
      closers.push(async () => {
        await consumer.stop().catch((err: unknown) => app.log.error({ err, queue }, 'consumer stop failed'));
        await writer.close().catch((err: unknown) => app.log.error({ err, queue }, 'sender close failed'));
        await connection.quit().catch(() => connection.disconnect());
      });
    }
    app.decorate('consumers', consumers);
    app.addHook('onClose', async () => {
      await Promise.all(closers.map((close) => close()));
    });
  },
  { name: 'ingest', dependencies: ['redis', 'questdb', 'metrics'] },
);
