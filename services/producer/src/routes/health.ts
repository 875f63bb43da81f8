import { DependencyUnavailableError } from '@queuescope/service-kit';
import type { FastifyPluginAsync } from 'fastify';

/**
 * `GET /healthz`: the process is up (also while Redis is away: it reconnects on its own).
 * `GET /readyz`: Redis answers PING, so jobs can be accepted; else 503 with the reason in fixed
 * words (never the client's error text, which names the address).
 */
const health: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      if (app.redis.status !== 'ready') throw new Error(`connection is ${app.redis.status}`);
      await app.redis.ping();
      return { status: 'ready', redis: 'ok' };
    } catch (err) {
      const reason = new DependencyUnavailableError('redis', err instanceof Error ? err.message : String(err)).reason;
      return reply.code(503).send({ status: 'unavailable', redis: reason });
    }
  });
};
export default health;
