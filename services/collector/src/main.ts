import { parseConfig } from '@queuescope/contracts';
import closeWithGrace from 'close-with-grace';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import app from './app.js';
import { loggerOptions } from './logger.js';

const config = parseConfig(process.env);
const server = Fastify({ logger: loggerOptions(config.logLevel, 'collector'), requestTimeout: 30_000 });
await server.register(fp(app), { config });

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err) server.log.error({ err }, 'closing after error');
  else server.log.info({ signal }, 'closing: finishing the batch in hand');
  await server.close();
});

await server.listen({ host: config.collector.host, port: config.collector.port, backlog: 4096 });
