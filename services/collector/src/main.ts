import { runService } from '@queuescope/service-kit';
import app from './app.js';

// The collector is the observer: it runs at COLLECTOR_NICE and drains the streams after a peak.
await runService('collector', process.env, app, {
  server: () => ({ requestTimeout: 30_000 }),
  closeDelayMs: 15_000,
  closingMessage: 'closing: finishing the batch in hand',
  nice: (config) => config.collector.nice,
});
