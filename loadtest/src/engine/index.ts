/**
 * The built-in load engine, used when k6 is not installed. VUs are async loops, as in k6: pick an
 * endpoint by the scenario's mix, POST it with `X-Run-Id`, think, repeat; every 100 ms the engine
 * starts or retires VUs to follow the scenario's stages.
 *
 * Why undici and not autocannon: autocannon holds a fixed number of connections firing back to
 * back, with no VU stages and no think time, so it cannot follow a ramping scenario; undici
 * (Node's own HTTP client) gives one keep-alive pool sized to the peak VUs and per-request
 * timeouts, and the VU semantics stay ours and match k6's.
 */
import { setTimeout as delay } from 'node:timers/promises';
import hdr from 'hdr-histogram-js';
import { Pool, errors as undiciErrors } from 'undici';
import { ENDPOINTS, pickEndpoint, totalDurationMs, vusAt, type Scenario } from '../../scenarios/index.js';
import type { LoadSecond } from '../k6/json-output.js';

export type { LoadSecond } from '../k6/json-output.js';

export interface EngineOptions {
  baseUrl: string;
  runId: string;
  scenario: Scenario;
  signal?: AbortSignal;
  /** Called once per wall-clock second with that second's numbers. */
  onSecond?: (s: LoadSecond) => void;
  /** A request taking longer than this counts as a timeout, ms. */
  requestTimeoutMs?: number;
}

/** Whole-run numbers; latencies in ms from one HdrHistogram over every answered request. */
export interface EngineResult {
  requests: number;
  accepted: number;
  errors: number;
  timeouts: number;
  durationMs: number;
  reqPerSec: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

interface Counters {
  requests: number;
  accepted: number;
  errors: number;
  timeouts: number;
  status4xx: number;
  status5xx: number;
}

const zero = (): Counters => ({ requests: 0, accepted: 0, errors: 0, timeouts: 0, status4xx: 0, status5xx: 0 });
/** Latencies are recorded in µs, 3 significant digits. */
const histogram = () => hdr.build({ numberOfSignificantValueDigits: 3 });
const percentileMs = (h: hdr.Histogram, q: number): number | null => (h.totalCount > 0 ? h.getValueAtPercentile(q) / 1000 : null);

export async function runScenario(opts: EngineOptions): Promise<EngineResult> {
  const { scenario } = opts;
  const peak = Math.max(1, scenario.startVUs, ...scenario.stages.map((s) => s.target));
  const pool = new Pool(opts.baseUrl, { connections: peak, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const total = zero();
  const whole = histogram();
  let second = zero();
  let secondHist = histogram();
  let secondStart = Math.floor(Date.now() / 1000) * 1000;
  let iteration = 0;
  const started = Date.now();
  const duration = totalDurationMs(scenario);
  let stopped = false;
  const vus: { retire: boolean; done: Promise<void> }[] = [];

  const record = (kind: keyof Counters, latencyUs?: number): void => {
    total[kind]++;
    second[kind]++;
    if (kind !== 'requests') {
      total.requests++;
      second.requests++;
    }
    if (latencyUs !== undefined) {
      whole.recordValue(latencyUs);
      secondHist.recordValue(latencyUs);
    }
  };

  const emitSecond = (until: number): void => {
    while (secondStart + 1000 <= until) {
      opts.onSecond?.({
        ts: secondStart,
        vus: vus.filter((v) => !v.retire).length,
        ...second,
        p50Ms: percentileMs(secondHist, 50),
        p95Ms: percentileMs(secondHist, 95),
        p99Ms: percentileMs(secondHist, 99),
        maxMs: secondHist.totalCount > 0 ? secondHist.maxValue / 1000 : null,
      });
      secondHist.destroy();
      second = zero();
      secondHist = histogram();
      secondStart += 1000;
    }
  };

  /** Think time; cut short when the run is aborted. */
  const sleep = async (ms: number): Promise<void> => {
    if (ms <= 0 || stopped) return;
    await delay(ms, undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => undefined);
  };

  const oneRequest = async (): Promise<void> => {
    const i = iteration++;
    const endpoint = ENDPOINTS[pickEndpoint(scenario.mix, Math.random())];
    const t0 = performance.now();
    try {
      const res = await pool.request({
        path: endpoint.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-run-id': opts.runId },
        body: JSON.stringify(endpoint.body(i)),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await res.body.dump();
      const us = Math.round((performance.now() - t0) * 1000);
      if (res.statusCode >= 200 && res.statusCode < 300) record('accepted', us);
      else if (res.statusCode >= 500) record('status5xx', us);
      else record('status4xx', us);
    } catch (err) {
      if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError) record('timeouts');
      else record('errors');
    }
  };

  const vu = (state: { retire: boolean }) => async (): Promise<void> => {
    while (!state.retire && !stopped) {
      await oneRequest();
      await sleep(scenario.thinkTimeMs.min + Math.random() * (scenario.thinkTimeMs.max - scenario.thinkTimeMs.min));
    }
  };

  const adjust = (): void => {
    const target = stopped ? 0 : vusAt(scenario, Date.now() - started);
    const active = vus.filter((v) => !v.retire);
    for (let n = active.length; n < target; n++) {
      const state = { retire: false, done: Promise.resolve() };
      state.done = vu(state)();
      vus.push(state);
    }
    for (const v of active.slice(target)) v.retire = true;
  };

  opts.signal?.addEventListener('abort', () => (stopped = true), { once: true });
  adjust();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      if (now - started >= duration) stopped = true;
      adjust();
      emitSecond(now);
      if (stopped) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
  });
  // Let every VU finish its request in flight (bounded by the request timeout).
  await Promise.all(vus.map((v) => v.done));
  emitSecond(Math.floor(Date.now() / 1000) * 1000 + 1000);
  await pool.close();
  const elapsed = Date.now() - started;
  const result: EngineResult = {
    ...total,
    durationMs: elapsed,
    reqPerSec: total.requests / (elapsed / 1000),
    p50Ms: percentileMs(whole, 50),
    p95Ms: percentileMs(whole, 95),
    p99Ms: percentileMs(whole, 99),
    maxMs: whole.totalCount > 0 ? whole.maxValue / 1000 : null,
  };
  whole.destroy();
  secondHist.destroy();
  return result;
}
