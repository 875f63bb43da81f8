import { parseConfig } from '@queuescope/contracts';
import { runServer } from '@queuescope/service-kit';
import app, { serverOptions } from './app.js';

const config = parseConfig(process.env);
await runServer({
  service: 'producer',
  logLevel: config.logLevel,
  host: config.producer.host,
  port: config.producer.port,
  server: serverOptions(config),
  app,
  appOptions: { config },
  closeDelayMs: 10_000,
});
