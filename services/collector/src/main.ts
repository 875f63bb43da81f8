import { setPriority } from 'node:os';
import { parseConfig } from '@queuescope/contracts';
import { runServer } from '@queuescope/service-kit';
import app from './app.js';

const config = parseConfig(process.env);
await runServer({
  service: 'collector',
  logLevel: config.logLevel,
  host: config.collector.host,
  port: config.collector.port,
  server: { requestTimeout: 30_000 },
  app,
  appOptions: { config },
  closeDelayMs: 15_000,
  closingMessage: 'closing: finishing the batch in hand',
  beforeRegister: (server) => {
    try {
      // The observer yields to the observed: under CPU saturation it falls behind (safely, in the
      // streams) instead of slowing the producer and workers down.
      setPriority(config.collector.nice);
    } catch (err) {
      server.log.warn(
        { err: err instanceof Error ? err.message : String(err), nice: config.collector.nice },
        'could not lower the collector priority',
      );
    }
  },
});
