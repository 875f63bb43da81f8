import type { Config } from '@queuescope/contracts';
import { errorHandler } from '@queuescope/service-kit';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import auth from './plugins/auth.js';
import bodyDepth from './plugins/body-depth.js';
import enqueue from './plugins/enqueue.js';
import queues from './plugins/queues.js';
import redis from './plugins/redis.js';
import demo from './routes/demo.js';
import health from './routes/health.js';
import jobs from './routes/jobs.js';

export interface AppOptions {
  config: Config;
}

/** The producer as a plugin (STYLE R1): main.ts and tests register it on their own Fastify instance. */
export default async function app(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  // Requests log through the root logger (serverOptions), so the handler adds their id itself.
  await fastify.register(errorHandler, { logRequestId: true });
  await fastify.register(auth, { config: opts.config });
  await fastify.register(bodyDepth);
  await fastify.register(redis, { config: opts.config });
  await fastify.register(queues, { config: opts.config });
  await fastify.register(enqueue, { config: opts.config });
  await fastify.register(health);
  await fastify.register(jobs);
  await fastify.register(demo);
}

/** Fastify server options shared by main.ts and tests: strict validation, body limit, timeouts. */
export function serverOptions(config: Config) {
  return {
    bodyLimit: config.producer.bodyLimit,
    requestTimeout: 30_000,
    // No type coercion of bodies: `"amount": "12"` is a wrong type and gets a 400 naming the field.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // No log line and no child logger per request: at thousands of requests per second both are
    // measurable work (GC) on the path under test; the error handler logs a failed request's id.
    disableRequestLogging: true,
    childLoggerFactory: (logger: FastifyBaseLogger) => logger,
  };
}
