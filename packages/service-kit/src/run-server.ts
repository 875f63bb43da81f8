import closeWithGrace from 'close-with-grace';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyPluginOptions, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { setPriority } from 'node:os';
import type { Config } from '@queuescope/contracts';
import { loggerOptions } from './logger.js';

/** What a service's `main.ts` hands to `runServer`, all of it from its parsed `Config`. */
export interface RunServerOptions<AppOptions extends FastifyPluginOptions> {
  /** The `service` binding on every log line, e.g. `producer`. */
  service: string;
  logLevel: Config['logLevel'];
  host: string;
  port: number;
  /** Fastify options other than the logger (timeouts, body limit, Ajv); tests build with the same ones. */
  server?: Omit<FastifyServerOptions, 'logger' | 'loggerInstance'>;
  /** The service as a plugin (its `app.ts`), registered with `fastify-plugin` so its decorators stay visible. */
  app: FastifyPluginAsync<AppOptions>;
  appOptions: AppOptions;
  /** Longest shutdown waits for `server.close()` (in-flight requests, `onClose` hooks) before exiting anyway, ms. */
  closeDelayMs: number;
  /** Log message on SIGTERM/SIGINT. @defaultValue 'closing' */
  closingMessage?: string;
  /** Runs once the instance and its logger exist, before `app` is registered. */
  beforeRegister?: (server: FastifyInstance) => void;
}

/**
 * A service's `main.ts` in one call (STYLE R1, fastify/demo `src/server.ts`): Fastify with the
 * service's logger, `app` registered, `close-with-grace` wired (a signal or a fatal error closes
 * the server, whose `onClose` hooks release what each plugin opened, in reverse order: STYLE R8),
 * then `listen`. Resolves once listening.
 */
export async function runServer<AppOptions extends FastifyPluginOptions>(opts: RunServerOptions<AppOptions>): Promise<FastifyInstance> {
  const server = Fastify({ ...opts.server, logger: loggerOptions(opts.logLevel, opts.service) });
  opts.beforeRegister?.(server);
  await server.register(fp(opts.app), opts.appOptions);

  closeWithGrace({ delay: opts.closeDelayMs }, async ({ signal, err }) => {
    if (err) server.log.error({ err }, 'closing after error');
    else server.log.info({ signal }, opts.closingMessage ?? 'closing');
    await server.close();
  });

  // Backlog 4096: Node's default 511 drops connections at 1000 concurrent clients (notes/baseline.md).
  await server.listen({ host: opts.host, port: opts.port, backlog: 4096 });
  return server;
}

/** Options of {@link runService} that differ between the producer and the collector. */
export interface RunServiceOptions {
  /** Fastify options from the parsed config (timeouts, body limit, Ajv); tests build with the same ones. */
  server?: (config: Config) => Omit<FastifyServerOptions, 'logger' | 'loggerInstance'>;
  closeDelayMs: number;
  closingMessage?: string;
  /**
   * The process's nice value from the config: an observer yields the CPU to the observed services
   * when the machine is saturated (it falls behind safely, in the streams, and catches up).
   */
  nice?: (config: Config) => number;
}

/**
 * A queuescope service's whole `main.ts` once the environment is parsed (STYLE R5):
 * {@link runServer} with that service's host, port and log level, and `{ config }` as the app's options.
 */
export async function runService(
  service: 'producer' | 'collector',
  config: Config,
  app: FastifyPluginAsync<{ config: Config }>,
  opts: RunServiceOptions,
): Promise<FastifyInstance> {
  const nice = opts.nice?.(config);
  return runServer({
    service,
    logLevel: config.logLevel,
    host: config[service].host,
    port: config[service].port,
    ...(opts.server ? { server: opts.server(config) } : {}),
    app,
    appOptions: { config },
    closeDelayMs: opts.closeDelayMs,
    ...(opts.closingMessage ? { closingMessage: opts.closingMessage } : {}),
    beforeRegister: (server) => {
      if (nice === undefined) return;
      try {
        setPriority(nice);
      } catch (err) {
        server.log.warn({ err: err instanceof Error ? err.message : String(err), nice }, 'could not lower the process priority');
      }
    },
  });
}
