import type { FastifyPluginAsync } from 'fastify';

/** `GET /healthz`: the process is up. `GET /readyz`: Redis answers PING, so jobs can be accepted. */
const health: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      if (app.redis.status !== 'ready') throw new Error(`connection is ${app.redis.status}`);
      await app.redis.ping();
      return { status: 'ready', redis: 'ok' };
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', redis: err instanceof Error ? err.message : String(err) });
    }
  });
};
export default health;
