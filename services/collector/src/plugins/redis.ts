import { connectionFor, type Config } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

/** Decorates `redis`: the collector's patient connection for non-blocking commands (status, acks go on each loop's own). */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const redis = new Redis(opts.config.redisUrl, connectionFor('collector'));
    redis.on('error', (err) => app.log.warn({ err: err.message }, 'redis connection error'));
    app.decorate('redis', redis);
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis' },
);
