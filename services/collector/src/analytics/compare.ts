import {
  PERCENTILE_METRICS,
  type ChangeTest,
  type CompareMetric,
  type CompareOptions,
  type Config,
  type MetricComparison,
  type PercentileEstimate,
  type PercentileMetric,
  type QueueComparison,
  type QueueSummary,
  type Run,
  type RunComparison,
  type RunSummary,
  type SloTarget,
} from '@queuescope/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { percentileIntervals, sampleSizes, type PercentileSpec, type SampleSizes } from '../db/queries/compare.js';
import type { DurationColumn } from '../db/queries/durations.js';
import { runWindow, summarize } from './summary.js';
import { probit } from 'simple-statistics';

/**
 * How two runs are compared, metric by metric (also returned as `rule` in every response).
 *
 * - Percentiles (latency p50/p95/p99, wait p95, run p95): each run gets a distribution-free ~95 %
 *   confidence interval from order statistics. With n values and quantile q, the levels
 *   q_lo/hi = q ∓ 1.96·√(q(1−q)/n), clamped to [0, 1], and the interval is
 *   [approx_percentile(v, q_lo, 3), approx_percentile(v, q_hi, 3)], computed by SQL.
 *   A change is significant when the two intervals do not overlap, |Δ%| ≥ minEffectPct and both
 *   runs have at least minSamples values.
 * - Rates (retry rate = retries / attempts, failure rate = failed / finished jobs): two-proportion
 *   z-test on the counts (pooled), significant when |z| ≥ z* and |Δ%| ≥ minEffectPct, where z* is
 *   Bonferroni-corrected over the m rate tests of the comparison (two per queue): the chance that
 *   any of them is called on identical runs stays 5 % (z* = Φ⁻¹(1 − 0.05/(2m)): 2.24 for one queue,
 *   2.63 for three), instead of growing with the number of queues (an A/A pair of three queues
 *   at 1.96 called a retry rate of 4/204 vs 14/214 "worse").
 * - Throughput, stalled attempts and peak waiting depth have no sampling distribution here:
 *   significant when |Δ%| ≥ minEffectPct.
 *
 * - Practical threshold (so an A/A pair of identical runs reads `unchanged`): a change must also be
 *   large enough to matter. Durations: |Δ| ≥ 5 % of the queue's SLO target (p95 target for p50, p95,
 *   wait and run; p99 target for p99). Failure rate: |Δ| ≥ 20 % of the SLO's error-rate budget.
 *   Retry rate: |Δ| ≥ 1 percentage point. Stalled attempts and peak waiting: |Δ| ≥ 10 jobs.
 *   Throughput: |Δ| ≥ 25 % of run a's (the retry tail of a short run moves it by 10 %+).
 *   Queues without an SLO (attached apps) have no duration or failure-rate threshold.
 *
 * Δ = b − a and Δ% = (b − a) / a · 100 (null when a is 0 or missing; from a = 0 any non-zero
 * change passes the minimum effect). A significant change is `better` or `worse` by direction:
 * lower is better for everything except throughput. Otherwise `unchanged` (no significant change);
 * `no-data` when either run lacks the value.
 */
export const COMPARE_RULE =
  'Percentiles (latency p50/p95/p99, wait p95, run p95): per run a distribution-free ~95 % confidence interval from order statistics, ' +
  '[approx_percentile(v, q_lo, 3), approx_percentile(v, q_hi, 3)] with q_lo/hi = q ∓ 1.96·sqrt(q(1−q)/n) clamped to [0, 1], computed by SQL; ' +
  'significant when the intervals do not overlap AND |deltaPct| ≥ minEffectPct AND both runs have ≥ minSamples values. ' +
  'Rates (retry rate = retries/attempts, failure rate = failed/finished): pooled two-proportion z-test on the counts, significant when |z| ≥ z* AND |deltaPct| ≥ minEffectPct, ' +
  'z* Bonferroni-corrected over the m rate tests of the comparison (two per queue): z* = Φ⁻¹(1 − 0.05/(2m)), so identical runs see any rate called with 5 % chance at most. ' +
  'Throughput, stalled and peak waiting depth (no sampling distribution): significant when |deltaPct| ≥ minEffectPct. ' +
  "Practical threshold, also required: durations |delta| ≥ 5 % of the queue's SLO target (p95 target; p99 target for latency p99); " +
  "failure rate |delta| ≥ 20 % of the SLO error-rate budget; retry rate |delta| ≥ 1 percentage point; stalled and peak waiting |delta| ≥ 10 jobs; throughput |delta| ≥ 25 % of run a's; no duration or failure-rate threshold for queues without an SLO. " +
  'delta = b − a; deltaPct = (b − a)/a·100, null when a is 0 or missing (then any non-zero change passes the minimum effect). ' +
  'Significant changes are better/worse by direction (lower is better except throughput); otherwise unchanged; no-data when either run lacks the value.';

/** z of a two-sided 95 % interval or test. */
export const Z95 = 1.96;

/** Family-wise error rate of a comparison's rate tests. */
const RATE_FWER = 0.05;

/** z* of each of `tests` two-sided rate tests so that all of them together keep {@link RATE_FWER} (Bonferroni). */
export function rateZCritical(tests: number): number {
  return probit(1 - RATE_FWER / (2 * Math.max(1, tests)));
}

/** Share of a queue's SLO target a duration must move by to matter (see {@link COMPARE_RULE}). */
export const SLO_SHARE = 0.05;
/** Share of the SLO's error-rate budget the failure rate must move by to matter. */
export const ERROR_BUDGET_SHARE = 0.2;
/** Smallest retry-rate change that matters, as a rate (1 percentage point). */
export const MIN_RETRY_RATE_DELTA = 0.01;
/** Smallest change of a job count (stalled attempts, peak waiting) that matters, jobs. */
export const MIN_COUNT_DELTA = 10;
/**
 * Smallest throughput change that matters, as a share of run a's: a run's throughput is finished
 * jobs ÷ (last − first event), and a few retries with backoff at the end of a short run move it by
 * 10 % or more between identical runs (measured: webhook 29.6 → 32.7 jobs/s in an A/A pair).
 */
export const THROUGHPUT_SHARE = 0.25;

/**
 * The smallest |Δ| of `metric` that matters for a queue with SLO `slo`, in the metric's unit, and
 * what it is in words; 0 when there is none.
 */
export function practicalThreshold(metric: CompareMetric, slo: SloTarget | null, a = 0): { min: number; what: string } {
  switch (metric) {
    case 'latency_p99_ms':
      return slo
        ? { min: SLO_SHARE * slo.p99Ms, what: `${SLO_SHARE * 100} % of the SLO p99 ${slo.p99Ms} ms` }
        : { min: 0, what: 'none (no SLO)' };
    case 'latency_p50_ms':
    case 'latency_p95_ms':
    case 'wait_p95_ms':
    case 'run_p95_ms':
      return slo
        ? { min: SLO_SHARE * slo.p95Ms, what: `${SLO_SHARE * 100} % of the SLO p95 ${slo.p95Ms} ms` }
        : { min: 0, what: 'none (no SLO)' };
    case 'failure_rate':
      return slo
        ? { min: ERROR_BUDGET_SHARE * slo.maxErrorRate, what: `${ERROR_BUDGET_SHARE * 100} % of the SLO error rate ${slo.maxErrorRate}` }
        : { min: 0, what: 'none (no SLO)' };
    case 'retry_rate':
      return { min: MIN_RETRY_RATE_DELTA, what: '1 percentage point' };
    case 'stalled':
    case 'peak_waiting':
      return { min: MIN_COUNT_DELTA, what: `${MIN_COUNT_DELTA} jobs` };
    case 'throughput_per_s':
      return { min: THROUGHPUT_SHARE * Math.abs(a), what: `${THROUGHPUT_SHARE * 100} % of run a's throughput` };
  }
}

export const DEFAULT_COMPARE_OPTIONS: Readonly<CompareOptions> = Object.freeze({ minEffectPct: 10, minSamples: 30 });

/** The duration column and quantile of each percentile metric. */
const PERCENTILE_SPECS = {
  latency_p50_ms: { column: 'latency_ms', q: 0.5 },
  latency_p95_ms: { column: 'latency_ms', q: 0.95 },
  latency_p99_ms: { column: 'latency_ms', q: 0.99 },
  wait_p95_ms: { column: 'wait_ms', q: 0.95 },
  run_p95_ms: { column: 'run_ms', q: 0.95 },
} as const satisfies Record<PercentileMetric, { column: DurationColumn; q: number }>;

/** One run's side of a queue: its summary and its percentile estimates (SQL). */
export interface QueueSide {
  summary: QueueSummary;
  percentiles: Record<PercentileMetric, PercentileEstimate>;
}

/** One run as the comparison reads it: its summary and, per queue, its percentile estimates. */
export interface RunSide {
  summary: RunSummary;
  percentiles: Map<string, Record<PercentileMetric, PercentileEstimate>>;
}

/** Quantile levels of the order-statistic interval for quantile `q` of `n` values, clamped to [0, 1]. */
export function quantileLevels(q: number, n: number): { qLo: number; qHi: number } {
  if (n <= 0) return { qLo: q, qHi: q };
  const half = Z95 * Math.sqrt((q * (1 - q)) / n);
  return { qLo: Math.max(0, q - half), qHi: Math.min(1, q + half) };
}

/** Pooled two-proportion z statistic of x2/n2 against x1/n1; null without counts or variance. */
export function twoProportionZ(x1: number, n1: number, x2: number, n2: number): number | null {
  if (n1 <= 0 || n2 <= 0) return null;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  return se > 0 ? (x2 / n2 - x1 / n1) / se : null;
}

interface Effect {
  delta: number;
  deltaPct: number | null;
  /** |Δ%| ≥ minEffectPct, or a non-zero change from 0. */
  large: boolean;
}

function effect(a: number, b: number, minEffectPct: number): Effect {
  const delta = b - a;
  const deltaPct = a !== 0 ? (delta / a) * 100 : null;
  return { delta, deltaPct, large: delta !== 0 && (deltaPct === null || Math.abs(deltaPct) >= minEffectPct) };
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toPrecision(3));

function verdictOf(
  metric: CompareMetric,
  a: number | null,
  b: number | null,
  test: ChangeTest,
  significant: (e: Effect) => string | null,
  opts: CompareOptions,
  slo: SloTarget | null,
): MetricComparison {
  const lowerIsBetter = metric !== 'throughput_per_s';
  if (a === null || b === null) {
    return {
      metric,
      lowerIsBetter,
      a,
      b,
      delta: null,
      deltaPct: null,
      verdict: 'no-data',
      reason: `no value in run ${a === null ? 'a' : 'b'}`,
      test,
    };
  }
  const e = effect(a, b, opts.minEffectPct);
  const base = { metric, lowerIsBetter, a, b, delta: e.delta, deltaPct: e.deltaPct, test };
  if (!e.large) {
    const reason = e.delta === 0 ? 'no change' : `|deltaPct| ${fmt(Math.abs(e.deltaPct ?? 0))} < minEffectPct ${opts.minEffectPct}`;
    return { ...base, verdict: 'unchanged', reason };
  }
  const threshold = practicalThreshold(metric, slo, a);
  if (Math.abs(e.delta) < threshold.min) {
    return {
      ...base,
      verdict: 'unchanged',
      reason: `|delta| ${fmt(Math.abs(e.delta))} < practical threshold ${fmt(threshold.min)} (${threshold.what})`,
    };
  }
  const notSignificant = significant(e);
  if (notSignificant) return { ...base, verdict: 'unchanged', reason: notSignificant };
  const improved = lowerIsBetter ? b < a : b > a;
  return { ...base, verdict: improved ? 'better' : 'worse', reason: 'significant change' };
}

function comparePercentile(
  metric: PercentileMetric,
  a: PercentileEstimate | null,
  b: PercentileEstimate | null,
  opts: CompareOptions,
  slo: SloTarget | null,
): MetricComparison {
  const bounded = a?.lo != null && a.hi != null && b?.lo != null && b.hi != null;
  const overlap = bounded ? a.lo! <= b.hi! && b.lo! <= a.hi! : null;
  const test: ChangeTest = { kind: 'percentile', a, b, overlap };
  return verdictOf(
    metric,
    a?.value ?? null,
    b?.value ?? null,
    test,
    () => {
      const [na, nb] = [a?.n ?? 0, b?.n ?? 0];
      if (na < opts.minSamples || nb < opts.minSamples) return `too few values (a: ${na}, b: ${nb}; minSamples ${opts.minSamples})`;
      if (overlap !== false) return 'confidence intervals overlap';
      return null;
    },
    opts,
    slo,
  );
}

function compareProportion(
  metric: 'retry_rate' | 'failure_rate',
  a: QueueSummary | null,
  b: QueueSummary | null,
  opts: CompareOptions,
  slo: SloTarget | null,
  zCritical: number,
): MetricComparison {
  const counts = (s: QueueSummary | null): { events: number; total: number } | null => {
    if (!s) return null;
    return metric === 'retry_rate' ? { events: s.retries, total: s.attempts } : { events: s.failed, total: s.completed + s.failed };
  };
  const [ca, cb] = [counts(a), counts(b)];
  const z = ca && cb ? twoProportionZ(ca.events, ca.total, cb.events, cb.total) : null;
  const value = (s: QueueSummary | null): number | null => (s ? (metric === 'retry_rate' ? s.retryRate : s.failureRate) : null);
  return verdictOf(
    metric,
    value(a),
    value(b),
    { kind: 'proportion', a: ca, b: cb, z },
    () => (z === null || Math.abs(z) < zCritical ? `|z| ${z === null ? 'undefined' : fmt(Math.abs(z))} < ${fmt(zCritical)}` : null),
    opts,
    slo,
  );
}

function compareEffect(
  metric: 'throughput_per_s' | 'stalled' | 'peak_waiting',
  a: QueueSummary | null,
  b: QueueSummary | null,
  opts: CompareOptions,
  slo: SloTarget | null,
): MetricComparison {
  const value = (s: QueueSummary | null): number | null => {
    if (!s) return null;
    if (metric === 'throughput_per_s') return s.throughput;
    return metric === 'stalled' ? s.stalled : (s.peakDepth?.waiting ?? null);
  };
  return verdictOf(metric, value(a), value(b), { kind: 'effect' }, () => null, opts, slo);
}

/** Compare one queue of two runs, metric by metric, by {@link COMPARE_RULE}. Pure. */
/** One queue's metrics; `zRate` is the rate tests' critical z ({@link rateZCritical} of the whole comparison). */
export function compareQueue(
  queue: string,
  a: QueueSide | null,
  b: QueueSide | null,
  opts: CompareOptions,
  zRate = rateZCritical(2),
): QueueComparison {
  const [sa, sb] = [a?.summary ?? null, b?.summary ?? null];
  // The SLO the queue is judged by now (run b), else the one run a had.
  const slo = sb?.slo.target ?? sa?.slo.target ?? null;
  const metrics = {} as Record<CompareMetric, MetricComparison>;
  for (const m of PERCENTILE_METRICS) {
    metrics[m] = comparePercentile(m, a?.percentiles[m] ?? null, b?.percentiles[m] ?? null, opts, slo);
  }
  metrics.throughput_per_s = compareEffect('throughput_per_s', sa, sb, opts, slo);
  metrics.retry_rate = compareProportion('retry_rate', sa, sb, opts, slo, zRate);
  metrics.failure_rate = compareProportion('failure_rate', sa, sb, opts, slo, zRate);
  metrics.stalled = compareEffect('stalled', sa, sb, opts, slo);
  metrics.peak_waiting = compareEffect('peak_waiting', sa, sb, opts, slo);
  return { queue, a: sa, b: sb, metrics };
}

/**
 * Compare two runs over the union of their queues (sorted by name), or over those of it in `only`;
 * `truncatedQueues` counts the queues of the union left out. Pure.
 */
export function compareSides(a: RunSide, b: RunSide, opts: CompareOptions, only?: ReadonlySet<string>): RunComparison {
  const side = (s: RunSide, queue: string): QueueSide | null => {
    const summary = s.summary.queues.find((q) => q.queue === queue);
    const percentiles = s.percentiles.get(queue);
    return summary && percentiles ? { summary, percentiles } : null;
  };
  const names = [...new Set([...a.summary.queues, ...b.summary.queues].map((q) => q.queue))].sort();
  const shown = only ? names.filter((q) => only.has(q)) : names;
  const zRate = rateZCritical(2 * shown.length);
  return {
    rule: COMPARE_RULE,
    options: { ...opts },
    a: { run: a.summary.run, verdict: a.summary.verdict },
    b: { run: b.summary.run, verdict: b.summary.verdict },
    queues: shown.map((queue) => compareQueue(queue, side(a, queue), side(b, queue), opts, zRate)),
    truncatedQueues: names.length - shown.length,
  };
}

/** The `max` queues with the most accepted jobs over both summaries (ties by name). */
export function busiestQueues(a: RunSummary, b: RunSummary, max: number): Set<string> {
  const jobs = new Map<string, number>();
  for (const q of [...a.queues, ...(b === a ? [] : b.queues)]) jobs.set(q.queue, (jobs.get(q.queue) ?? 0) + q.jobs);
  const ranked = [...jobs].sort(([qa, na], [qb, nb]) => nb - na || (qa < qb ? -1 : qa > qb ? 1 : 0));
  return new Set(ranked.slice(0, max).map(([q]) => q));
}

/** The SQL specs of every percentile metric for a queue whose columns hold `sizes` values. */
export function percentileSpecs(sizes: Record<DurationColumn, number>): { metric: PercentileMetric; n: number; spec: PercentileSpec }[] {
  return (Object.entries(PERCENTILE_SPECS) as [PercentileMetric, { column: DurationColumn; q: number }][]).map(
    ([metric, { column, q }]) => {
      const n = sizes[column];
      return { metric, n, spec: { column, q, ...quantileLevels(q, n) } };
    },
  );
}

/** Per queue of `sizes` that is in `only` (all when not given): the percentile intervals (SQL, up to three statements per queue). */
async function percentilesOf(
  db: Kysely<Database>,
  run: Run,
  sizes: Map<string, SampleSizes>,
  only?: ReadonlySet<string>,
): Promise<Map<string, Record<PercentileMetric, PercentileEstimate>>> {
  const window = runWindow(run);
  const percentiles = new Map<string, Record<PercentileMetric, PercentileEstimate>>();
  await Promise.all(
    [...sizes]
      .filter(([queue]) => !only || only.has(queue))
      .map(async ([queue, n]) => {
        const specs = percentileSpecs(n);
        const intervals = await percentileIntervals(
          db,
          { runId: run.id, queue, window },
          specs.map((s) => s.spec),
        );
        const estimates = {} as Record<PercentileMetric, PercentileEstimate>;
        specs.forEach(({ metric, n: count, spec }, i) => {
          estimates[metric] = { n: count, q: spec.q, qLo: spec.qLo, qHi: spec.qHi, ...intervals[i]! };
        });
        percentiles.set(queue, estimates);
      }),
  );
  return percentiles;
}

/** One run's summary and sample sizes (SQL; a fixed number of statements whatever its queues). */
async function summaryAndSizes(
  db: Kysely<Database>,
  config: Config,
  run: Run,
): Promise<{ summary: RunSummary; sizes: Map<string, SampleSizes> }> {
  const [summary, sizes] = await Promise.all([summarize(db, config, run), sampleSizes(db, run.id, runWindow(run))]);
  return { summary, sizes };
}

/** Read one run's side: its summary (SQL), sample sizes (SQL), then per queue the percentile intervals (SQL). */
export async function loadSide(db: Kysely<Database>, config: Config, run: Run): Promise<RunSide> {
  const { summary, sizes } = await summaryAndSizes(db, config, run);
  return { summary, percentiles: await percentilesOf(db, run, sizes) };
}

/**
 * Compare run `b` against run `a` (a may equal b). All statistics by SQL; the tests' arithmetic here.
 * Each queue costs its own percentile statements, so only the `maxQueues` busiest (most accepted
 * jobs over both runs; COLLECTOR_MAX_QUEUES_PER_REQUEST) are compared; `truncatedQueues` counts the rest.
 */
export async function compareRuns(
  db: Kysely<Database>,
  config: Config,
  a: Run,
  b: Run,
  opts: CompareOptions,
  maxQueues = config.collector.limits.maxQueuesPerRequest,
): Promise<RunComparison> {
  const [ra, rb] = await Promise.all([summaryAndSizes(db, config, a), a.id === b.id ? undefined : summaryAndSizes(db, config, b)]);
  const keep = busiestQueues(ra.summary, rb?.summary ?? ra.summary, maxQueues);
  const [pa, pb] = await Promise.all([percentilesOf(db, a, ra.sizes, keep), rb ? percentilesOf(db, b, rb.sizes, keep) : undefined]);
  const sa: RunSide = { summary: ra.summary, percentiles: pa };
  const sb: RunSide | undefined = rb && pb ? { summary: rb.summary, percentiles: pb } : undefined;
  return compareSides(sa, sb ?? sa, opts, keep);
}
