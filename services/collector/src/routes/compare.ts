import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** TODO(issue 3): compare routes. */
const compare: FastifyPluginAsyncTypebox = async () => {};
export default compare;
