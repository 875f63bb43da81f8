import { sql, type Kysely } from 'kysely';
import type { Percentiles, QueueStats } from '@queuescope/contracts';
import type { Database } from '../database.js';
import { durationStatsOfRuns, type DurationStats, type TimeWindow } from './durations.js';

interface CountRow {
  queue: string;
  jobs: number;
  completed: number;
  failed: number;
  attempts: number;
  retries: number;
  jobs_retried: number;
  stalled: number;
  first_ts: Date | null;
  last_ts: Date | null;
  /** Seconds from the first to the last event, µs-exact (a JS Date keeps only ms). */
  span_s: number | null;
  /** Seconds from the first to the last `added`. */
  arrival_span_s: number | null;
}

/** NaN (QuestDB's "no value" for some aggregates over empty input) → null. */
const num = (v: number | null | undefined): number | null => (v === null || v === undefined || Number.isNaN(v) ? null : v);

/**
 * Per-queue statistics of one run, from the per-second views (db/schema.ts), never the raw events:
 * counts by event from `event_counts_1s`; percentiles (nearest rank, within 0.5 %) of latency /
 * wait / run in ms, their max and the mean run time from the `*_hist_1s` histograms; throughput and
 * arrival rate in jobs/s; retry and failure rates 0..1. `jobsRetried` counts jobs that needed more
 * than one attempt (their final row's attempt > 1).
 */
export async function queueStats(db: Kysely<Database>, runId: string, window: TimeWindow): Promise<QueueStats[]> {
  return (await queueStatsOfRuns(db, [runId], window)).get(runId) ?? [];
}

/**
 * {@link queueStats} of several runs in four SQL statements whatever their number (the runs list),
 * by run id; queues by name. `window` only prunes partitions: it must cover every run's events.
 */
export async function queueStatsOfRuns(
  db: Kysely<Database>,
  runIds: readonly string[],
  window: TimeWindow,
): Promise<Map<string, QueueStats[]>> {
  const out = new Map<string, QueueStats[]>();
  if (runIds.length === 0) return out;
  const quantiles = [0.5, 0.95, 0.99];
  const where = { runIds, window };
  const [counts, latency, wait, run] = await Promise.all([
    sql<CountRow & { run_id: string }>`
      SELECT run_id, queue, jobs, completed, failed, attempts, retries, jobs_retried, stalled, first_ts, last_ts,
             (cast(last_ts AS long) - cast(first_ts AS long)) / 1e6 AS span_s,
             (cast(last_added AS long) - cast(first_added AS long)) / 1e6 AS arrival_span_s
      FROM (
      SELECT run_id, queue,
             sum(CASE WHEN event = 'added' THEN n ELSE 0 END) AS jobs,
             sum(CASE WHEN event = 'completed' THEN n ELSE 0 END) AS completed,
             sum(CASE WHEN event = 'failed' THEN n ELSE 0 END) AS failed,
             sum(CASE WHEN event = 'active' THEN n ELSE 0 END) AS attempts,
             sum(CASE WHEN event = 'retried' THEN n ELSE 0 END) AS retries,
             sum(CASE WHEN event IN ('completed', 'failed') AND attempt > 1 THEN n ELSE 0 END) AS jobs_retried,
             sum(CASE WHEN event = 'stalled' THEN n ELSE 0 END) AS stalled,
             min(first_ts) AS first_ts,
             max(last_ts) AS last_ts,
             min(CASE WHEN event = 'added' THEN first_ts END) AS first_added,
             max(CASE WHEN event = 'added' THEN last_ts END) AS last_added
      FROM event_counts_1s
      WHERE run_id IN (${sql.join(runIds)}) AND ts >= ${window.from} AND ts <= ${window.to}
      GROUP BY run_id, queue
      )
      ORDER BY run_id, queue`.execute(db),
    durationStatsOfRuns(db, 'latency_ms', where, quantiles),
    durationStatsOfRuns(db, 'wait_ms', where, quantiles),
    durationStatsOfRuns(db, 'run_ms', where, quantiles),
  ]);
  const percentiles = (s: DurationStats | undefined): Percentiles => ({
    p50: s?.values[0] ?? null,
    p95: s?.values[1] ?? null,
    p99: s?.values[2] ?? null,
    max: s?.max ?? null,
  });
  for (const r of counts.rows) {
    const runs = run.get(r.run_id)?.get(r.queue);
    const span = num(r.span_s);
    const arrivals = num(r.arrival_span_s);
    if (!out.has(r.run_id)) out.set(r.run_id, []);
    out.get(r.run_id)!.push({
      queue: r.queue,
      jobs: r.jobs,
      completed: r.completed,
      failed: r.failed,
      attempts: r.attempts,
      retries: r.retries,
      jobsRetried: r.jobs_retried,
      stalled: r.stalled,
      throughput: span ? (r.completed + r.failed) / span : null,
      arrivalRate: arrivals ? (r.jobs - 1) / arrivals : null,
      meanRunMs: runs && runs.n > 0 ? runs.total / runs.n : null,
      latency: percentiles(latency.get(r.run_id)?.get(r.queue)),
      wait: percentiles(wait.get(r.run_id)?.get(r.queue)),
      run: percentiles(runs),
      retryRate: r.attempts > 0 ? r.retries / r.attempts : null,
      failureRate: r.completed + r.failed > 0 ? r.failed / (r.completed + r.failed) : null,
      firstEventAt: r.first_ts ? r.first_ts.toISOString() : null,
      lastEventAt: r.last_ts ? r.last_ts.toISOString() : null,
    });
  }
  return out;
}

/** Highest sampled depth per queue in [from, to]: waiting, delayed and active jobs (counts). */
export async function peakDepth(
  db: Kysely<Database>,
  q: { namespace: string; from: string; to: string },
): Promise<Map<string, { waiting: number; delayed: number; active: number }>> {
  const { rows } = await sql<{ queue: string; waiting: number; delayed: number; active: number }>`
    SELECT queue, max(waiting) AS waiting, max(delayed) AS delayed, max(active) AS active
    FROM queue_depth
    WHERE namespace = ${q.namespace} AND ts >= ${q.from} AND ts <= ${q.to}
    GROUP BY queue`.execute(db);
  return new Map(rows.map((r) => [r.queue, { waiting: r.waiting, delayed: r.delayed, active: r.active }]));
}

/** Entries trimmed unread per queue in [from, to] (`capture_gaps`, counts). */
export async function lostEvents(db: Kysely<Database>, q: { from: string; to: string }): Promise<Map<string, number>> {
  const { rows } = await sql<{ queue: string; lost: number }>`
    SELECT queue, sum(lost) AS lost FROM capture_gaps WHERE ts >= ${q.from} AND ts <= ${q.to} GROUP BY queue`.execute(db);
  return new Map(rows.map((r) => [r.queue, r.lost]));
}
