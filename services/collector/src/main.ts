import { setPriority } from 'node:os';
import { parseConfig } from '@queuescope/contracts';
import closeWithGrace from 'close-with-grace';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import app from './app.js';
import { loggerOptions } from './logger.js';

const config = parseConfig(process.env);
const server = Fastify({ logger: loggerOptions(config.logLevel, 'collector'), requestTimeout: 30_000 });
try {
  // The observer yields to the observed: under CPU saturation it falls behind (safely, in the
  // streams) instead of slowing the producer and workers down.
  setPriority(config.collector.nice);
} catch (err) {
  server.log.warn({ err: err instanceof Error ? err.message : String(err), nice: config.collector.nice }, 'could not lower the collector priority');
}
await server.register(fp(app), { config });

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err) server.log.error({ err }, 'closing after error');
  else server.log.info({ signal }, 'closing: finishing the batch in hand');
  await server.close();
});

await server.listen({ host: config.collector.host, port: config.collector.port, backlog: 4096 });
