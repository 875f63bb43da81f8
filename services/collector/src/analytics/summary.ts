import {
  isQueueName,
  type Config,
  type QueueStats,
  type QueueSummary,
  type Run,
  type RunHead,
  type RunListItem,
  type RunSummary,
  type SloCheck,
  type SloTarget,
  type Verdict,
} from '@queuescope/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { loadTotals } from '../db/queries/load-metrics.js';
import { lostEvents, peakDepth, queueStats, queueStatsOfRuns } from '../db/queries/summary.js';

/** Judge one queue's stats against its SLO target; no finished jobs → `no-data`. */
export function judge(stats: QueueStats, target: SloTarget | null): QueueSummary['slo'] {
  if (!target) return { target: null, verdict: 'no-data', checks: [] };
  const check = (metric: SloCheck['metric'], t: number, actual: number | null): SloCheck => ({
    metric,
    target: t,
    actual,
    pass: actual === null ? null : actual < t,
  });
  const checks = [
    check('latency_p95_ms', target.p95Ms, stats.latency.p95),
    check('latency_p99_ms', target.p99Ms, stats.latency.p99),
    check('error_rate', target.maxErrorRate, stats.failureRate),
  ];
  const verdict: Verdict = checks.some((c) => c.pass === null) ? 'no-data' : checks.every((c) => c.pass) ? 'pass' : 'fail';
  return { target, verdict, checks };
}

/** The worst of several verdicts: any fail → fail; else any pass → pass; else no-data. */
export function worst(verdicts: Verdict[]): Verdict {
  if (verdicts.includes('fail')) return 'fail';
  return verdicts.includes('pass') ? 'pass' : 'no-data';
}

/** Events of a run are looked for from this long before it was created, ms (clients may start first). */
const RUN_LEAD_MS = 60_000;
/** … and until this long after it finished, ms (retries with backoff, stragglers of the drain). */
const RUN_TAIL_MS = 600_000;

/** The time range a run's events can lie in, for partition pruning. */
export function runWindow(run: Pick<Run, 'startedAt' | 'endedAt'>): { from: string; to: string } {
  const end = run.endedAt ? Date.parse(run.endedAt) + RUN_TAIL_MS : Date.now() + RUN_TAIL_MS;
  return { from: new Date(Date.parse(run.startedAt) - RUN_LEAD_MS).toISOString(), to: new Date(end).toISOString() };
}

/** Summary of a run: per-queue SQL statistics, peak depth from the samplers, SLO verdicts from config. */
export async function summarize(db: Kysely<Database>, config: Config, run: Run): Promise<RunSummary> {
  const to = run.endedAt ?? new Date().toISOString();
  const window = runWindow(run);
  const [stats, depth, load, lost] = await Promise.all([
    queueStats(db, run.id, window),
    peakDepth(db, { namespace: config.namespace, from: run.startedAt, to }),
    loadTotals(db, run.id, window),
    lostEvents(db, { from: run.startedAt, to }),
  ]);
  const queues = stats.map((s) => ({
    ...s,
    peakDepth: depth.get(s.queue) ?? null,
    slo: judge(s, isQueueName(s.queue) ? config.queues[s.queue].slo : null),
    lostEvents: lost.get(s.queue) ?? 0,
  }));
  const jobs = queues.reduce((n, q) => n + q.jobs, 0);
  const lostTotal = queues.reduce((n, q) => n + q.lostEvents, 0);
  return {
    run,
    verdict: worst(queues.map((q) => q.slo.verdict)),
    jobs,
    lostEvents: lostTotal,
    queues,
    client: { perSecond: load, summary: run.clientSummary },
  };
}

/** What the runs list shows of a run beside the run itself: accepted jobs, worst verdict, each queue's verdict. */
export type RunVerdicts = Pick<RunListItem, 'jobs' | 'verdict' | 'queues'>;

/**
 * Jobs and SLO verdicts of many runs at once, judged like {@link summarize} (same per-second views,
 * same {@link judge}), in four SQL statements whatever the number of runs. Runs without events are
 * `no-data` with 0 jobs.
 */
export async function runVerdicts(db: Kysely<Database>, config: Config, runs: readonly RunHead[]): Promise<Map<string, RunVerdicts>> {
  const out = new Map<string, RunVerdicts>();
  if (runs.length === 0) return out;
  const windows = runs.map(runWindow);
  const from = windows.reduce((a, w) => (w.from < a ? w.from : a), windows[0]!.from);
  const to = windows.reduce((a, w) => (w.to > a ? w.to : a), windows[0]!.to);
  const stats = await queueStatsOfRuns(
    db,
    runs.map((r) => r.id),
    { from, to },
  );
  for (const run of runs) {
    const queues = (stats.get(run.id) ?? []).map((s) => ({
      queue: s.queue,
      jobs: s.jobs,
      verdict: judge(s, isQueueName(s.queue) ? config.queues[s.queue].slo : null).verdict,
    }));
    out.set(run.id, { jobs: queues.reduce((n, q) => n + q.jobs, 0), verdict: worst(queues.map((q) => q.verdict)), queues });
  }
  return out;
}
