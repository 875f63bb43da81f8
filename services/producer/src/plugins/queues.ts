import { QUEUE_NAMES, queueKeys, type Config, type QueueName } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    queues: Map<QueueName, Queue>;
  }
}

/**
 * Decorates `queues`: one BullMQ `Queue` per profile, sharing the producer's fail-fast connection.
 * `streams.events.maxLen` sets how many entries BullMQ keeps in the queue's events stream (its
 * `opts.maxLenEvents` meta field): the history the collector can fall behind by without loss.
 */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const queues = new Map<QueueName, Queue>();
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, {
        connection: app.redis,
        prefix: queueKeys(opts.config.namespace, name).bullPrefix,
        streams: { events: { maxLen: opts.config.events.maxLen } },
      });
      queue.on('error', (err) => app.log.warn({ err: err.message, queue: name }, 'queue error'));
      queues.set(name, queue);
    }
    app.decorate('queues', queues);
    app.addHook('onClose', async () => {
      for (const queue of queues.values()) await queue.close().catch(() => undefined);
    });
  },
  { name: 'queues', dependencies: ['redis'] },
);
