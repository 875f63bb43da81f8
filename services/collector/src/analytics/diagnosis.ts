import { isQueueName, type Config, type QueueProfile } from '@queuescope/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { latestWaiting, topErrors, workersPerQueue, type ErrorCount } from '../db/queries/diagnosis.js';
import type { Run } from '../db/queries/runs.js';
import { runWindow, summarize, type QueueSummary, type SloCheck, type Verdict } from './summary.js';

/**
 * Why a queue misses its SLO, and what to change.
 *
 * Every statistic comes from SQL: the run summary (`summarize`: arrival rate λ, mean run time S,
 * percentiles, counts, peak depth, SLO checks), the distinct worker processes per queue, the latest
 * sampled backlog and the top error texts. Only the arithmetic that combines them is done here:
 * severity, utilisation ρ = λ·(S/1000)/c, the recommended concurrency c* = ⌈λ·(S/1000)/0.7⌉
 * (Little's law: busy slots = λ·S, at a target utilisation of 0.7) and the backlog's drain time
 * backlog / (service rate − λ), with service rate = min(c/(S/1000), measured throughput).
 *
 * Causes are checked in this order; the first that holds is the dominant cause, the others are
 * listed as secondary (each cause once, with every condition that raised it):
 * 1. `retrying` — the failure rate exceeds the SLO error rate (no latency tuning fixes that);
 * 2. `waiting`  — utilisation ρ ≥ 0.85: the queue is saturated and everything waits behind it;
 * 3. `stalling` — stalled attempts > 0: a fault (dead worker, blocked event loop) that costs a
 *    full lock duration and a retry per stall;
 * 4. `retrying` — retry rate ≥ 0.1: retries add load and backoff to latency;
 * 5. `waiting`  — a latency check fails and wait p95 ≥ run p95 (waiting is the larger share);
 * 6. `running`  — a latency check fails and run p95 > wait p95 (the handler itself is slow).
 * Checks 5 and 6 split a latency miss, so they apply only when a latency check fails; a passing
 * queue gets a cause only from the warning checks 2–4.
 *
 * Queues rank by severity = max over SLO checks of actual/target (≥ 1 means the check fails);
 * failing queues first, then the rest (healthy ones have `healthy: true`).
 */
export const DIAGNOSIS_RULE =
  'Ranking: severity = max over SLO checks (latency p95, latency p99, error rate) of actual/target; failing queues first, then the rest, by severity. ' +
  'Causes, in order (first = dominant, others secondary): 1 retrying if failure rate exceeds the SLO error rate; 2 waiting if utilisation ρ = λ·(S/1000)/c ≥ 0.85; ' +
  '3 stalling if any attempt stalled; 4 retrying if retry rate ≥ 0.1; 5 waiting if a latency check fails and wait p95 ≥ run p95; 6 running if a latency check fails and run p95 > wait p95. ' +
  'λ (arrival, jobs/s), S (mean run time, ms), percentiles, counts, workers, backlog and errors come from SQL; ρ, c* = ceil(λ·(S/1000)/0.7) and drain time = backlog/(service rate − λ) are arithmetic on them.';

export type Cause = 'waiting' | 'running' | 'retrying' | 'stalling';

/** Utilisation the recommended concurrency aims at. */
export const TARGET_UTILISATION = 0.7;
/** Utilisation at and above which a queue counts as saturated. */
export const SATURATED_UTILISATION = 0.85;
/** Retry rate (retries per attempt) at and above which retries are a cause. */
export const RETRY_RATE_CAUSE = 0.1;
/** Severity of a missed check whose target is 0 (no failures allowed), where actual/target is undefined. */
const ZERO_TARGET_SEVERITY = 1000;

/** Capacity of one queue in the run: arrival, service time, slots and utilisation. */
export interface Capacity {
  /** λ, accepted jobs per second (SQL). */
  arrivalRate: number | null;
  /** S, mean processing time of one attempt, ms (SQL). */
  meanRunMs: number | null;
  /** Worker processes serving the queue, and where that number came from. */
  workers: number | null;
  workersSource: 'run-config' | 'events' | null;
  /** Jobs one worker process runs at once, and where that number came from. */
  perProcessConcurrency: number | null;
  perProcessSource: 'run-config' | 'collector-config' | null;
  /** c = per-process concurrency × worker processes. */
  concurrency: number | null;
  /** ρ = λ·(S/1000)/c; ≥ 1 means arrivals outpace the slots. */
  utilisation: number | null;
}

export type Finding = {
  /** The conditions that raised this cause, in words. */
  because: string[];
} & (
  | {
      cause: 'waiting';
      evidence: { arrivalRate: number | null; meanRunMs: number | null; concurrency: number | null; utilisation: number | null; waitP95Ms: number | null; runP95Ms: number | null; peakWaiting: number | null };
      recommendation: {
        text: string;
        /** c*, total slots across all worker processes. */
        concurrency: number | null;
        perProcessConcurrency: number | null;
        workers: number | null;
        /** Jobs waiting: the latest `queue_depth` sample of the run, else the peak. */
        backlog: number | null;
        backlogSource: 'queue_depth' | 'peak' | null;
        /** Completions per second: min(c/(S/1000), measured throughput). */
        serviceRate: number | null;
        /** Whether the service rate exceeds the arrival rate. */
        drains: boolean | null;
        /** backlog / (service rate − λ), s; null when it does not drain or is unknown. */
        drainSeconds: number | null;
      };
    }
  | {
      cause: 'running';
      evidence: { runP50Ms: number | null; runP95Ms: number | null; waitP95Ms: number | null; latencyP95Ms: number | null; sloP95Ms: number | null };
      recommendation: { text: string; /** Run p95 that would keep latency p95 under the SLO (SLO p95 − wait p95), ms. */ targetRunP95Ms: number | null };
    }
  | {
      cause: 'retrying';
      evidence: { retries: number; retryRate: number | null; failed: number; failureRate: number | null; sloErrorRate: number | null; topErrors: ErrorCount[] };
      recommendation: { text: string };
    }
  | {
      cause: 'stalling';
      evidence: { stalled: number; attempts: number; lockDurationMs: number };
      recommendation: { text: string };
    }
);

export interface QueueDiagnosis {
  /** 1 = the queue that misses its SLO worst. */
  rank: number;
  queue: string;
  healthy: boolean;
  verdict: Verdict;
  /** max of actual/target over the SLO checks; null without any value. */
  severity: number | null;
  worstCheck: SloCheck['metric'] | null;
  checks: SloCheck[];
  capacity: Capacity;
  cause: Finding | null;
  secondary: Finding[];
}

export interface RunDiagnosis {
  run: Run;
  verdict: Verdict;
  rule: string;
  queues: QueueDiagnosis[];
}

/** SQL facts about one queue beyond its summary. */
export interface QueueFacts {
  /** count_distinct(worker) over the queue's `active` events. */
  workersSeen: number | null;
  /** Last sampled waiting count in the run window. */
  latestWaiting: { waiting: number; at: string } | null;
  topErrors: ErrorCount[];
}

export interface DiagnosisContext {
  config: Config;
  /** The run's free-form config; `workers` and `concurrency[queue]` are used when they are numbers. */
  runConfig: Record<string, unknown>;
}

const positive = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
const fmt = (v: number | null, digits = 3): string => (v === null ? 'n/a' : Number.isInteger(v) ? String(v) : v.toPrecision(digits));
const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toPrecision(3)} %`);

/** λ, S, c and ρ of one queue; c from the run's config when it has the numbers, else from the events and the collector's config. */
export function capacityOf(s: QueueSummary, facts: QueueFacts, ctx: DiagnosisContext): Capacity {
  const configured = ctx.runConfig.concurrency;
  const runWorkers = positive(ctx.runConfig.workers);
  const runPerProcess = configured && typeof configured === 'object' ? positive((configured as Record<string, unknown>)[s.queue]) : null;
  const seedPerProcess = isQueueName(s.queue) ? ctx.config.queues[s.queue].concurrency : null;
  const workers = runWorkers ?? positive(facts.workersSeen);
  const perProcess = runPerProcess ?? seedPerProcess;
  const concurrency = workers !== null && perProcess !== null ? workers * perProcess : null;
  const { arrivalRate, meanRunMs } = s;
  const utilisation = arrivalRate !== null && meanRunMs !== null && concurrency ? (arrivalRate * (meanRunMs / 1000)) / concurrency : null;
  return {
    arrivalRate,
    meanRunMs,
    workers,
    workersSource: runWorkers !== null ? 'run-config' : workers !== null ? 'events' : null,
    perProcessConcurrency: perProcess,
    perProcessSource: runPerProcess !== null ? 'run-config' : perProcess !== null ? 'collector-config' : null,
    concurrency,
    utilisation,
  };
}

/** max over checks of actual/target, and the check that reaches it. */
export function severityOf(checks: SloCheck[]): { severity: number | null; worstCheck: SloCheck['metric'] | null } {
  let severity: number | null = null;
  let worstCheck: SloCheck['metric'] | null = null;
  for (const c of checks) {
    if (c.actual === null) continue;
    const ratio = c.target > 0 ? c.actual / c.target : c.actual > 0 ? ZERO_TARGET_SEVERITY : 1;
    if (severity === null || ratio > severity) [severity, worstCheck] = [ratio, c.metric];
  }
  return { severity, worstCheck };
}

function waitingFinding(s: QueueSummary, cap: Capacity, facts: QueueFacts): Finding {
  const { arrivalRate: lambda, meanRunMs: S, concurrency: c, workers } = cap;
  const busy = lambda !== null && S !== null ? lambda * (S / 1000) : null;
  const cStar = busy !== null ? Math.max(1, Math.ceil(busy / TARGET_UTILISATION)) : null;
  const perProcess = cStar !== null && workers ? Math.ceil(cStar / workers) : null;
  const capacityRate = c && S ? c / (S / 1000) : null;
  const serviceRate = capacityRate !== null && s.throughput !== null ? Math.min(capacityRate, s.throughput) : (capacityRate ?? s.throughput);
  const backlog = facts.latestWaiting?.waiting ?? s.peakDepth?.waiting ?? null;
  const backlogSource = facts.latestWaiting ? 'queue_depth' : s.peakDepth ? 'peak' : null;
  const drains = serviceRate !== null && lambda !== null ? serviceRate > lambda : null;
  const drainSeconds = drains && backlog !== null ? backlog / (serviceRate! - lambda!) : null;
  const parts: string[] = [];
  if (cStar !== null) {
    parts.push(
      `Raise ${s.queue} concurrency from ${fmt(c)} to ${cStar} in total` +
        (perProcess !== null ? ` (${perProcess} per worker process × ${workers} process${workers === 1 ? '' : 'es'})` : '') +
        `: λ·S = ${fmt(lambda)} jobs/s × ${fmt(S)} ms = ${fmt(busy)} busy slots (Little's law), at ${TARGET_UTILISATION * 100} % target utilisation.`,
    );
  } else {
    parts.push(`Add concurrency to ${s.queue}: jobs wait longer than they run (arrival rate or run time unknown, so no number).`);
  }
  const rates = `service ${fmt(serviceRate)}/s vs arrival ${fmt(lambda)}/s`;
  if (drains === false) {
    parts.push(
      backlog
        ? `Backlog of ${backlog} jobs does not drain at this arrival rate (${rates}).`
        : `A backlog builds and does not drain at this arrival rate (${rates})${backlog === 0 ? '; none was waiting at the last sample' : ''}.`,
    );
  } else if (backlog) {
    parts.push(drains ? `Backlog of ${backlog} jobs drains in about ${fmt(drainSeconds)} s (${rates}).` : `Backlog of ${backlog} jobs; drain time unknown.`);
  } else if (backlog === 0) {
    parts.push('No jobs were waiting at the last sample.');
  }
  return {
    cause: 'waiting',
    because: [],
    evidence: { arrivalRate: lambda, meanRunMs: S, concurrency: c, utilisation: cap.utilisation, waitP95Ms: s.wait.p95, runP95Ms: s.run.p95, peakWaiting: s.peakDepth?.waiting ?? null },
    recommendation: { text: parts.join(' '), concurrency: cStar, perProcessConcurrency: perProcess, workers, backlog, backlogSource, serviceRate, drains, drainSeconds },
  };
}

function runningFinding(s: QueueSummary, profile: QueueProfile | null): Finding {
  const slo = profile?.slo.p95Ms ?? null;
  const target = slo !== null ? slo - (s.wait.p95 ?? 0) : null;
  const text =
    target !== null && target > 0
      ? `Speed up the ${s.queue} handler or its downstream: run p95 is ${fmt(s.run.p95)} ms (p50 ${fmt(s.run.p50)} ms); a run p95 under about ${fmt(target)} ms (SLO p95 ${slo} ms − wait p95 ${fmt(s.wait.p95)} ms) would meet the SLO.`
      : target !== null
        ? `Waiting alone (wait p95 ${fmt(s.wait.p95)} ms) exceeds the SLO p95 of ${slo} ms; a faster handler cannot meet it without more concurrency.`
        : `Speed up the ${s.queue} handler or its downstream: run p95 is ${fmt(s.run.p95)} ms.`;
  return {
    cause: 'running',
    because: [],
    evidence: { runP50Ms: s.run.p50, runP95Ms: s.run.p95, waitP95Ms: s.wait.p95, latencyP95Ms: s.latency.p95, sloP95Ms: slo },
    recommendation: { text, targetRunP95Ms: target !== null && target > 0 ? target : null },
  };
}

function retryingFinding(s: QueueSummary, profile: QueueProfile | null, facts: QueueFacts): Finding {
  const top = facts.topErrors[0];
  const policy = profile ? ` Attempts ${profile.attempts}, backoff ${profile.backoff.type} ${profile.backoff.delayMs} ms:` : '';
  const text =
    `${s.queue} jobs fail in the handler or its downstream (retry rate ${pct(s.retryRate)}, failure rate ${pct(s.failureRate)})` +
    (top ? `; most frequent error: "${top.error}" (${top.count}×).` : '.') +
    ` Fix or isolate the failing dependency.${policy} use exponential backoff long enough for it to recover, so retries do not add load while it is down.`;
  return {
    cause: 'retrying',
    because: [],
    evidence: { retries: s.retries, retryRate: s.retryRate, failed: s.failed, failureRate: s.failureRate, sloErrorRate: profile?.slo.maxErrorRate ?? null, topErrors: facts.topErrors },
    recommendation: { text },
  };
}

function stallingFinding(s: QueueSummary, config: Config): Finding {
  const text =
    `${s.stalled} ${s.queue} attempts stalled: their worker stopped renewing its lock for lockDuration (${config.worker.lockDurationMs} ms). ` +
    'Either a worker process died mid-job, or a handler blocks the event loop (CPU-bound or synchronous work): move such work off the event loop ' +
    '(worker threads or sandboxed processors) or raise WORKER_LOCK_MS above the longest blocking stretch.';
  return { cause: 'stalling', because: [], evidence: { stalled: s.stalled, attempts: s.attempts, lockDurationMs: config.worker.lockDurationMs }, recommendation: { text } };
}

/** Diagnose one queue (rank 0 until {@link rankDiagnoses}). Pure: every input is an SQL result or config. */
export function diagnoseQueue(s: QueueSummary, facts: QueueFacts, ctx: DiagnosisContext): QueueDiagnosis {
  const profile = isQueueName(s.queue) ? ctx.config.queues[s.queue] : null;
  const capacity = capacityOf(s, facts, ctx);
  const healthy = s.slo.verdict === 'pass';
  const latencyMissed = s.slo.checks.some((c) => c.metric !== 'error_rate' && c.pass === false);
  const { wait, run } = s;
  const errorTarget = profile?.slo.maxErrorRate ?? null;
  const rho = capacity.utilisation;
  const conditions: [Cause, string, boolean][] = [
    ['retrying', `failure rate ${pct(s.failureRate)} exceeds the SLO error rate ${pct(errorTarget)}`, s.failureRate !== null && errorTarget !== null && s.failureRate > 0 && s.failureRate >= errorTarget],
    ['waiting', `utilisation ρ = ${fmt(rho)} ≥ ${SATURATED_UTILISATION}`, rho !== null && rho >= SATURATED_UTILISATION],
    ['stalling', `${s.stalled} attempts stalled`, s.stalled > 0],
    ['retrying', `retry rate ${pct(s.retryRate)} ≥ ${pct(RETRY_RATE_CAUSE)}`, s.retryRate !== null && s.retryRate >= RETRY_RATE_CAUSE],
    ['waiting', `wait p95 ${fmt(wait.p95)} ms ≥ run p95 ${fmt(run.p95)} ms`, latencyMissed && wait.p95 !== null && run.p95 !== null && wait.p95 >= run.p95],
    ['running', `run p95 ${fmt(run.p95)} ms > wait p95 ${fmt(wait.p95)} ms`, latencyMissed && wait.p95 !== null && run.p95 !== null && run.p95 > wait.p95],
  ];
  const build: Record<Cause, () => Finding> = {
    waiting: () => waitingFinding(s, capacity, facts),
    running: () => runningFinding(s, profile),
    retrying: () => retryingFinding(s, profile, facts),
    stalling: () => stallingFinding(s, ctx.config),
  };
  const findings = new Map<Cause, Finding>();
  for (const [cause, because, holds] of conditions) {
    if (!holds) continue;
    if (!findings.has(cause)) findings.set(cause, build[cause]());
    findings.get(cause)!.because.push(because);
  }
  const [cause = null, ...secondary] = findings.values();
  return { rank: 0, queue: s.queue, healthy, verdict: s.slo.verdict, ...severityOf(s.slo.checks), checks: s.slo.checks, capacity, cause, secondary };
}

/** Failing queues first, then the rest; each group by severity, highest first (no value last), then by name. Sets `rank`. */
export function rankDiagnoses(list: QueueDiagnosis[]): QueueDiagnosis[] {
  const sorted = [...list].sort(
    (x, y) =>
      Number(y.verdict === 'fail') - Number(x.verdict === 'fail') ||
      (y.severity ?? -1) - (x.severity ?? -1) ||
      x.queue.localeCompare(y.queue),
  );
  return sorted.map((d, i) => ({ ...d, rank: i + 1 }));
}

/** Diagnose every queue of a run, worst first. Statistics by SQL; see {@link DIAGNOSIS_RULE}. */
export async function diagnose(db: Kysely<Database>, config: Config, run: Run): Promise<RunDiagnosis> {
  const window = runWindow(run);
  const depthWindow = { namespace: config.namespace, from: run.startedAt, to: run.endedAt ?? new Date().toISOString() };
  const [summary, workers, backlog, errors] = await Promise.all([
    summarize(db, config, run),
    workersPerQueue(db, run.id, window),
    latestWaiting(db, depthWindow),
    topErrors(db, run.id, window, 3),
  ]);
  const ctx: DiagnosisContext = { config, runConfig: run.config };
  const queues = summary.queues.map((s) =>
    diagnoseQueue(s, { workersSeen: workers.get(s.queue) ?? null, latestWaiting: backlog.get(s.queue) ?? null, topErrors: errors.get(s.queue) ?? [] }, ctx),
  );
  return { run, verdict: summary.verdict, rule: DIAGNOSIS_RULE, queues: rankDiagnoses(queues) };
}
