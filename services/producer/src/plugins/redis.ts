import { connectionFor, type Config } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

/**
 * Longest a request waits on Redis before answering 503, ms: ioredis rejects a command unanswered
 * this long (one timer per command, where a Promise.race per request cost measurable GC at 5k req/s).
 */
export const REDIS_COMMAND_TIMEOUT_MS = 3000;

/** Decorates `redis`: the producer's fail-fast connection, shared by its BullMQ queues. */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const redis = new Redis(opts.config.redisUrl, {
      ...connectionFor('producer'),
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      lazyConnect: true,
      enableAutoPipelining: true,
    });
    redis.on('error', (err) => app.log.warn({ err: err.message }, 'redis connection error'));
    await redis.connect().catch((err: Error) => app.log.warn({ err: err.message }, 'redis not reachable at start; readyz will say so'));
    app.decorate('redis', redis);
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis' },
);
