import closeWithGrace from 'close-with-grace';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyPluginOptions, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { setPriority } from 'node:os';
import { ConfigError, parseConfig, type Config } from '@queuescope/contracts';
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

/** `127.0.0.1`, `127.x.y.z`, `::1`, `localhost`: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Without a token a service accepts writes from anyone who can reach it, so it listens on loopback
 * only, unless `QS_INSECURE=1` says the network itself is trusted.
 */
function refuseOpenWithoutToken(service: 'producer' | 'collector', config: Config): void {
  const token = service === 'producer' ? config.auth.producerToken : config.auth.collectorToken;
  const host = config[service].host;
  if (token === null && !config.auth.insecure && !isLoopback(host)) {
    const variable = service === 'producer' ? 'PRODUCER_API_TOKEN' : 'QS_API_TOKEN';
    throw new ConfigError(
      `${service.toUpperCase()}_HOST`,
      `${host} is not a loopback address and ${variable} is not set: set a token, or QS_INSECURE=1 to listen without one`,
    );
  }
}

/**
 * A queuescope service's whole `main.ts`: parse the environment once (STYLE R5; a bad variable
 * exits 2 with one line naming it), then {@link runServer} with that service's host, port and log level, and `{ config }` as the app's options.
 */
export async function runService(
  service: 'producer' | 'collector',
  env: Record<string, string | undefined>,
  app: FastifyPluginAsync<{ config: Config }>,
  opts: RunServiceOptions,
): Promise<FastifyInstance | undefined> {
  let config: Config;
  try {
    config = parseConfig(env);
    refuseOpenWithoutToken(service, config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // One line naming the variable (never a secret's value: ConfigError leaves those out), no stack.
    process.stderr.write(`queuescope ${service}: configuration error: ${err.message}\n`);
    process.exitCode = 2;
    return undefined;
  }
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
