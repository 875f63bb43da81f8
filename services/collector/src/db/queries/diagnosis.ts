import { sql, type Kysely } from 'kysely';
import type { ErrorCount } from '@queuescope/contracts';
import type { Database } from '../database.js';
import type { TimeWindow } from './durations.js';

/**
 * Distinct worker processes (`host:pid`) that started attempts, per queue of one run
 * (`count_distinct(worker)` over the per-minute `workers_1m` view of its `active` events).
 */
export async function workersPerQueue(db: Kysely<Database>, runId: string, window: TimeWindow): Promise<Map<string, number>> {
  const { rows } = await sql<{ queue: string; workers: number }>`
    SELECT queue, count_distinct(worker) AS workers
    FROM workers_1m
    WHERE run_id = ${runId} AND ts >= ${new Date(Math.floor(Date.parse(window.from) / 60_000) * 60_000).toISOString()} AND ts <= ${window.to}
    GROUP BY queue`.execute(db);
  return new Map(rows.map((r) => [r.queue, r.workers]));
}

/** The last sampled waiting count per queue of a namespace in [from, to] (jobs), with its sample time (ISO). */
export async function latestWaiting(
  db: Kysely<Database>,
  q: { namespace: string } & TimeWindow,
): Promise<Map<string, { waiting: number; at: string }>> {
  const { rows } = await sql<{ queue: string; waiting: number; ts: Date }>`
    SELECT queue, waiting, ts
    FROM queue_depth
    WHERE namespace = ${q.namespace} AND ts >= ${q.from} AND ts <= ${q.to}
    LATEST ON ts PARTITION BY queue`.execute(db);
  return new Map(rows.map((r) => [r.queue, { waiting: r.waiting, at: r.ts.toISOString() }]));
}

/** How old a `queue_depth` sample may be and still count as the backlog a run started with, ms. */
export const BACKLOG_AT_START_WITHIN_MS = 60_000;

/**
 * The waiting count per queue of a namespace when a run started (jobs), with its sample time (ISO):
 * the last `queue_depth` sample in the minute up to `at`. Samples after the start are not used:
 * they count the run's own arrivals too, not only the backlog it inherited.
 */
export async function backlogAtStart(
  db: Kysely<Database>,
  q: { namespace: string; at: string },
): Promise<Map<string, { waiting: number; at: string }>> {
  const since = new Date(Date.parse(q.at) - BACKLOG_AT_START_WITHIN_MS).toISOString();
  const { rows } = await sql<{ queue: string; waiting: number; ts: Date }>`
    SELECT queue, waiting, ts
    FROM queue_depth
    WHERE namespace = ${q.namespace} AND ts >= ${since} AND ts <= ${q.at}
    LATEST ON ts PARTITION BY queue`.execute(db);
  return new Map(rows.map((r) => [r.queue, { waiting: r.waiting, at: r.ts.toISOString() }]));
}

/** Every arrival to and departure from one queue while a run sent it jobs, whatever the run id. */
export interface QueueTraffic {
  /** `added` events in the seconds from the run's first to its last `added` on the queue (jobs). */
  arrivals: number;
  /** (arrivals − 1) / seconds from the first to the last of them, jobs/s; null under two arrivals. */
  arrivalRate: number | null;
  /** `completed` and `failed` events in the run's time range (jobs). */
  finished: number;
  /** (finished − 1) / seconds from the first to the last of them, jobs/s; null under two. */
  throughput: number | null;
}

/**
 * Arrivals and departures per queue of one run, counted over the events of every run id — other
 * runs' and those of jobs without one included (`event_counts_1s` with no `run_id` filter): the
 * load the queue's workers actually served, not only the run's share of it.
 * - Arrivals: every `added` in the seconds from the run's own first to its last `added` on that
 *   queue (looked for in `ownWindow`, as `queueStats` does), so traffic before or after the run's
 *   own does not dilute the rate; jobs/s over the span of the counted events themselves.
 * - Departures: every `completed`/`failed` in `during` (the run's start to its end), to the second.
 * `job_events` has no namespace column: same-named queues captured from other namespaces into the
 * same QuestDB count too.
 */
export async function queueTraffic(
  db: Kysely<Database>,
  runId: string,
  q: { ownWindow: TimeWindow; during: TimeWindow },
): Promise<Map<string, QueueTraffic>> {
  const since = new Date(Math.floor(Date.parse(q.during.from) / 1000) * 1000).toISOString();
  const span = (first: string, last: string) => sql<number>`(cast(${sql.ref(last)} AS long) - cast(${sql.ref(first)} AS long)) / 1e6`;
  const [arrivals, finished] = await Promise.all([
    sql<{ queue: string; n: number; span_s: number | null }>`
      SELECT queue, n, ${span('first_ts', 'last_ts')} AS span_s
      FROM (
        SELECT e.queue AS queue, sum(e.n) AS n, min(e.first_ts) AS first_ts, max(e.last_ts) AS last_ts
        FROM event_counts_1s e
        JOIN (
          SELECT queue, timestamp_floor('s', min(first_ts)) AS first_s, max(last_ts) AS last_added
          FROM event_counts_1s
          WHERE run_id = ${runId} AND event = 'added' AND ts >= ${q.ownWindow.from} AND ts <= ${q.ownWindow.to}
          GROUP BY queue
        ) own ON e.queue = own.queue
        WHERE e.event = 'added' AND e.ts >= ${q.ownWindow.from} AND e.ts <= ${q.ownWindow.to} AND e.ts >= own.first_s AND e.ts <= own.last_added
        GROUP BY e.queue
      )`.execute(db),
    sql<{ queue: string; n: number; span_s: number | null }>`
      SELECT queue, n, ${span('first_ts', 'last_ts')} AS span_s
      FROM (
        SELECT queue, sum(n) AS n, min(first_ts) AS first_ts, max(last_ts) AS last_ts
        FROM event_counts_1s
        WHERE event IN ('completed', 'failed') AND ts >= ${since} AND ts < ${q.during.to}
        GROUP BY queue
      )`.execute(db),
  ]);
  const rate = (n: number, spanS: number | null): number | null =>
    spanS !== null && Number.isFinite(spanS) && spanS > 0 && n > 1 ? (n - 1) / spanS : null;
  const out = new Map<string, QueueTraffic>();
  const entry = (queue: string): QueueTraffic => out.get(queue) ?? { arrivals: 0, arrivalRate: null, finished: 0, throughput: null };
  for (const r of arrivals.rows) out.set(r.queue, { ...entry(r.queue), arrivals: r.n, arrivalRate: rate(r.n, r.span_s) });
  for (const r of finished.rows) out.set(r.queue, { ...entry(r.queue), finished: r.n, throughput: rate(r.n, r.span_s) });
  return out;
}

/**
 * The `limit` most frequent `error` texts per queue of one run (retried and failed attempts),
 * most frequent first: `count()` grouped by error, ranked by `row_number()` within each queue.
 */
export async function topErrors(db: Kysely<Database>, runId: string, window: TimeWindow, limit = 3): Promise<Map<string, ErrorCount[]>> {
  const { rows } = await sql<{ queue: string; error: string; n: number }>`
    SELECT queue, error, n
    FROM (
      SELECT queue, error, n, row_number() OVER (PARTITION BY queue ORDER BY n DESC, error) AS pos
      FROM (
        SELECT queue, error, count() AS n
        FROM job_events
        WHERE run_id = ${runId} AND error IS NOT NULL AND ts >= ${window.from} AND ts <= ${window.to}
        GROUP BY queue, error
      )
    )
    WHERE pos <= ${limit}
    ORDER BY queue, n DESC, error`.execute(db);
  const out = new Map<string, ErrorCount[]>();
  for (const r of rows) out.set(r.queue, [...(out.get(r.queue) ?? []), { error: r.error, count: r.n }]);
  return out;
}
