/**
 * What the collector fuzz needs to know about each collector route beyond its schema (see
 * requests.ts `FuzzTarget`): which routes take no input, which look a run up, which need the token,
 * and the window rules of the timeseries route.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  MAX_BUCKETS,
  TIMESERIES_METRICS,
  TIMESERIES_STEPS,
  TIMESERIES_STEP_NAMES,
  autoStep,
  bucketCount,
  type TimeseriesStep,
} from '@queuescope/contracts';
import fc, { type Arbitrary } from 'fast-check';
import { hostileString } from './arbitraries.js';
import { encodeSegment, type FuzzTarget } from './requests.js';
import collectorApp from '../../services/collector/src/app.js';
import { FuzzApp, type fuzzConfig } from './harness.js';

/** Where the dashboard is built; `/` answers a self-reloading 503 page while it is not (plugins/dashboard.ts). */
const DASHBOARD_INDEX = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));
const notBuiltPage = (status: number, body: string): boolean =>
  status === 503 && !existsSync(DASHBOARD_INDEX) && body.includes('not built yet');

/**
 * A path under a static root that names no file: under a directory named after this run, or a
 * traversal out of the root (which must be refused, never served).
 */
function missingFile(marker: string): Arbitrary<string> {
  return fc.oneof(
    fc
      .array(fc.oneof(hostileString, fc.constantFrom('index.html', '.env', 'assets', '..', '.')), { minLength: 1, maxLength: 3 })
      .map((segments) => [marker, ...segments.map((s) => (s === '..' || s === '.' ? `%2e${s.slice(1)}x` : encodeSegment(s)))].join('/')),
    fc.constantFrom(
      '..%2f..%2f..%2fpackage.json',
      '%2e%2e%2f%2e%2e%2fpackage.json',
      '..%5c..%5cpackage.json',
      '%252e%252e%252fpackage.json',
      '....%2f%2f....%2f%2fpackage.json',
      'assets%2f..%2f..%2f..%2f..%2fpackage.json',
      '%c0%ae%c0%ae%c0%afpackage.json',
      '%2fetc%2fpasswd',
      'index.html%00',
      `${marker}%00.js`,
      '.git%2fconfig',
      `${'a'.repeat(300)}`,
      `${marker}/${'b'.repeat(5000)}`,
      '%ZZ',
      '%',
    ),
  );
}

const ISO = (ms: number): string => new Date(ms).toISOString();
const YEAR_2020 = Date.UTC(2020, 0, 1);
const YEAR_2030 = Date.UTC(2030, 0, 1);
const DAY_MS = 24 * 3600 * 1000;

/** The window rules of `GET /api/v1/timeseries` (routes/timeseries.ts): true when the route refuses the parsed query. */
function windowInvalid(query: Record<string, string | string[]>): boolean {
  const { from, to, step } = query;
  if (typeof from !== 'string' || typeof to !== 'string' || typeof step !== 'string') return true;
  const a = new Date(from);
  const b = new Date(to);
  if (Number.isNaN(a.getTime()) || Number.isNaN(b.getTime())) return true;
  if (b.getTime() <= a.getTime() || b.getTime() - a.getTime() > DAY_MS) return true;
  const chosen: TimeseriesStep = step === 'auto' ? autoStep(a, b) : (step as TimeseriesStep);
  const seconds = TIMESERIES_STEPS[chosen];
  return seconds === undefined || bucketCount(a, b, seconds) > MAX_BUCKETS;
}

/** Valid windows: up to an hour at `auto` or a step that covers it in MAX_BUCKETS buckets. */
const validWindow = fc
  .tuple(
    fc.integer({ min: YEAR_2020, max: YEAR_2030 }),
    fc.integer({ min: 1, max: 3600_000 }),
    fc.constantFrom(...TIMESERIES_METRICS),
    fc.constantFrom('auto', ...TIMESERIES_STEP_NAMES),
  )
  .map(([from, length, metric, step]) => ({ metric, step, from: ISO(from), to: ISO(from + length) }))
  .filter((q) => !windowInvalid(q));

/** Schema-valid queries the route refuses: to not after from, over 24 h, too many buckets, impossible dates. */
const invalidWindow = fc
  .tuple(
    fc.integer({ min: YEAR_2020, max: YEAR_2030 }),
    fc.constantFrom(...TIMESERIES_METRICS),
    fc.constantFrom('equal', 'reversed', 'over-a-day', 'too-many-buckets', 'impossible-date'),
    fc.integer({ min: 1, max: 10 * DAY_MS }),
  )
  .map(([from, metric, how, n]) => {
    const q = { metric, step: 'auto', from: ISO(from), to: ISO(from + 1000) };
    if (how === 'equal') q.to = q.from;
    if (how === 'reversed') q.to = ISO(from - n);
    if (how === 'over-a-day') q.to = ISO(from + DAY_MS + n);
    if (how === 'too-many-buckets') Object.assign(q, { step: '1s', to: ISO(from + (MAX_BUCKETS + 1) * 1000 + (n % DAY_MS) / 10) });
    if (how === 'impossible-date') Object.assign(q, { from: '2026-02-30T25:61:00Z' });
    return { query: q, why: how };
  })
  .filter(({ query }) => windowInvalid(query));

/** Every collector route; `alwaysInvalid` routes look a run up by an id that names no run (404). */
/** Every collector route; `marker` names this run's never-existing files. */
export function collectorTargets(marker: string): readonly FuzzTarget[] {
  return [
    { method: 'GET', url: '/healthz', mode: 'open' },
    { method: 'GET', url: '/readyz', mode: 'open' },
    { method: 'GET', url: '/metrics', mode: 'open' },
    { method: 'GET', url: '/api/v1/ingest/status', mode: 'open' },
    { method: 'GET', url: '/api/v1/dead-letters', mode: 'reject' },
    { method: 'POST', url: '/api/v1/runs', mode: 'reject', auth: true },
    { method: 'GET', url: '/api/v1/runs', mode: 'reject' },
    { method: 'GET', url: '/api/v1/runs/:id', mode: 'reject', alwaysInvalid: true },
    { method: 'POST', url: '/api/v1/runs/:id/finish', mode: 'reject', auth: true, alwaysInvalid: true },
    { method: 'GET', url: '/api/v1/runs/:id/summary', mode: 'reject', alwaysInvalid: true },
    { method: 'GET', url: '/api/v1/runs/:id/diagnosis', mode: 'reject', alwaysInvalid: true },
    { method: 'GET', url: '/api/v1/runs/:id/timeseries', mode: 'reject', alwaysInvalid: true },
    { method: 'GET', url: '/api/v1/runs/:id/events', mode: 'reject', alwaysInvalid: true },
    { method: 'POST', url: '/api/v1/runs/:id/load-metrics', mode: 'reject', auth: true, alwaysInvalid: true },
    { method: 'POST', url: '/api/v1/runs/:id/client-summary', mode: 'reject', auth: true, alwaysInvalid: true },
    {
      method: 'GET',
      url: '/api/v1/timeseries',
      mode: 'reject',
      validQuery: validWindow,
      semanticallyInvalidQuery: invalidWindow,
      querySemanticallyInvalid: windowInvalid,
    },
    { method: 'GET', url: '/api/v1/compare', mode: 'reject', alwaysInvalid: true },
    { method: 'POST', url: '/api/v1/events', mode: 'reject', auth: true },
    // Run-time concurrency: every PUT is broken somewhere (an unknown queue, a bad body, no token),
    // so none may change the setting (store.ts snapshots it); GET with an unknown queue is a 400.
    { method: 'PUT', url: '/api/v1/queues/:queue/concurrency', mode: 'reject', auth: true },
    { method: 'GET', url: '/api/v1/queues/:queue/concurrency', mode: 'reject' },
    { method: 'GET', url: '/api/v1/runs/:id/concurrency-changes', mode: 'reject', alwaysInvalid: true },
    // Plain HTTP to the WebSocket route: 401 without the token, 404 with it (not an upgrade).
    { method: 'GET', url: '/api/v1/live', mode: 'reject', alwaysInvalid: true },
    // OpenAPI and Swagger UI: no input; their static files under a name that is no file.
    { method: 'GET', url: '/api/docs', mode: 'open' },
    { method: 'GET', url: '/api/docs/', mode: 'open' },
    { method: 'GET', url: '/api/docs/json', mode: 'open' },
    { method: 'GET', url: '/api/docs/yaml', mode: 'open' },
    { method: 'GET', url: '/api/docs/static/index.html', mode: 'open' },
    { method: 'GET', url: '/api/docs/static/swagger-initializer.js', mode: 'open' },
    { method: 'GET', url: '/api/docs/static/*', mode: 'reject', wildcard: missingFile(marker) },
    // The dashboard.
    { method: 'GET', url: '/', mode: 'open', alsoAllowed: notBuiltPage },
    { method: 'GET', url: '/favicon.ico', mode: 'open' },
    { method: 'GET', url: '/*', mode: 'reject', wildcard: missingFile(marker) },
  ];
}

/** The collector app the fuzz files drive: in-process, no samplers (they register no route, and their per-second work would only slow the fuzzing on 2 cores). */
export function buildCollectorFuzzApp(fuzz: ReturnType<typeof fuzzConfig>): Promise<FuzzApp> {
  const { config, collectorToken, runIdPrefix } = fuzz;
  return FuzzApp.build({
    plugin: collectorApp,
    pluginOptions: { config, samplers: false },
    serverOptions: { requestTimeout: 30_000 },
    config,
    token: collectorToken,
    runIdPrefix,
    authProbe: { method: 'POST', url: `/api/v1/runs/${runIdPrefix}probe/finish` },
  });
}
