import type { Config } from '@queuescope/contracts';
import type { FastifyServerOptions } from 'fastify';

/** Fastify's `logger` option as an object (pino's LoggerOptions; fastify does not export that name). */
export type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>;

/**
 * pino options of a service (STYLE R7, fastify/demo `getLoggerOptions()`): JSON lines with a
 * `service` binding, pretty only on a TTY; `level` from `Config.logLevel` (LOG_LEVEL), never NODE_ENV.
 */
export function loggerOptions(level: Config['logLevel'], service: string): LoggerOptions {
  return {
    level,
    base: { service },
    ...(process.stdout.isTTY
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}
