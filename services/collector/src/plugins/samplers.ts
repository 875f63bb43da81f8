import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** TODO(issue 3): samplers plugin. */
export default fp(async (_app: FastifyInstance) => {}, { name: 'samplers' });
