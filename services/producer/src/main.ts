import { parseConfig } from '@queuescope/contracts';
import { runService } from '@queuescope/service-kit';
import app, { serverOptions } from './app.js';

await runService('producer', parseConfig(process.env), app, { server: serverOptions, closeDelayMs: 10_000 });
