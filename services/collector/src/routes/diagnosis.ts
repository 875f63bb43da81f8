import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** TODO(issue 3): diagnosis routes. */
const diagnosis: FastifyPluginAsyncTypebox = async () => {};
export default diagnosis;
