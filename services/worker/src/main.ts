import { parseConfig } from '@queuescope/contracts';
import { pino } from 'pino';
import { startWorkers } from './worker.js';

const config = parseConfig(process.env);
const log = pino({
  level: config.logLevel,
  base: { service: 'worker', pid: process.pid },
  ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'hostname' } } } : {}),
});
const running = await startWorkers(config, { log });

let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(1);
    log.info({ signal }, 'closing: finishing active jobs');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'close failed');
        process.exit(1);
      },
    );
  });
}
