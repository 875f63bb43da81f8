import type { Config } from '@queuescope/contracts';
import { closeRedis, createRedis, type RedisClient } from '@queuescope/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    redis: RedisClient;
  }
}

/** Decorates `redis`: the collector's patient connection (one Redis or a Cluster) for non-blocking commands (status, acks go on each loop's own). */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const redis = createRedis(opts.config, 'collector');
    redis.on('error', (err: Error) => app.log.warn({ err: err.message }, 'redis connection error'));
    app.decorate<RedisClient>('redis', redis);
    app.addHook('onClose', async () => {
      await closeRedis(redis);
    });
  },
  { name: 'redis' },
);
