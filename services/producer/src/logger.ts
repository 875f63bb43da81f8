import type { Config } from '@queuescope/contracts';

/** pino options: JSON lines, pretty only on a TTY; level from LOG_LEVEL (STYLE R7). */
export function loggerOptions(level: Config['logLevel'], service: string) {
  return {
    level,
    base: { service },
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
}
