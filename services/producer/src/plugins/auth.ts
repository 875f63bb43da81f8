import type { Config } from '@queuescope/contracts';
import { bearerAuth } from '@queuescope/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The producer's access rule (issue 10): with `PRODUCER_API_TOKEN` set, every write route
 * (`POST /api/v1/queues/:queue/jobs` and the demo endpoints) needs `Authorization: Bearer <token>`;
 * a refused request is answered before its body is read, so nothing is enqueued. Health routes
 * stay open. Register before the routes.
 */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    await app.register(bearerAuth, { token: opts.config.auth.producerToken, variable: 'PRODUCER_API_TOKEN' });
  },
  { name: 'auth' },
);
