import { EventPublisher, connectionFor, type Config } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    publisher: EventPublisher;
  }
}

/** Decorates `redis` (fail-fast producer connection) and `publisher` (group-committed event stream writes). */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const redis = new Redis(opts.config.redisUrl, { ...connectionFor('producer'), lazyConnect: true, enableAutoPipelining: true });
    redis.on('error', (err) => app.log.warn({ err: err.message }, 'redis connection error'));
    await redis.connect().catch((err: Error) => app.log.warn({ err: err.message }, 'redis not reachable at start; readyz will say so'));
    const publisher = new EventPublisher((key, fields) => redis.xadd(key, '*', ...fields), opts.config.events);
    app.decorate('redis', redis);
    app.decorate('publisher', publisher);
    app.addHook('onClose', async () => {
      await publisher.close().catch((err: unknown) => app.log.error({ err }, 'publisher close failed'));
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis' },
);
