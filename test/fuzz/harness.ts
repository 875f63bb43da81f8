/**
 * The fuzz loop shared by the producer's and the collector's fuzz files: an in-process app whose
 * routes are captured as it registers them, a fast-check property per route that sends at least
 * {@link NUM_RUNS} hostile requests through `inject` (each bounded in time) and checks every
 * answer, then readiness and the store snapshot after each route's batch.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '@queuescope/contracts';
import fc from 'fast-check';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions, type LightMyRequestResponse } from 'fastify';
import fp from 'fastify-plugin';
import { expect } from 'vitest';
import { testConfig } from '../support/env.js';
import { runIdArb } from './arbitraries.js';
import { requestArb, type CapturedRoute, type FuzzContext, type FuzzRequest, type FuzzTarget } from './requests.js';
import { storeProbe, type StoreProbe, type StoreSnapshot } from './store.js';

/** Generated requests per route (issue 10: at least 1,000 per public endpoint). `FUZZ_RUNS` raises it for a longer hunt. */
export const NUM_RUNS = Math.max(1000, Number(process.env.FUZZ_RUNS ?? 1000));
/** Replay a failing run: fast-check prints its seed and path. */
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** Longest any one request may take before it counts as a hang, ms (in process; a 404 through QuestDB takes a few ms). */
export const REQUEST_DEADLINE_MS = 5000;

/** A bearer token in the shape the config accepts (16+ of [A-Za-z0-9._~+/=-]). */
export const newToken = (): string => randomBytes(24).toString('base64url');

/** A config for one fuzz file: its own namespace, both tokens set, and the marker its run ids and names carry. */
export function fuzzConfig(overrides: Record<string, string> = {}): {
  config: Config;
  collectorToken: string;
  producerToken: string;
  runIdPrefix: string;
} {
  const collectorToken = newToken();
  const producerToken = newToken();
  const { config } = testConfig({ QS_API_TOKEN: collectorToken, PRODUCER_API_TOKEN: producerToken, LOG_LEVEL: 'silent', ...overrides });
  return { config, collectorToken, producerToken, runIdPrefix: `fz-${config.namespace}-` };
}

/** `await`ed with a deadline: a hang fails the property naming the request instead of timing out the whole test. */
export async function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Answers per route, for the closing note: route → count of requests and statuses seen. */
const tally = new Map<string, { requests: number; statuses: Map<number, number> }>();

/** Count one more request of `key` with `status` (the WebSocket file counts its frames here too). */
export function record(key: string, status: number): void {
  const entry = tally.get(key) ?? { requests: 0, statuses: new Map() };
  entry.requests++;
  entry.statuses.set(status, (entry.statuses.get(status) ?? 0) + 1);
  tally.set(key, entry);
}

/** The per-route counts as a table, for the log of a run and the closing note. */
export function printTally(title: string): void {
  const lines = [...tally.entries()].map(([key, { requests, statuses }]) => {
    const byStatus = [...statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    return `  ${String(requests).padStart(6)}  ${key.padEnd(48)} ${byStatus}`;
  });
  console.log(`fuzz counts (${title}): requests per endpoint, answers by status\n${lines.join('\n')}`);
  tally.clear();
}

/** What both apps take as plugin options (the collector also takes `samplers`). */
export interface AppOptions {
  config: Config;
  samplers?: boolean;
}

/** An app under fuzz, the routes it registered, and what the fuzz checks against. */
export class FuzzApp {
  private baseline: StoreSnapshot | undefined;

  private constructor(
    readonly app: FastifyInstance,
    readonly routes: CapturedRoute[],
    readonly ctx: FuzzContext,
    private readonly probe: StoreProbe,
  ) {}

  /**
   * Build `plugin` on a Fastify with `serverOptions` (as the service's main.ts does), capturing
   * every route it registers, and learn whether it enforces its token (a write without one).
   */
  static async build(opts: {
    plugin: FastifyPluginAsync<AppOptions>;
    pluginOptions: AppOptions;
    serverOptions: FastifyServerOptions;
    config: Config;
    token: string;
    runIdPrefix: string;
    /** A write the app refuses without a token when it enforces one, and with a 4xx other than 401 otherwise (nothing is stored either way). */
    authProbe: { method: 'POST'; url: string };
  }): Promise<FuzzApp> {
    const app = Fastify({ ...opts.serverOptions, logger: false });
    const routes: CapturedRoute[] = [];
    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) {
        routes.push({
          method,
          url: r.url,
          schema: (r.schema ?? {}) as CapturedRoute['schema'],
          ...(r.bodyLimit ? { bodyLimit: r.bodyLimit } : {}),
        });
      }
    });
    await app.register(fp(opts.plugin), opts.pluginOptions);
    await app.ready();
    const probe = await app.inject({ method: opts.authProbe.method, url: opts.authProbe.url });
    expect(probe.statusCode, `auth probe ${opts.authProbe.url}: ${probe.body}`).toBeGreaterThanOrEqual(400);
    expect(probe.statusCode).toBeLessThan(500);
    const ctx: FuzzContext = {
      token: opts.token,
      authEnforced: probe.statusCode === 401,
      runId: runIdArb(opts.runIdPrefix),
      marker: opts.config.namespace,
      bodyLimit: opts.serverOptions.bodyLimit ?? 1024 * 1024,
    };
    const store = await storeProbe(opts.config, opts.runIdPrefix, opts.config.namespace);
    return new FuzzApp(app, routes, ctx, store);
  }

  /** `METHOD url` of every route without a target (HEAD routes count as their GET's), and targets without a route. */
  coverage(targets: readonly Pick<FuzzTarget, 'method' | 'url'>[]): { untargeted: string[]; stale: string[] } {
    const key = (m: string, u: string) => `${m} ${u}`;
    const wanted = new Set(targets.map((t) => key(t.method, t.url)));
    const present = new Set(this.routes.map((r) => key(r.method === 'HEAD' ? 'GET' : r.method, r.url)));
    return {
      untargeted: [...present].filter((k) => !wanted.has(k)).sort(),
      stale: [...wanted].filter((k) => !present.has(k)).sort(),
    };
  }

  /** The route `method url`; a GET that Fastify reported only through its HEAD twin (a prefix's trailing-slash variant) is that HEAD's route. */
  route(method: string, url: string): CapturedRoute {
    const found =
      this.routes.find((r) => r.method === method && r.url === url) ??
      (method === 'GET' ? this.routes.find((r) => r.method === 'HEAD' && r.url === url) : undefined);
    if (!found) throw new Error(`no route ${method} ${url} in the app`);
    return { ...found, method };
  }

  async snapshot(): Promise<StoreSnapshot> {
    return this.probe.snapshot();
  }

  /** Remember the store as it is before any fuzzing. */
  async takeBaseline(): Promise<void> {
    this.baseline = await this.snapshot();
  }

  /** The store equals the baseline: no generated request stored or enqueued anything. */
  async expectStoreUnchanged(after: string): Promise<void> {
    expect(await this.snapshot(), `stored rows, streams or jobs changed (after ${after})`).toEqual(this.baseline);
  }

  async expectReady(after: string): Promise<void> {
    const res = await bounded(this.app.inject({ method: 'GET', url: '/readyz' }), REQUEST_DEADLINE_MS, 'GET /readyz');
    expect(res.statusCode, `GET /readyz after ${after}: ${res.body}`).toBe(200);
  }

  /**
   * The property for one route: {@link NUM_RUNS} generated requests, each answered in time with a
   * status the target allows, an error body that leaks nothing; then readiness and the store.
   */
  async fuzz(target: FuzzTarget): Promise<void> {
    const route = this.route(target.method, target.url);
    const key = `${target.method} ${target.url}`;
    await fc.assert(
      fc.asyncProperty(requestArb(route, target, this.ctx), async (req) => {
        const res = await bounded(
          this.app.inject({
            method: req.method as 'GET',
            url: req.url,
            headers: req.headers,
            ...(req.payload !== undefined ? { payload: req.payload } : {}),
          }),
          REQUEST_DEADLINE_MS,
          req.toString(),
        );
        record(key, res.statusCode);
        checkAnswer(target, req, res, this.ctx);
      }),
      { numRuns: NUM_RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
    await this.expectReady(key);
    await this.expectStoreUnchanged(key);
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.probe.close();
  }
}

/** Lines of a stack trace, or paths into the code: never in an answer (STYLE R6). */
const LEAK = /\n\s+at |node_modules|\/work\/main|ECONNREFUSED/;

/** Throws (failing the property) unless `res` is a right answer to the invalid request `req`. */
export function checkAnswer(target: FuzzTarget, req: FuzzRequest, res: LightMyRequestResponse, ctx: FuzzContext): void {
  const status = res.statusCode;
  const body = res.body;
  const fail = (problem: string): never => {
    throw new Error(`${problem}: ${status} ${body.slice(0, 500)}`);
  };
  const allowedExtra = target.alsoAllowed?.(status, body) ?? false;
  const clientError = status >= 400 && status < 500;
  if (!allowedExtra) {
    if (target.mode === 'reject' && !clientError) fail('expected a 4xx');
    if (target.mode === 'open' && !(clientError || (status >= 200 && status < 400))) fail('expected 2xx, 3xx or 4xx');
  }
  // A URL the router cannot read (bad escape, a parameter over maxParamLength) is refused before any hook runs.
  const refusedByRouter = status === 414 || (status === 400 && body.includes('FST_ERR_BAD_URL'));
  if (target.auth && ctx.authEnforced && req.authWrong && status !== 401 && !refusedByRouter)
    fail('a write without a valid token must answer 401');
  if (body.includes(ctx.token)) fail('the answer repeats the token');
  if (clientError && LEAK.test(body)) fail('the answer leaks a stack, a path or SQL');
  if (clientError && req.method !== 'HEAD' && /^application\/json/.test(String(res.headers['content-type'] ?? ''))) {
    const json = JSON.parse(body) as { statusCode?: unknown; message?: unknown };
    if (json.statusCode !== status || typeof json.message !== 'string') fail('a JSON error body carries statusCode and message');
  }
}
