/**
 * Load scenarios, defined once as data. The built-in engine (src/engine) and the k6 script
 * (k6/run.ts) both read this file, so it imports nothing: k6 loads local files, not npm packages.
 */

/** The demo endpoints a VU hits, one per queue. */
export type Endpoint = 'payment' | 'notification' | 'webhook';

/** VUs ramp linearly from the previous target to `target` over `duration` (k6 ramping-vus semantics). */
export interface Stage {
  duration: string;
  target: number;
}

export interface Scenario {
  name: string;
  description: string;
  startVUs: number;
  stages: Stage[];
  /** Share of iterations per endpoint; sums to 1. */
  mix: Record<Endpoint, number>;
  /** Pause between two iterations of one VU, ms. */
  thinkTimeMs: { min: number; max: number };
}

const MIX: Record<Endpoint, number> = { payment: 0.5, notification: 0.3, webhook: 0.2 };
const THINK = { min: 200, max: 800 };

export const SCENARIOS: Record<string, Scenario> = {
  smoke: {
    name: 'smoke',
    description: 'a few VUs for 20 s: does everything work?',
    startVUs: 1,
    stages: [
      { duration: '5s', target: 5 },
      { duration: '10s', target: 5 },
      { duration: '5s', target: 0 },
    ],
    mix: MIX,
    thinkTimeMs: THINK,
  },
  light: {
    name: 'light',
    description: '100 VUs: ramp 15 s, hold 45 s, ramp down 10 s',
    startVUs: 0,
    stages: [
      { duration: '15s', target: 100 },
      { duration: '45s', target: 100 },
      { duration: '10s', target: 0 },
    ],
    mix: MIX,
    thinkTimeMs: THINK,
  },
  medium: {
    name: 'medium',
    description: '250 VUs: ramp 20 s, hold 60 s, ramp down 10 s',
    startVUs: 0,
    stages: [
      { duration: '20s', target: 250 },
      { duration: '60s', target: 250 },
      { duration: '10s', target: 0 },
    ],
    mix: MIX,
    thinkTimeMs: THINK,
  },
  heavy: {
    name: 'heavy',
    description: '500 VUs: ramp 30 s, hold 90 s, ramp down 15 s',
    startVUs: 0,
    stages: [
      { duration: '30s', target: 500 },
      { duration: '90s', target: 500 },
      { duration: '15s', target: 0 },
    ],
    mix: MIX,
    thinkTimeMs: THINK,
  },
  extreme: {
    name: 'extreme',
    description: '1000 VUs with almost no think time: ramp 10 s, hold 60 s, ramp down 10 s',
    startVUs: 0,
    stages: [
      { duration: '10s', target: 1000 },
      { duration: '60s', target: 1000 },
      { duration: '10s', target: 0 },
    ],
    mix: MIX,
    thinkTimeMs: { min: 0, max: 50 },
  },
  spike: {
    name: 'spike',
    description: '10 VUs, a burst to 800 VUs in 5 s held 20 s, back to 10',
    startVUs: 10,
    stages: [
      { duration: '20s', target: 10 },
      { duration: '5s', target: 800 },
      { duration: '20s', target: 800 },
      { duration: '5s', target: 10 },
      { duration: '20s', target: 10 },
    ],
    mix: MIX,
    thinkTimeMs: THINK,
  },
  soak: {
    name: 'soak',
    description: '150 VUs for 30 minutes: leaks, drift, growing queues',
    startVUs: 0,
    stages: [
      { duration: '1m', target: 150 },
      { duration: '28m', target: 150 },
      { duration: '1m', target: 0 },
    ],
    mix: MIX,
    thinkTimeMs: THINK,
  },
};

export const scenarioNames: string[] = Object.keys(SCENARIOS);

export function getScenario(name: string): Scenario {
  const s = SCENARIOS[name];
  if (!s) throw new Error(`unknown scenario '${name}' (known: ${scenarioNames.join(', ')})`);
  return s;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A k6 duration (`30s`, `2m`, `500ms`, `1m30s`) → ms. */
export function durationMs(text: string): number {
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) throw new Error(`invalid stage duration '${text}' (k6 form: 30s, 2m, 500ms, 1m30s)`);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let ms = 0;
  for (let m = part.exec(text); m; m = part.exec(text)) ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms;
}

/** Sum of the stage durations, ms. */
export function totalDurationMs(s: Scenario): number {
  return s.stages.reduce((n, st) => n + durationMs(st.duration), 0);
}

/** The most VUs the scenario ever runs at once. */
export function peakVus(s: Scenario): number {
  return Math.max(s.startVUs, ...s.stages.map((st) => st.target));
}

/** VUs at `elapsedMs` into the scenario: linear between stage targets, like k6's ramping-vus; 0 once it is over. */
export function vusAt(s: Scenario, elapsedMs: number): number {
  if (elapsedMs < 0) return s.startVUs;
  let from = s.startVUs;
  let t = 0;
  for (const st of s.stages) {
    const d = durationMs(st.duration);
    if (elapsedMs < t + d) return Math.round(from + ((st.target - from) * (elapsedMs - t)) / d);
    t += d;
    from = st.target;
  }
  return 0;
}

/**
 * The scenario stretched or shrunk to `durationMs` in total (stages keep their proportions; the
 * stage ends are rounded so the total is exact) and its VUs scaled so the peak is `vus`. For the
 * CLI's `--duration` / `--vus` and the k6 script's DURATION_MS / VUS.
 */
export function scaleStages(s: Scenario, by: { durationMs?: number | undefined; vus?: number | undefined }): Scenario {
  for (const [key, v] of Object.entries(by)) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new Error(`${key} must be a positive number, got ${String(v)}`);
  }
  const total = totalDurationMs(s);
  const timeFactor = by.durationMs && total > 0 ? by.durationMs / total : 1;
  const peak = peakVus(s);
  const vusFactor = by.vus && peak > 0 ? by.vus / peak : 1;
  let end = 0;
  let roundedEnd = 0;
  const stages = s.stages.map((st) => {
    end += durationMs(st.duration) * timeFactor;
    const ms = Math.round(end) - roundedEnd;
    roundedEnd += ms;
    return { duration: `${ms}ms`, target: Math.round(st.target * vusFactor) };
  });
  return { ...s, startVUs: Math.round(s.startVUs * vusFactor), stages };
}

/** Pick an endpoint by the mix, from a uniform `r` in [0, 1). */
export function pickEndpoint(mix: Record<Endpoint, number>, r: number): Endpoint {
  let acc = 0;
  for (const e of ['payment', 'notification', 'webhook'] as const) {
    acc += mix[e];
    if (r < acc) return e;
  }
  return 'webhook';
}

/** Path and a valid body (services/producer/src/schemas.ts) for each endpoint; `i` varies the payload. */
export const ENDPOINTS: Record<Endpoint, { path: string; body: (i: number) => Record<string, unknown> }> = {
  payment: { path: '/api/v1/payments', body: (i) => ({ amount: 1 + (i % 500), currency: 'EUR', customerId: `c-${i % 1000}` }) },
  notification: {
    path: '/api/v1/notifications',
    body: (i) => ({ channel: (['email', 'sms', 'push'] as const)[i % 3], to: `user-${i % 1000}@example.com`, message: `hello #${i}` }),
  },
  webhook: {
    path: '/api/v1/webhooks',
    body: (i) => ({ url: `https://hooks.example.com/${i % 50}`, event: 'order.created', payload: { order: i } }),
  },
};
