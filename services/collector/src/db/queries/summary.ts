import { sql, type Kysely } from 'kysely';
import type { QueueStats } from '@queuescope/contracts';
import type { Database } from '../database.js';

export type { Percentiles, QueueStats } from '@queuescope/contracts';

interface Row {
  queue: string;
  jobs: number;
  completed: number;
  failed: number;
  attempts: number;
  retries: number;
  jobs_retried: number;
  stalled: number;
  throughput: number | null;
  arrival_rate: number | null;
  mean_run_ms: number | null;
  latency_p50: number | null;
  latency_p95: number | null;
  latency_p99: number | null;
  latency_max: number | null;
  wait_p50: number | null;
  wait_p95: number | null;
  wait_p99: number | null;
  wait_max: number | null;
  run_p50: number | null;
  run_p95: number | null;
  run_p99: number | null;
  run_max: number | null;
  retry_rate: number | null;
  failure_rate: number | null;
  first_ts: Date | null;
  last_ts: Date | null;
}

/** NaN (QuestDB's "no value" for some aggregates over empty input) → null. */
const num = (v: number | null | undefined): number | null => (v === null || v === undefined || Number.isNaN(v) ? null : v);

/**
 * Per-queue statistics of one run, one scan of `job_events`: counts by event, percentiles
 * (`approx_percentile(…, 3)`, HdrHistogram with 3 significant digits, ≤ 0.1 % error) of
 * latency / wait / run in ms, throughput and arrival rate in jobs/s, retry and failure rates 0..1.
 * `wait_ms` exists only on first-attempt `active` rows, `run_ms` on terminal rows, `latency_ms` on
 * `completed`/`failed` rows, so each percentile reads only its own rows.
 */
export async function queueStats(db: Kysely<Database>, runId: string, window?: { from: string; to: string }): Promise<QueueStats[]> {
  // The time window only prunes partitions; the run id alone decides which rows count.
  const inWindow = window ? sql`AND ts >= ${window.from} AND ts <= ${window.to}` : sql``;
  const { rows } = await sql<Row>`
    SELECT queue, jobs, completed, failed, attempts, retries, jobs_retried, stalled,
           (completed + failed) / ((cast(last_ts AS long) - cast(first_ts AS long)) / 1e6) AS throughput,
           (jobs - 1) / ((cast(last_added AS long) - cast(first_added AS long)) / 1e6) AS arrival_rate,
           mean_run_ms,
           latency_p50, latency_p95, latency_p99, latency_max,
           wait_p50, wait_p95, wait_p99, wait_max,
           run_p50, run_p95, run_p99, run_max,
           retries / cast(attempts AS double) AS retry_rate,
           failed / cast(completed + failed AS double) AS failure_rate,
           first_ts, last_ts
    FROM (
      SELECT queue,
             sum(CASE WHEN event = 'added' THEN 1 ELSE 0 END) AS jobs,
             sum(CASE WHEN event = 'completed' THEN 1 ELSE 0 END) AS completed,
             sum(CASE WHEN event = 'failed' THEN 1 ELSE 0 END) AS failed,
             sum(CASE WHEN event = 'active' THEN 1 ELSE 0 END) AS attempts,
             sum(CASE WHEN event = 'retried' THEN 1 ELSE 0 END) AS retries,
             count_distinct(CASE WHEN event = 'retried' THEN job_id END) AS jobs_retried,
             sum(CASE WHEN event = 'stalled' THEN 1 ELSE 0 END) AS stalled,
             avg(run_ms) AS mean_run_ms,
             approx_percentile(latency_ms, 0.5, 3) AS latency_p50,
             approx_percentile(latency_ms, 0.95, 3) AS latency_p95,
             approx_percentile(latency_ms, 0.99, 3) AS latency_p99,
             max(latency_ms) AS latency_max,
             approx_percentile(wait_ms, 0.5, 3) AS wait_p50,
             approx_percentile(wait_ms, 0.95, 3) AS wait_p95,
             approx_percentile(wait_ms, 0.99, 3) AS wait_p99,
             max(wait_ms) AS wait_max,
             approx_percentile(run_ms, 0.5, 3) AS run_p50,
             approx_percentile(run_ms, 0.95, 3) AS run_p95,
             approx_percentile(run_ms, 0.99, 3) AS run_p99,
             max(run_ms) AS run_max,
             min(ts) AS first_ts,
             max(ts) AS last_ts,
             min(CASE WHEN event = 'added' THEN ts END) AS first_added,
             max(CASE WHEN event = 'added' THEN ts END) AS last_added
      FROM job_events
      WHERE run_id = ${runId} ${inWindow}
      GROUP BY queue
    )
    ORDER BY queue`.execute(db);
  return rows.map((r) => ({
    queue: r.queue,
    jobs: r.jobs,
    completed: r.completed,
    failed: r.failed,
    attempts: r.attempts,
    retries: r.retries,
    jobsRetried: r.jobs_retried,
    stalled: r.stalled,
    throughput: num(r.throughput),
    arrivalRate: num(r.arrival_rate),
    meanRunMs: num(r.mean_run_ms),
    latency: { p50: num(r.latency_p50), p95: num(r.latency_p95), p99: num(r.latency_p99), max: num(r.latency_max) },
    wait: { p50: num(r.wait_p50), p95: num(r.wait_p95), p99: num(r.wait_p99), max: num(r.wait_max) },
    run: { p50: num(r.run_p50), p95: num(r.run_p95), p99: num(r.run_p99), max: num(r.run_max) },
    retryRate: num(r.retry_rate),
    failureRate: num(r.failure_rate),
    firstEventAt: r.first_ts ? r.first_ts.toISOString() : null,
    lastEventAt: r.last_ts ? r.last_ts.toISOString() : null,
  }));
}

/** Highest sampled depth per queue in [from, to]: waiting, delayed and active jobs (counts). */
export async function peakDepth(db: Kysely<Database>, q: { namespace: string; from: string; to: string }): Promise<Map<string, { waiting: number; delayed: number; active: number }>> {
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
