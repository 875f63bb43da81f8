import { parseConfig } from '@queuescope/contracts';
import closeWithGrace from 'close-with-grace';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import app, { serverOptions } from './app.js';
import { loggerOptions } from './logger.js';

const config = parseConfig(process.env);
const server = Fastify({ ...serverOptions(config), logger: loggerOptions(config.logLevel, 'producer') });
await server.register(fp(app), { config });

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) server.log.error({ err }, 'closing after error');
  else server.log.info({ signal }, 'closing');
  await server.close();
});

// Backlog 4096: Node's default 511 drops connections at 1000 concurrent clients (notes/baseline.md).
await server.listen({ host: config.producer.host, port: config.producer.port, backlog: 4096 });
