import { runService } from '@queuescope/service-kit';
import app, { serverOptions } from './app.js';

await runService('producer', process.env, app, { server: serverOptions, closeDelayMs: 10_000 });
