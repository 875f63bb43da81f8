/**
 * The built-in load engine, used when k6 is not installed. VUs are async loops, as in k6: pick an
 * endpoint by the scenario's mix, POST it with `X-Run-Id`, think, repeat. Every 100 ms the engine
 * starts VUs or retires surplus ones (they stop after their current request) to follow the
 * scenario's stages (`vusAt`, k6 ramping-vus semantics).
 *
 * Why undici and not autocannon: autocannon keeps a fixed number of connections firing back to
 * back, with no VU stages and no think time, so it cannot follow a ramping scenario or model
 * users. undici (the client behind Node's fetch) gives one keep-alive pool sized to the peak VUs,
 * pipelining 1 (one request per connection at a time, like a k6 VU) and per-request timeouts,
 * while the VU semantics stay ours and match k6's.
 */
import { setMaxListeners } from 'node:events';
import { Pool, errors as undiciErrors } from 'undici';
import { ENDPOINTS, peakVus, pickEndpoint, totalDurationMs, vusAt, type Scenario } from '../../scenarios/index.js';
import { RunStats, type Outcome, type SecondStats } from './stats.js';

export interface EngineOptions {
  /** Producer origin, e.g. `http://127.0.0.1:3000` (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `X-Run-Id` on every request. */
  runId: string;
  /** The producer's `PRODUCER_API_TOKEN`, sent as `Authorization: Bearer` on every request; none when null or absent. */
  token?: string | null;
  scenario: Scenario;
  /** Aborting stops the run: VUs stop, requests in flight get `abortGraceMs`, the last partial second is flushed, the promise resolves. */
  signal?: AbortSignal;
  /** Called once per wall-clock second, in order, the last (partial) second included. If it throws, the run stops and `runScenario` rejects with that error. */
  onSecond?: (s: SecondStats) => void;
  /** A request with no answer after this long counts as a timeout, not an error, ms. @defaultValue 10_000 */
  requestTimeoutMs?: number;
  /** After an abort, requests in flight may finish for this long before they are cancelled, ms. @defaultValue 250 */
  abortGraceMs?: number;
}

/** Whole-run numbers; latencies in ms from one HdrHistogram over every answered request (null when none was). */
export interface EngineResult {
  /** Requests that ended: accepted + 4xx + 5xx + errors + timeouts. */
  requests: number;
  /** 2xx answers. */
  accepted: number;
  /** No answer: connection refused or reset, socket errors. */
  errors: number;
  /** No answer within `requestTimeoutMs` (or no connection within it). */
  timeouts: number;
  status4xx: number;
  status5xx: number;
  /** Requests in flight cut off after an abort; counted nowhere else, since they have no outcome. */
  cancelled: number;
  /** From start until the last request ended, ms. */
  durationMs: number;
  /** `requests` / `durationMs`, per second. */
  reqPerSec: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** Engine tick: how often the VU count follows the stages, ms. */
const TICK_MS = 100;

interface Vu {
  retire: boolean;
  /** Ends the current think time early. */
  wake: () => void;
  done: Promise<void>;
}

const isTimeout = (err: unknown): boolean =>
  err instanceof undiciErrors.HeadersTimeoutError ||
  err instanceof undiciErrors.BodyTimeoutError ||
  err instanceof undiciErrors.ConnectTimeoutError;

const outcomeOf = (status: number): Outcome => (status >= 200 && status < 300 ? 'accepted' : status >= 500 ? 'status5xx' : 'status4xx');

/** Run `opts.scenario` against the producer at `opts.baseUrl`; resolves when it is over or aborted. */
export async function runScenario(opts: EngineOptions): Promise<EngineResult> {
  const { scenario } = opts;
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const base = new URL(opts.baseUrl);
  const prefix = base.pathname.replace(/\/$/, '');
  const pool = new Pool(base.origin, {
    connections: Math.max(1, peakVus(scenario)),
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connect: { timeout: timeoutMs },
  });
  /** Cancels the requests in flight once an aborted run's grace is over. One listener per request in flight. */
  const cancel = new AbortController();
  setMaxListeners(0, cancel.signal);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-run-id': opts.runId,
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
  };

  let failure: { error: unknown } | undefined;
  let stopRun = (): void => undefined;
  const stats = new RunStats(Date.now(), (s) => {
    if (!opts.onSecond || failure) return;
    try {
      opts.onSecond(s);
    } catch (error) {
      failure = { error };
      stopRun();
    }
  });
  let stopped = false;
  let cancelled = 0;
  let iteration = 0;

  const oneRequest = async (): Promise<void> => {
    const i = iteration++;
    const endpoint = ENDPOINTS[pickEndpoint(scenario.mix, Math.random())];
    const t0 = performance.now();
    try {
      const res = await pool.request({
        path: prefix + endpoint.path,
        method: 'POST',
        headers,
        body: JSON.stringify(endpoint.body(i)),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: cancel.signal,
      });
      await res.body.dump();
      stats.record(outcomeOf(res.statusCode), (performance.now() - t0) * 1000);
    } catch (err) {
      if (cancel.signal.aborted) cancelled++;
      else stats.record(isTimeout(err) ? 'timeouts' : 'errors', null);
    }
  };

  /** Think time, ended early when the VU is retired or the run stops; with no think time, still yield to the event loop. */
  const think = (vu: Vu): Promise<void> =>
    new Promise((resolve) => {
      if (vu.retire || stopped) return resolve();
      const { min, max } = scenario.thinkTimeMs;
      const ms = min + Math.random() * (max - min);
      let clearTimer = (): void => undefined;
      vu.wake = () => {
        clearTimer();
        vu.wake = () => undefined;
        resolve();
      };
      if (ms > 0) {
        const t = setTimeout(vu.wake, ms);
        clearTimer = () => clearTimeout(t);
      } else {
        const t = setImmediate(vu.wake);
        clearTimer = () => clearImmediate(t);
      }
    });

  const running = new Set<Vu>();
  const active: Vu[] = [];
  const startVu = (): Vu => {
    const vu: Vu = { retire: false, wake: () => undefined, done: Promise.resolve() };
    vu.done = (async () => {
      while (!vu.retire && !stopped) {
        await oneRequest();
        await think(vu);
      }
      running.delete(vu);
    })();
    running.add(vu);
    return vu;
  };
  const setVus = (target: number): void => {
    while (active.length < target) active.push(startVu());
    for (const vu of active.splice(target)) {
      vu.retire = true;
      vu.wake();
    }
    stats.setVus(active.length);
  };

  const started = Date.now();
  const duration = totalDurationMs(scenario);
  let aborted = false;
  await new Promise<void>((resolve) => {
    const onAbort = (): void => {
      aborted = true;
      stopRun();
    };
    const timer = setInterval(() => {
      const elapsed = Date.now() - started;
      if (elapsed >= duration) stopRun();
      else setVus(vusAt(scenario, elapsed));
    }, TICK_MS);
    stopRun = () => {
      stopRun = () => undefined;
      clearInterval(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    setVus(vusAt(scenario, 0));
  });

  stopped = true;
  setVus(0);
  // A finished run lets requests in flight end (bounded by the request timeout), like k6's
  // gracefulRampDown; an aborted or failed one cuts them off after a short grace.
  const grace = aborted || failure ? setTimeout(() => cancel.abort(), opts.abortGraceMs ?? 250) : undefined;
  await Promise.all([...running].map((vu) => vu.done));
  clearTimeout(grace);
  const ended = Date.now();
  stats.flush(ended);
  await pool.close();

  const durationMs = ended - started;
  const result: EngineResult = {
    ...stats.total,
    cancelled,
    durationMs,
    reqPerSec: durationMs > 0 ? stats.total.requests / (durationMs / 1000) : 0,
    ...stats.percentiles(),
  };
  stats.destroy();
  if (failure) throw failure.error;
  return result;
}
