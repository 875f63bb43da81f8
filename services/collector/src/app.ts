import type { Config } from '@queuescope/contracts';
import { errorHandler } from '@queuescope/service-kit';
import type { FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import auth, { selectProtocol } from './plugins/auth.js';
import config from './plugins/config.js';
import dashboard from './plugins/dashboard.js';
import capture from './plugins/capture.js';
import livePlugin from './plugins/live.js';
import metricsPlugin from './plugins/metrics.js';
import questdb from './plugins/questdb.js';
import redis from './plugins/redis.js';
import samplers from './plugins/samplers.js';
import swagger from './plugins/swagger.js';
import validation from './plugins/validation.js';
import captureStatus from './routes/capture-status.js';
import deadLetters from './routes/dead-letters.js';
import compare from './routes/compare.js';
import concurrency from './routes/concurrency.js';
import diagnosis from './routes/diagnosis.js';
import exportRoutes from './routes/export.js';
import health from './routes/health.js';
import ingestEvents from './routes/ingest-events.js';
import live from './routes/live.js';
import load from './routes/load.js';
import metrics from './routes/metrics.js';
import runs from './routes/runs.js';
import timeseries from './routes/timeseries.js';

export interface AppOptions {
  config: Config;
  /** Consumer name in the Redis consumer group; defaults to `host:pid`. */
  consumerName?: string;
  /** Start the per-second queue-depth and Redis samplers (default true; tests of other parts turn them off). */
  samplers?: boolean;
}

/** The collector as a plugin (STYLE R1): main.ts and tests register it on their own Fastify instance. */
export default async function app(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  await fastify.register(config, { config: opts.config });
  await fastify.register(errorHandler);
  await fastify.register(auth, { config: opts.config });
  await fastify.register(validation);
  // OpenAPI collects route schemas, so it is registered before any route.
  await fastify.register(swagger);
  await fastify.register(redis, { config: opts.config });
  await fastify.register(questdb, { config: opts.config });
  await fastify.register(metricsPlugin);
  await fastify.register(capture, { config: opts.config, ...(opts.consumerName ? { consumerName: opts.consumerName } : {}) });
  if (opts.samplers !== false) await fastify.register(samplers);
  await fastify.register(livePlugin);
  // @fastify/websocket before the routes that use it (fastify-websocket README).
  await fastify.register(websocket, { options: { maxPayload: 64 * 1024, handleProtocols: selectProtocol } });
  await fastify.register(health);
  await fastify.register(captureStatus);
  await fastify.register(deadLetters);
  await fastify.register(runs);
  await fastify.register(load);
  await fastify.register(exportRoutes);
  await fastify.register(timeseries);
  await fastify.register(compare);
  await fastify.register(diagnosis);
  await fastify.register(concurrency);
  await fastify.register(ingestEvents);
  await fastify.register(metrics);
  await fastify.register(live);
  await fastify.register(dashboard);
}
