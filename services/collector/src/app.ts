import type { Config } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import config from './plugins/config.js';
import errors from './plugins/errors.js';
import ingestPlugin from './plugins/ingest.js';
import questdb from './plugins/questdb.js';
import redis from './plugins/redis.js';
import validation from './plugins/validation.js';
import health from './routes/health.js';
import ingest from './routes/ingest.js';
import runs from './routes/runs.js';

export interface AppOptions {
  config: Config;
  /** Consumer name in the Redis consumer group; defaults to `host:pid`. */
  consumerName?: string;
}

/** The collector as a plugin (STYLE R1): main.ts and tests register it on their own Fastify instance. */
export default async function app(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  await fastify.register(config, { config: opts.config });
  await fastify.register(errors);
  await fastify.register(validation);
  await fastify.register(redis, { config: opts.config });
  await fastify.register(questdb, { config: opts.config });
  await fastify.register(ingestPlugin, { config: opts.config, ...(opts.consumerName ? { consumerName: opts.consumerName } : {}) });
  await fastify.register(health);
  await fastify.register(ingest);
  await fastify.register(runs);
}
