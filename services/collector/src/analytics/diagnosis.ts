import {
  isQueueName,
  type Capacity,
  type Cause,
  type Config,
  type ErrorCount,
  type Finding,
  type QueueDiagnosis,
  type QueueProfile,
  type QueueSummary,
  type Run,
  type RunDiagnosis,
  type SloCheck,
} from '@queuescope/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { backlogAtStart, latestWaiting, queueTraffic, topErrors, workersPerQueue, type QueueTraffic } from '../db/queries/diagnosis.js';
import { runWindow, summarize } from './summary.js';

/**
 * Why a queue misses its SLO, and what to change.
 *
 * Every statistic comes from SQL: the run summary (`summarize`: the run's own arrival rate, mean run
 * time S, percentiles, counts, peak depth, SLO checks), the distinct worker processes per queue,
 * every arrival to and departure from the queue during the run whatever its run id (`queueTraffic`:
 * a run shares its queue with earlier traffic and other clients, and its workers serve them all),
 * the backlog sampled when the run started and at its end, and the top error texts. Only the
 * arithmetic that combines them is done here:
 * - λ = the queue's arrival rate over every arrival, whatever its run id, in the seconds from the
 *   run's first to its last own arrival on the queue (the run's own rate when unknown);
 * - severity, utilisation ρ = λ·(S/1000)/c;
 * - the recommended concurrency c* = ⌈λ·(S/1000)/0.7⌉ (Little's law: busy slots = λ·S, at a target
 *   utilisation of 0.7), never below the current c when the queue is saturated (ρ ≥ 0.85) or holds
 *   a backlog (at the start or the end of the run): a queue that cannot keep up is never told to
 *   shrink;
 * - service rate μ = min(c/(S/1000), the queue's measured throughput);
 * - for the backlog B₀ at the run's start: the wait of a job arriving behind it, B₀/μ, and its
 *   drain time B₀/(μ − λ); the same drain time for the last sampled backlog.
 *
 * Causes are checked in this order; the first that holds is the dominant cause, the others are
 * listed as secondary (each cause once, with every condition that raised it):
 * 1. `retrying` — the failure rate exceeds the SLO error rate (no latency tuning fixes that);
 * 2. `waiting`  — utilisation ρ ≥ 0.85: the queue is saturated and everything waits behind it;
 *    or the run started behind a backlog that alone holds a job longer than the SLO p95
 *    (B₀/μ ≥ SLO p95);
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
  'Causes, in order (first = dominant, others secondary): 1 retrying if failure rate exceeds the SLO error rate; ' +
  '2 waiting if utilisation ρ = λ·(S/1000)/c ≥ 0.85, or if the run started behind a backlog B0 that alone holds a job for at least the SLO p95 (B0/μ ≥ SLO p95); ' +
  '3 stalling if any attempt stalled; 4 retrying if retry rate ≥ 0.1; 5 waiting if a latency check fails and wait p95 ≥ run p95; 6 running if a latency check fails and run p95 > wait p95. ' +
  "λ (arrival, jobs/s) counts every job added to the queue, whatever its run id, in the seconds from the run's first to its last own job on it (the run's own rate when none is stored); " +
  "S (mean run time, ms), percentiles, counts, workers, throughput, the backlog B0 sampled at the run's start and the last sampled backlog, and errors come from SQL; " +
  'ρ, c* = ceil(λ·(S/1000)/0.7) (never below the current c when ρ ≥ 0.85 or a backlog is held), service rate μ = min(c/(S/1000), measured throughput), ' +
  'B0/μ (the wait behind the start backlog) and drain time = backlog/(μ − λ) are arithmetic on them.';

/** Utilisation the recommended concurrency aims at. */
export const TARGET_UTILISATION = 0.7;
/** Utilisation at and above which a queue counts as saturated. */
export const SATURATED_UTILISATION = 0.85;
/** Retry rate (retries per attempt) at and above which retries are a cause. */
export const RETRY_RATE_CAUSE = 0.1;
/** Severity of a missed check whose target is 0 (no failures allowed), where actual/target is undefined. */
const ZERO_TARGET_SEVERITY = 1000;

/** SQL facts about one queue beyond its summary. */
export interface QueueFacts {
  /** count_distinct(worker) over the queue's `active` events. */
  workersSeen: number | null;
  /** Last sampled waiting count in the run window. */
  latestWaiting: { waiting: number; at: string } | null;
  /** Sampled waiting count when the run started. */
  backlogAtStart: { waiting: number; at: string } | null;
  /** Every arrival and departure of the queue during the run, whatever the run id. */
  traffic: QueueTraffic | null;
  topErrors: ErrorCount[];
}

export interface DiagnosisContext {
  config: Config;
  /** The run's free-form config; `workers` and `concurrency[queue]` are used when they are numbers. Null when it did not read back. */
  runConfig: Record<string, unknown> | null;
}

const positive = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
const fmt = (v: number | null, digits = 3): string => (v === null ? 'n/a' : Number.isInteger(v) ? String(v) : v.toPrecision(digits));
const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toPrecision(3)} %`);

/**
 * λ, S, c, ρ, μ and the start backlog of one queue. λ and the throughput count every job of the
 * queue during the run (the run's own when none is stored); c comes from the run's config when it
 * has the numbers, else from the events and the collector's config.
 */
export function capacityOf(s: QueueSummary, facts: QueueFacts, ctx: DiagnosisContext): Capacity {
  const configured = ctx.runConfig?.concurrency;
  const runWorkers = positive(ctx.runConfig?.workers);
  const runPerProcess = configured && typeof configured === 'object' ? positive((configured as Record<string, unknown>)[s.queue]) : null;
  const seedPerProcess = isQueueName(s.queue) ? ctx.config.queues[s.queue].concurrency : null;
  const workers = runWorkers ?? positive(facts.workersSeen);
  const perProcess = runPerProcess ?? seedPerProcess;
  const concurrency = workers !== null && perProcess !== null ? workers * perProcess : null;
  const { meanRunMs } = s;
  const queueRate = facts.traffic?.arrivalRate ?? null;
  const arrivalRate = queueRate ?? s.arrivalRate;
  const utilisation = arrivalRate !== null && meanRunMs !== null && concurrency ? (arrivalRate * (meanRunMs / 1000)) / concurrency : null;
  const throughput = facts.traffic?.throughput ?? s.throughput;
  const capacityRate = concurrency && meanRunMs ? concurrency / (meanRunMs / 1000) : null;
  const serviceRate = capacityRate !== null && throughput !== null ? Math.min(capacityRate, throughput) : (capacityRate ?? throughput);
  const b0 = facts.backlogAtStart?.waiting ?? null;
  const drains = serviceRate !== null && arrivalRate !== null && serviceRate > arrivalRate;
  return {
    arrivalRate,
    arrivalSource: queueRate !== null ? 'queue' : arrivalRate !== null ? 'run' : null,
    runArrivalRate: s.arrivalRate,
    meanRunMs,
    workers,
    workersSource: runWorkers !== null ? 'run-config' : workers !== null ? 'events' : null,
    perProcessConcurrency: perProcess,
    perProcessSource: runPerProcess !== null ? 'run-config' : perProcess !== null ? 'collector-config' : null,
    concurrency,
    utilisation,
    throughput,
    serviceRate,
    backlogAtStart: b0,
    backlogAtStartAt: facts.backlogAtStart?.at ?? null,
    backlogAtStartWaitSeconds: b0 !== null && serviceRate ? b0 / serviceRate : null,
    backlogAtStartDrainSeconds: b0 !== null && drains ? b0 / (serviceRate! - arrivalRate!) : null,
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

/** The sentence on the backlog the run started behind: how long it held a job, and whether and when it drains. */
function startBacklogText(cap: Capacity): string | null {
  const { backlogAtStart: b0, backlogAtStartWaitSeconds: wait, backlogAtStartDrainSeconds: drain } = cap;
  if (!b0) return null;
  const held = wait !== null ? `: a job arriving with the run waited about ${fmt(wait)} s behind it` : '';
  const rates = `service ${fmt(cap.serviceRate)}/s vs arrival ${fmt(cap.arrivalRate)}/s`;
  const fate =
    drain !== null
      ? `it drains in about ${fmt(drain)} s (${rates})`
      : cap.serviceRate !== null && cap.arrivalRate !== null
        ? `it does not drain (${rates})`
        : 'its drain time is unknown';
  return `The run started behind a backlog of ${b0} waiting jobs (sampled ${cap.backlogAtStartAt})${held}; ${fate}.`;
}

function waitingFinding(s: QueueSummary, cap: Capacity, facts: QueueFacts): Finding {
  const { arrivalRate: lambda, meanRunMs: S, concurrency: c, workers, serviceRate, utilisation: rho } = cap;
  const busy = lambda !== null && S !== null ? lambda * (S / 1000) : null;
  const little = busy !== null ? Math.max(1, Math.ceil(busy / TARGET_UTILISATION)) : null;
  const backlog = facts.latestWaiting?.waiting ?? s.peakDepth?.waiting ?? null;
  const backlogSource = facts.latestWaiting ? 'queue_depth' : s.peakDepth ? 'peak' : null;
  const saturated = rho !== null && rho >= SATURATED_UTILISATION;
  const holdsBacklog = (cap.backlogAtStart ?? 0) > 0 || (backlog ?? 0) > 0;
  // A queue that cannot keep up, or that still has jobs waiting, is never told to shrink.
  const atLeastCurrent = little !== null && c !== null && little < c && (saturated || holdsBacklog);
  const cStar = atLeastCurrent ? c : little;
  const perProcess = cStar !== null && workers ? Math.ceil(cStar / workers) : null;
  const drains = serviceRate !== null && lambda !== null ? serviceRate > lambda : null;
  const drainSeconds = drains && backlog !== null ? backlog / (serviceRate! - lambda!) : null;
  const lambdaText =
    `λ = ${fmt(lambda)} jobs/s` +
    (cap.arrivalSource === 'queue' ? ` (every arrival to the queue; ${fmt(cap.runArrivalRate)}/s of them from this run)` : '');
  const littleText = `${lambdaText} × S = ${fmt(S)} ms = ${fmt(busy)} busy slots (Little's law)`;
  const perProcessText = perProcess !== null ? ` (${perProcess} per worker process × ${workers} process${workers === 1 ? '' : 'es'})` : '';
  const parts: string[] = [];
  if (cStar === null) {
    parts.push(`Add concurrency to ${s.queue}: jobs wait longer than they run (arrival rate or run time unknown, so no number).`);
  } else if (atLeastCurrent) {
    const why = saturated ? `the queue is saturated (ρ = ${fmt(rho)})` : 'the queue holds a backlog';
    parts.push(
      `Keep ${s.queue} concurrency at least at its current ${fmt(c)} in total${perProcessText}: ${why}. ` +
        `${littleText} would need only ${little} slots at ${TARGET_UTILISATION * 100} % target utilisation, but fewer slots drain the waiting jobs more slowly.`,
    );
  } else {
    const verb = c === null || cStar > c ? 'Raise' : cStar === c ? 'Keep' : 'Lower';
    parts.push(
      `${verb} ${s.queue} concurrency ${verb === 'Keep' ? 'at' : `from ${fmt(c)} to`} ${cStar} in total${perProcessText}: ${littleText}, at ${TARGET_UTILISATION * 100} % target utilisation.`,
    );
  }
  const start = startBacklogText(cap);
  if (start) parts.push(start);
  const rates = `service ${fmt(serviceRate)}/s vs arrival ${fmt(lambda)}/s`;
  if (drains === false) {
    parts.push(
      backlog
        ? `Backlog of ${backlog} jobs at the last sample does not drain at this arrival rate (${rates}).`
        : `A backlog builds and does not drain at this arrival rate (${rates})${backlog === 0 ? '; none was waiting at the last sample' : ''}.`,
    );
  } else if (backlog) {
    parts.push(
      drains
        ? `Backlog of ${backlog} jobs at the last sample drains in about ${fmt(drainSeconds)} s (${rates}).`
        : `Backlog of ${backlog} jobs; drain time unknown.`,
    );
  } else if (backlog === 0) {
    parts.push('No jobs were waiting at the last sample.');
  }
  return {
    cause: 'waiting',
    because: [],
    evidence: {
      arrivalRate: lambda,
      runArrivalRate: cap.runArrivalRate,
      meanRunMs: S,
      concurrency: c,
      utilisation: rho,
      waitP95Ms: s.wait.p95,
      runP95Ms: s.run.p95,
      peakWaiting: s.peakDepth?.waiting ?? null,
      backlogAtStart: cap.backlogAtStart,
      backlogAtStartWaitSeconds: cap.backlogAtStartWaitSeconds,
      backlogAtStartDrainSeconds: cap.backlogAtStartDrainSeconds,
    },
    recommendation: {
      text: parts.join(' '),
      concurrency: cStar,
      atLeastCurrent,
      perProcessConcurrency: perProcess,
      workers,
      backlog,
      backlogSource,
      serviceRate,
      drains,
      drainSeconds,
    },
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
    evidence: {
      retries: s.retries,
      retryRate: s.retryRate,
      failed: s.failed,
      failureRate: s.failureRate,
      sloErrorRate: profile?.slo.maxErrorRate ?? null,
      topErrors: facts.topErrors,
    },
    recommendation: { text },
  };
}

function stallingFinding(s: QueueSummary, config: Config): Finding {
  const text =
    `${s.stalled} ${s.queue} attempts stalled: their worker stopped renewing its lock for lockDuration (${config.worker.lockDurationMs} ms). ` +
    'Either a worker process died mid-job, or a handler blocks the event loop (CPU-bound or synchronous work): move such work off the event loop ' +
    '(worker threads or sandboxed processors) or raise WORKER_LOCK_MS above the longest blocking stretch.';
  return {
    cause: 'stalling',
    because: [],
    evidence: { stalled: s.stalled, attempts: s.attempts, lockDurationMs: config.worker.lockDurationMs },
    recommendation: { text },
  };
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
  const startWait = capacity.backlogAtStart ? capacity.backlogAtStartWaitSeconds : null;
  const sloP95 = profile?.slo.p95Ms ?? null;
  const conditions: [Cause, string, boolean][] = [
    [
      'retrying',
      `failure rate ${pct(s.failureRate)} exceeds the SLO error rate ${pct(errorTarget)}`,
      s.failureRate !== null && errorTarget !== null && s.failureRate > 0 && s.failureRate >= errorTarget,
    ],
    ['waiting', `utilisation ρ = ${fmt(rho)} ≥ ${SATURATED_UTILISATION}`, rho !== null && rho >= SATURATED_UTILISATION],
    [
      'waiting',
      `the run started behind a backlog of ${capacity.backlogAtStart} jobs that held a job about ${fmt(startWait)} s ≥ the SLO p95 of ${fmt(sloP95 !== null ? sloP95 / 1000 : null)} s`,
      startWait !== null && sloP95 !== null && startWait * 1000 >= sloP95,
    ],
    ['stalling', `${s.stalled} attempts stalled`, s.stalled > 0],
    ['retrying', `retry rate ${pct(s.retryRate)} ≥ ${pct(RETRY_RATE_CAUSE)}`, s.retryRate !== null && s.retryRate >= RETRY_RATE_CAUSE],
    [
      'waiting',
      `wait p95 ${fmt(wait.p95)} ms ≥ run p95 ${fmt(run.p95)} ms`,
      latencyMissed && wait.p95 !== null && run.p95 !== null && wait.p95 >= run.p95,
    ],
    [
      'running',
      `run p95 ${fmt(run.p95)} ms > wait p95 ${fmt(wait.p95)} ms`,
      latencyMissed && wait.p95 !== null && run.p95 !== null && run.p95 > wait.p95,
    ],
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
  return {
    rank: 0,
    queue: s.queue,
    healthy,
    verdict: s.slo.verdict,
    ...severityOf(s.slo.checks),
    checks: s.slo.checks,
    capacity,
    cause,
    secondary,
  };
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
  const during = { from: run.startedAt, to: run.endedAt ?? new Date().toISOString() };
  const [summary, workers, backlog, atStart, traffic, errors] = await Promise.all([
    summarize(db, config, run),
    workersPerQueue(db, run.id, window),
    latestWaiting(db, { namespace: config.namespace, ...during }),
    backlogAtStart(db, { namespace: config.namespace, at: run.startedAt }),
    queueTraffic(db, run.id, { ownWindow: window, during }),
    topErrors(db, run.id, window, 3),
  ]);
  const ctx: DiagnosisContext = { config, runConfig: run.config };
  const queues = summary.queues.map((s) =>
    diagnoseQueue(
      s,
      {
        workersSeen: workers.get(s.queue) ?? null,
        latestWaiting: backlog.get(s.queue) ?? null,
        backlogAtStart: atStart.get(s.queue) ?? null,
        traffic: traffic.get(s.queue) ?? null,
        topErrors: errors.get(s.queue) ?? [],
      },
      ctx,
    ),
  );
  return { run, verdict: summary.verdict, rule: DIAGNOSIS_RULE, queues: rankDiagnoses(queues), summary };
}
