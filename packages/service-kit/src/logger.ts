import type { Config } from '@queuescope/contracts';
import type { FastifyServerOptions } from 'fastify';

/** Fastify's `logger` option as an object (pino's LoggerOptions; fastify does not export that name). */
export type LoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined>;

/**
 * Where a credential can sit in a logged object: request headers (as `req`, `request` or bare
 * `headers`) and a response's `set-cookie`. Fastify's own request serializer logs no headers; this
 * covers a handler or a library that logs them anyway, so tokens never reach a log (issue 10).
 */
export const REDACTED_PATHS = [
  ...['req.headers', 'request.headers', 'headers'].flatMap((at) => [
    `${at}.authorization`,
    `${at}.cookie`,
    `${at}["sec-websocket-protocol"]`,
    `${at}["set-cookie"]`,
  ]),
  'res.headers["set-cookie"]',
];

/**
 * pino options of a service (STYLE R7, fastify/demo `getLoggerOptions()`): JSON lines with a
 * `service` binding, pretty only on a TTY; `level` from `Config.logLevel` (LOG_LEVEL), never NODE_ENV;
 * credentials in headers replaced by `[redacted]`.
 */
export function loggerOptions(level: Config['logLevel'], service: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(process.stdout.isTTY
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}
