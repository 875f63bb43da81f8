import type { Config } from '@queuescope/contracts';
import { closeRedis, createRedis, type RedisClient } from '@queuescope/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    redis: RedisClient;
  }
}

/**
 * Longest a request waits on Redis before answering 503, ms: ioredis rejects a command unanswered
 * this long (one timer per command, where a Promise.race per request cost measurable GC at 5k req/s).
 */
export const REDIS_COMMAND_TIMEOUT_MS = 3000;

/** Decorates `redis`: the producer's fail-fast connection (one Redis or a Cluster), shared by its BullMQ queues. */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const redis = createRedis(opts.config, 'producer', {
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      lazyConnect: true,
      enableAutoPipelining: true,
    });
    redis.on('error', (err: Error) => app.log.warn({ err: err.message }, 'redis connection error'));
    await redis.connect().catch((err: Error) => app.log.warn({ err: err.message }, 'redis not reachable at start; readyz will say so'));
    app.decorate<RedisClient>('redis', redis);
    app.addHook('onClose', async () => {
      await closeRedis(redis);
    });
  },
  { name: 'redis' },
);
