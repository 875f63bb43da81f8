/**
 * The comparison rule on real SQL results: known latency series are written to QuestDB, each run's
 * side is read by the real queries (sample sizes, approx_percentile at q, q_lo, q_hi; the summary),
 * and the pure comparison is checked against what the rule must say for that data.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  rateZCritical,
  compareSides,
  DEFAULT_COMPARE_OPTIONS,
  loadSide,
  quantileLevels,
  twoProportionZ,
  type RunSide,
} from '../../src/analytics/compare.js';
import type { Database } from '../../src/db/database.js';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { questdbClient } from '../../../../test/support/questdb.js';
import { insertJobs, openDb, runOf, waitForRows, type JobSeries } from './fixture.js';

const { config } = testConfig();
const T0 = Date.now() - 30 * 60_000;
const N = 300;
/** Latency of job x in the narrow series: 10.1 … 20.0 ms (wait 1 + run 9.1 … 19). */
const narrow = (x: number): number => 10 + (x % 100) / 10;
const NARROW = { wait: '1', run: '9 + (x % 100) / 10.0' };

/** Exact nearest-rank quantile of `values`. */
function exact(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

describe('compare analytics on real SQL results', () => {
  let client: pg.Client;
  let app: FastifyInstance;
  let db: Kysely<Database>;
  const ids = { a: uniqueRunId('cmp-a'), b: uniqueRunId('cmp-b'), c: uniqueRunId('cmp-c'), d: uniqueRunId('cmp-d') };
  const sides = {} as Record<keyof typeof ids, RunSide>;

  const series = (queue: string, extra: Partial<JobSeries> = {}, n = N): JobSeries => ({
    queue,
    n,
    startMs: T0,
    stepMs: 20,
    ...NARROW,
    ...extra,
  });

  beforeAll(async () => {
    client = await questdbClient(config);
    ({ db, app } = await openDb(config));
    const plan: Record<keyof typeof ids, JobSeries[]> = {
      // a: the baseline. `email` has neither retries nor failures.
      a: [series('payment'), series('webhook'), series('notification'), series('email')],
      // b: payment identical, webhook 60.2 … 80 ms, no notification; email retries 60 of 300 jobs and fails 2.
      b: [series('payment'), series('webhook', { run: '59 + (x % 100) / 5.0' }), series('email', { retried: 60, failed: 2 })],
      // c: webhook 5 % slower than a; `wide` has 40 values 10, 20, … 400 ms.
      c: [series('webhook', { wait: '1.05', run: '(9 + (x % 100) / 10.0) * 1.05' }), series('wide', { wait: '0', run: 'x * 10.0' }, 40)],
      // d: `wide` 20 % slower than in c, still only 40 values.
      d: [series('wide', { wait: '0', run: 'x * 12.0' }, 40)],
    };
    for (const [key, list] of Object.entries(plan) as [keyof typeof ids, JobSeries[]][]) {
      let rows = 0;
      for (const s of list) rows += await insertJobs(client, ids[key], s);
      await waitForRows(client, ids[key], rows);
      sides[key] = await loadSide(db, config, runOf(ids[key], T0, T0 + 60_000));
    }
  });

  afterAll(async () => {
    await app?.close();
    await client?.end();
  });

  it('reads n, the point value and the order-statistic interval of each percentile from SQL', () => {
    const est = sides.a.percentiles.get('webhook')!.latency_p95_ms;
    const values = Array.from({ length: N }, (_, i) => narrow(i + 1));
    const half = 1.96 * Math.sqrt((0.95 * 0.05) / N);
    expect(est.n).toBe(N);
    expect(est.qLo).toBeCloseTo(0.95 - half, 12);
    expect(est.qHi).toBeCloseTo(0.95 + half, 12);
    expect(Math.abs(est.value! - exact(values, 0.95))).toBeLessThanOrEqual(0.2);
    expect(Math.abs(est.lo! - exact(values, est.qLo))).toBeLessThanOrEqual(0.2);
    expect(Math.abs(est.hi! - exact(values, est.qHi))).toBeLessThanOrEqual(0.2);
    expect(est.lo!).toBeLessThan(est.hi!);
    // The point value is the summary's own percentile (same SQL function, same rows).
    expect(est.value).toBe(sides.a.summary.queues.find((q) => q.queue === 'webhook')!.latency.p95);
    // Levels are clamped to [0, 1].
    expect(quantileLevels(0.99, 10)).toEqual({ qLo: 0.99 - 1.96 * Math.sqrt(0.0099 / 10), qHi: 1 });
  });

  it('marks a large, non-overlapping change worse and an identical distribution unchanged', () => {
    const cmp = compareSides(sides.a, sides.b, DEFAULT_COMPARE_OPTIONS);
    const webhook = cmp.queues.find((q) => q.queue === 'webhook')!.metrics.latency_p95_ms;
    expect(webhook.verdict).toBe('worse');
    expect(webhook.deltaPct!).toBeGreaterThan(250);
    expect(webhook.delta).toBeCloseTo(webhook.b! - webhook.a!, 9);
    expect(webhook.test.kind === 'percentile' && webhook.test.overlap).toBe(false);
    const payment = cmp.queues.find((q) => q.queue === 'payment')!.metrics;
    for (const m of ['latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms', 'wait_p95_ms', 'run_p95_ms'] as const)
      expect(payment[m].verdict, m).toBe('unchanged');
    expect(cmp.rule).toMatch(/1\.96/);
  });

  it('covers the union of queues: a queue missing in one run is no-data', () => {
    const cmp = compareSides(sides.a, sides.b, DEFAULT_COMPARE_OPTIONS);
    expect(cmp.queues.map((q) => q.queue)).toEqual(['email', 'notification', 'payment', 'webhook']);
    const notification = cmp.queues.find((q) => q.queue === 'notification')!;
    expect(notification.a?.jobs).toBe(N);
    expect(notification.b).toBeNull();
    expect(new Set(Object.values(notification.metrics).map((m) => m.verdict))).toEqual(new Set(['no-data']));
  });

  it('tests rates with a two-proportion z-test: 60 retries of 360 attempts is worse, 2 failures of 300 is not significant', () => {
    const email = compareSides(sides.a, sides.b, DEFAULT_COMPARE_OPTIONS).queues.find((q) => q.queue === 'email')!.metrics;
    expect(email.retry_rate).toMatchObject({ a: 0, b: 60 / 360, deltaPct: null, verdict: 'worse' });
    expect(email.retry_rate.test).toMatchObject({ kind: 'proportion', a: { events: 0, total: 300 }, b: { events: 60, total: 360 } });
    expect(email.failure_rate).toMatchObject({ a: 0, b: 2 / 300, verdict: 'unchanged' });
    const z = twoProportionZ(0, 300, 2, 300)!;
    expect(Math.abs(z)).toBeLessThan(1.96);
    expect(email.failure_rate.test).toMatchObject({ kind: 'proportion', z });
  });

  it('keeps the rate tests of a comparison at a 5 % family-wise error (Bonferroni): z 2.3 is called alone, not among four queues', () => {
    expect(rateZCritical(1)).toBeCloseTo(1.96, 2);
    expect(rateZCritical(2)).toBeCloseTo(2.24, 2);
    expect(rateZCritical(8)).toBeCloseTo(2.73, 2);
    // The A/A pair that read "worse" at 1.96: 4 retries of 204 attempts vs 14 of 214.
    const z = Math.abs(twoProportionZ(4, 204, 14, 214)!);
    expect(z).toBeGreaterThan(rateZCritical(1));
    expect(z).toBeLessThan(rateZCritical(8));
    // This comparison has four queues (eight rate tests): each is held to that z*.
    const cmp = compareSides(sides.a, sides.b, DEFAULT_COMPARE_OPTIONS);
    const reason = cmp.queues.find((q) => q.queue === 'email')!.metrics.failure_rate.reason;
    expect(reason).toContain(`< ${rateZCritical(8).toPrecision(3)}`);
  });

  it('needs the minimum effect and enough samples, not only disjoint intervals', () => {
    // c's webhook is 5 % slower: intervals are disjoint, the effect is below 10 %.
    const small = compareSides(sides.a, sides.c, DEFAULT_COMPARE_OPTIONS).queues.find((q) => q.queue === 'webhook')!.metrics.latency_p95_ms;
    expect(small.test.kind === 'percentile' && small.test.overlap).toBe(false);
    expect(small.verdict).toBe('unchanged');
    expect(small.reason).toMatch(/minEffectPct 10/);
    // Below the minimum effect's reach, 5 % of ~20 ms is still far under 5 % of webhook's 1000 ms SLO: it does not matter.
    const strict = compareSides(sides.a, sides.c, { minEffectPct: 2, minSamples: 30 }).queues.find((q) => q.queue === 'webhook')!.metrics
      .latency_p95_ms;
    expect(strict.verdict).toBe('unchanged');
    expect(strict.reason).toMatch(/practical threshold 50 \(5 % of the SLO p95 1000 ms\)/);
    // A queue without an SLO has no practical threshold: the statistics alone decide.
    const wide = compareSides(sides.c, sides.d, { minEffectPct: 2, minSamples: 30 }).queues.find((q) => q.queue === 'wide')!.metrics
      .run_p95_ms;
    expect(wide.reason).not.toMatch(/practical/);
    const few = compareSides(sides.a, sides.b, { minEffectPct: 10, minSamples: N + 1 }).queues.find((q) => q.queue === 'webhook')!.metrics
      .latency_p95_ms;
    expect(few.verdict).toBe('unchanged');
    expect(few.reason).toMatch(/too few values/);
    const huge = compareSides(sides.a, sides.b, { minEffectPct: 1000, minSamples: 30 }).queues.find((q) => q.queue === 'webhook')!.metrics
      .latency_p95_ms;
    expect(huge.verdict).toBe('unchanged');
  });

  it('overlapping intervals of a small sample are no significant change even at +20 %', () => {
    const wide = compareSides(sides.c, sides.d, DEFAULT_COMPARE_OPTIONS).queues.find((q) => q.queue === 'wide')!.metrics.latency_p50_ms;
    expect(wide.deltaPct!).toBeGreaterThan(10);
    expect(wide.test.kind === 'percentile' && wide.test.overlap).toBe(true);
    expect(wide.verdict).toBe('unchanged');
    expect(wide.reason).toBe('confidence intervals overlap');
  });

  it('a run compared with itself is unchanged everywhere', () => {
    const self = compareSides(sides.a, sides.a, DEFAULT_COMPARE_OPTIONS);
    const verdicts = new Set(self.queues.flatMap((q) => Object.values(q.metrics).map((m) => m.verdict)));
    expect(verdicts.has('better') || verdicts.has('worse')).toBe(false);
    expect(verdicts.has('unchanged')).toBe(true);
  });
});
