import closeWithGrace from 'close-with-grace';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyPluginOptions, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
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
