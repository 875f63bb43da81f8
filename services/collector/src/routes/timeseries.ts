import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** TODO(issue 3): timeseries routes. */
const timeseries: FastifyPluginAsyncTypebox = async () => {};
export default timeseries;
