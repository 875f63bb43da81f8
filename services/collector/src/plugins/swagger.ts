import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** TODO(issue 3): swagger plugin. */
export default fp(async (_app: FastifyInstance) => {}, { name: 'swagger' });
