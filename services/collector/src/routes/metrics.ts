import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** TODO(issue 3): metrics routes. */
const metrics: FastifyPluginAsyncTypebox = async () => {};
export default metrics;
