import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** TODO(issue 3): metrics plugin. */
export default fp(async (_app: FastifyInstance) => {}, { name: 'metrics' });
