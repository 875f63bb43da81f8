import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** TODO(issue 3): events routes. */
const events: FastifyPluginAsyncTypebox = async () => {};
export default events;
