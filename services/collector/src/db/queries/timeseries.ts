import { MAX_BUCKETS, TIMESERIES_STEPS, bucketCount, type TimeSeries as TimeseriesResponse } from '@queuescope/contracts';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../database.js';
import { BUCKET_VALUE } from '../histogram.js';

/**
 * Time series for charts (STYLE R14): every value is bucketed and aggregated by QuestDB
 * (`SAMPLE BY … FROM … TO … FILL(…) ALIGN TO CALENDAR`); JS only lays the rows out as columns.
 *
 * QuestDB 9.3.4 refuses `FROM … TO` on keyed SAMPLE BY ("FROM-TO intervals are not supported for
 * keyed SAMPLE BY queries"), so a per-queue metric first lists the queues of the window, then runs
 * one non-keyed SAMPLE BY per queue. More quirks of 9.3.4 shape the SQL:
 * - a column computed from an aggregate (`count() / 5.0`), or `count()` next to another aggregate,
 *   loses the trailing filled buckets: rates divide in an outer query, counts stand alone;
 * - a cached re-run of a `FILL(0)` query returns NULL instead of 0 in the trailing filled buckets:
 *   the outer query coalesces them back to 0.
 */

/** Bucket widths the API accepts, seconds: the one step table's widths. */
const STEP_SECONDS: readonly number[] = Object.values(TIMESERIES_STEPS);

/** Window and bucket width of a query; `runId` restricts `job_events` metrics to one run. */
export interface SeriesQuery {
  runId?: string;
  /**
   * Most queues a per-queue metric reads, the busiest first (one statement per queue):
   * COLLECTOR_MAX_QUEUES_PER_REQUEST. Unlimited when not given.
   */
  maxQueues?: number;
  /** Inclusive start; events with `ts >= from` count. */
  from: Date;
  /** Exclusive end; events with `ts < to` count. */
  to: Date;
  stepSeconds: number;
}

/**
 * Columnar series: the response's `ts`, `series` and `truncatedQueues`. `ts[i]` is the start of
 * bucket i, epoch ms; buckets are `stepSeconds` wide, calendar-aligned (UTC), contiguous, and cover
 * [from, to) (the first and last may be partial). Every `series[name]` has `ts.length` values;
 * `null` means the bucket has no value. `truncatedQueues` counts the queues left out by `maxQueues`.
 */
export type TimeSeries = Pick<TimeseriesResponse, 'ts' | 'series' | 'truncatedQueues'>;

interface Grid {
  ts: number[];
  step: RawBuilder<unknown>;
  /** Constant bucket bounds for `SAMPLE BY … FROM … TO`, built from validated numbers only. */
  fromLit: RawBuilder<unknown>;
  toLit: RawBuilder<unknown>;
  /** Exact window as bind parameters. */
  fromIso: string;
  toIso: string;
  /** `from` floored to its second: the per-second views stamp a second's events with its start. */
  secondFromIso: string;
}

function grid(q: SeriesQuery): Grid {
  if (!STEP_SECONDS.includes(q.stepSeconds)) throw new RangeError(`step ${q.stepSeconds}s is not one of ${STEP_SECONDS.join(', ')}`);
  if (!Number.isFinite(q.from.getTime()) || !Number.isFinite(q.to.getTime())) throw new RangeError('from and to must be valid dates');
  const n = bucketCount(q.from, q.to, q.stepSeconds);
  if (n > MAX_BUCKETS) throw new RangeError(`${n} buckets exceed ${MAX_BUCKETS}`);
  const stepMs = q.stepSeconds * 1000;
  // Every whitelisted step divides a day, so epoch-aligned buckets are calendar-aligned in UTC.
  const start = Math.floor(q.from.getTime() / stepMs) * stepMs;
  const ts = Array.from({ length: n }, (_, i) => start + i * stepMs);
  return {
    ts,
    step: sql.raw(`${q.stepSeconds}s`),
    fromLit: sql.lit(new Date(start).toISOString()),
    toLit: sql.lit(new Date(start + n * stepMs).toISOString()),
    fromIso: q.from.toISOString(),
    toIso: q.to.toISOString(),
    secondFromIso: new Date(Math.floor(q.from.getTime() / 1000) * 1000).toISOString(),
  };
}

/** NaN (QuestDB's "no value" for some aggregates over empty input) and undefined → null. */
const num = (v: number | null | undefined): number | null => (v === null || v === undefined || Number.isNaN(v) ? null : Number(v));

type BucketRow = { ts: Date } & Record<string, unknown>;

/** Lay `rows` (one per bucket) out as `series[`${prefix}.${stat}`]`, one column per entry of `stats`. */
function pivot(g: Grid, out: TimeSeries['series'], prefix: string, stats: Record<string, string>, rows: readonly BucketRow[]): void {
  const index = new Map(g.ts.map((t, i) => [t, i]));
  const columns = Object.entries(stats).map(([stat, column]) => {
    const values = new Array<number | null>(g.ts.length).fill(null);
    out[`${prefix}.${stat}`] = values;
    return { column, values };
  });
  for (const row of rows) {
    const i = index.get(row.ts.getTime());
    if (i === undefined) throw new Error(`bucket ${row.ts.toISOString()} is off the ${g.ts.length}-bucket grid`);
    for (const { column, values } of columns) values[i] = num(row[column] as number | null);
  }
}

const runFilter = (q: SeriesQuery) => (q.runId === undefined ? sql.raw('') : sql`AND run_id = ${q.runId}`);

/** The queues a per-queue metric reads, sorted by name, and how many more it left out. */
interface QueueList {
  queues: string[];
  truncated: number;
}

/** The first `max` of `ranked` (busiest first), sorted by name; `total` distinct queues exist. */
function keepBusiest(ranked: readonly string[], total: number, max: number | undefined): QueueList {
  const queues = ranked.slice(0, max ?? ranked.length).sort();
  return { queues, truncated: Math.max(0, total - queues.length) };
}

/** Whole number for a SQL LIMIT: `max`, or all when not given. */
const limitOf = (max: number | undefined) => sql.lit(max === undefined ? 1_000_000 : Math.max(1, Math.floor(max)));

/**
 * Queues with any event in the window (of the run), read from the per-second counts: the
 * `maxQueues` with the most events, sorted by name, and how many more there are.
 */
async function eventQueues(db: Kysely<Database>, q: SeriesQuery, g: Grid): Promise<QueueList> {
  const where = sql`ts >= ${g.secondFromIso} AND ts < ${g.toIso} ${runFilter(q)}`;
  const [ranked, total] = await Promise.all([
    sql<{ queue: string; n: number }>`
      SELECT queue, sum(n) AS n FROM event_counts_1s WHERE ${where}
      ORDER BY n DESC, queue LIMIT ${limitOf(q.maxQueues)}`.execute(db),
    sql<{ total: number }>`SELECT count_distinct(queue) AS total FROM event_counts_1s WHERE ${where}`.execute(db),
  ]);
  return keepBusiest(
    ranked.rows.map((r) => r.queue),
    total.rows[0]?.total ?? 0,
    q.maxQueues,
  );
}

/** Events per second per queue: matching events in a bucket / step (from `event_counts_1s`); 0 for an empty bucket. */
async function eventRate(db: Kysely<Database>, q: SeriesQuery, events: RawBuilder<unknown>): Promise<TimeSeries> {
  const g = grid(q);
  const out: TimeSeries = { ts: g.ts, series: {}, truncatedQueues: 0 };
  if (g.ts.length === 0) return out;
  const list = await eventQueues(db, q, g);
  out.truncatedQueues = list.truncated;
  for (const queue of list.queues) {
    const { rows } = await sql<BucketRow>`
      SELECT ts, cast(coalesce(n, 0) AS double) / ${sql.lit(q.stepSeconds)} AS rate FROM (
        SELECT ts, sum(n) AS n FROM event_counts_1s
        WHERE queue = ${queue} AND ${events} ${runFilter(q)} AND ts >= ${g.secondFromIso} AND ts < ${g.toIso}
        SAMPLE BY ${g.step} FROM ${g.fromLit} TO ${g.toLit} FILL(0) ALIGN TO CALENDAR
      )`.execute(db);
    pivot(g, out.series, queue, { rate: 'rate' }, rows);
  }
  return out;
}

/**
 * p50/p95/p99 of one duration per queue and bucket, ms (nearest rank within 0.5 %, db/histogram.ts):
 * the histogram view's buckets are merged per time bucket, and a running count per time bucket
 * finds each rank. Null for an empty bucket.
 */
async function percentiles(db: Kysely<Database>, q: SeriesQuery, view: 'latency_hist_1s' | 'wait_hist_1s'): Promise<TimeSeries> {
  const g = grid(q);
  const out: TimeSeries = { ts: g.ts, series: {}, truncatedQueues: 0 };
  if (g.ts.length === 0) return out;
  const pick = (quantile: number, name: string) =>
    sql`min(CASE WHEN cum >= greatest(1, ceil(${sql.lit(quantile)} * cnt)) THEN v END) AS ${sql.ref(name)}`;
  const list = await eventQueues(db, q, g);
  out.truncatedQueues = list.truncated;
  for (const queue of list.queues) {
    const { rows } = await sql<BucketRow>`
      SELECT ts, ${pick(0.5, 'p50')}, ${pick(0.95, 'p95')}, ${pick(0.99, 'p99')}
      FROM (
        SELECT ts, ${BUCKET_VALUE} AS v,
               sum(n) OVER (PARTITION BY ts ORDER BY b ROWS UNBOUNDED PRECEDING) AS cum,
               sum(n) OVER (PARTITION BY ts) AS cnt
        FROM (
          SELECT timestamp_floor(${sql.lit(`${q.stepSeconds}s`)}, ts) AS ts, b, sum(n) AS n, min(lo) AS lo, max(hi) AS hi
          FROM ${sql.table(view)}
          WHERE queue = ${queue} ${runFilter(q)} AND ts >= ${g.secondFromIso} AND ts < ${g.toIso}
          GROUP BY 1, b
        )
      )
      GROUP BY ts
      ORDER BY ts`.execute(db);
    pivot(g, out.series, queue, { p50: 'p50', p95: 'p95', p99: 'p99' }, rows);
  }
  return out;
}

/** Finished jobs (`completed` + `failed`) per second, per queue (`<queue>.rate`, jobs/s; 0 when none). */
export function throughput(db: Kysely<Database>, q: SeriesQuery): Promise<TimeSeries> {
  return eventRate(db, q, sql`event IN ('completed', 'failed')`);
}

/** End-to-end latency `latency_ms` of `completed`/`failed` jobs per queue: `<queue>.p50|p95|p99`, ms; null when none. */
export function latency(db: Kysely<Database>, q: SeriesQuery): Promise<TimeSeries> {
  return percentiles(db, q, 'latency_hist_1s');
}

/** Message delay `wait_ms` of first attempts (`active`, attempt 1) per queue: `<queue>.p50|p95|p99`, ms; null when none. */
export function wait(db: Kysely<Database>, q: SeriesQuery): Promise<TimeSeries> {
  return percentiles(db, q, 'wait_hist_1s');
}

/** Attempts that failed and will be retried (`retried`) per second, per queue (`<queue>.rate`, 1/s; 0 when none). */
export function retries(db: Kysely<Database>, q: SeriesQuery): Promise<TimeSeries> {
  return eventRate(db, q, sql`event = 'retried'`);
}

/** Jobs that failed for good (`failed`) per second, per queue (`<queue>.rate`, jobs/s; 0 when none). */
export function failures(db: Kysely<Database>, q: SeriesQuery): Promise<TimeSeries> {
  return eventRate(db, q, sql`event = 'failed'`);
}

/**
 * Sampled queue depth of one namespace per queue: `<queue>.waiting|active|delayed|failed`, the
 * highest per-second sample in the bucket (jobs); null when no sample. Ignores `runId`: depth is
 * per namespace, not per run.
 */
export async function depth(db: Kysely<Database>, q: SeriesQuery & { namespace: string }): Promise<TimeSeries> {
  const g = grid(q);
  const out: TimeSeries = { ts: g.ts, series: {}, truncatedQueues: 0 };
  if (g.ts.length === 0) return out;
  const where = sql`namespace = ${q.namespace} AND ts >= ${g.fromIso} AND ts < ${g.toIso}`;
  const [ranked, total] = await Promise.all([
    sql<{ queue: string; peak: number }>`
      SELECT queue, max(waiting + active + delayed) AS peak FROM queue_depth WHERE ${where}
      ORDER BY peak DESC, queue LIMIT ${limitOf(q.maxQueues)}`.execute(db),
    sql<{ total: number }>`SELECT count_distinct(queue) AS total FROM queue_depth WHERE ${where}`.execute(db),
  ]);
  const list = keepBusiest(
    ranked.rows.map((r) => r.queue),
    total.rows[0]?.total ?? 0,
    q.maxQueues,
  );
  out.truncatedQueues = list.truncated;
  for (const queue of list.queues) {
    const { rows } = await sql<BucketRow>`
      SELECT ts, max(waiting) AS waiting, max(active) AS active, max(delayed) AS delayed, max(failed) AS failed
      FROM queue_depth
      WHERE namespace = ${q.namespace} AND queue = ${queue} AND ts >= ${g.fromIso} AND ts < ${g.toIso}
      SAMPLE BY ${g.step} FROM ${g.fromLit} TO ${g.toLit} FILL(NULL) ALIGN TO CALENDAR`.execute(db);
    pivot(g, out.series, queue, { waiting: 'waiting', active: 'active', delayed: 'delayed', failed: 'failed' }, rows);
  }
  return out;
}

/**
 * Sampled stats of one Redis server (`redis` = host:port), per bucket: `redis.ops_per_sec` (mean,
 * commands/s), `redis.used_memory_bytes` (max, bytes), `redis.connected_clients` (max),
 * `redis.ping_ms` (mean PING round trip, ms), `redis.ping_ms_max` (max, ms); null when no sample.
 * Ignores `runId`.
 */
export async function redis(db: Kysely<Database>, q: SeriesQuery & { redis: string }): Promise<TimeSeries> {
  const g = grid(q);
  const out: TimeSeries = { ts: g.ts, series: {}, truncatedQueues: 0 };
  if (g.ts.length === 0) return out;
  const { rows } = await sql<BucketRow>`
    SELECT ts, avg(ops_per_sec) AS ops_per_sec, max(used_memory_bytes) AS used_memory_bytes,
           max(connected_clients) AS connected_clients, avg(ping_ms) AS ping_ms, max(ping_ms) AS ping_ms_max
    FROM redis_stats
    WHERE redis = ${q.redis} AND ts >= ${g.fromIso} AND ts < ${g.toIso}
    SAMPLE BY ${g.step} FROM ${g.fromLit} TO ${g.toLit} FILL(NULL) ALIGN TO CALENDAR`.execute(db);
  const stats = {
    ops_per_sec: 'ops_per_sec',
    used_memory_bytes: 'used_memory_bytes',
    connected_clients: 'connected_clients',
    ping_ms: 'ping_ms',
    ping_ms_max: 'ping_ms_max',
  };
  pivot(g, out.series, 'redis', stats, rows);
  return out;
}

/**
 * Client side of a run from `load_metrics`: `client.rps` (requests per second, mean over the
 * bucket's seconds), `client.vus` (max), `client.p95` / `client.p99` (worst second's HTTP
 * percentile in the bucket, ms), `client.errors` (errors + timeouts + 5xx per second); null when
 * the generator sent nothing for the bucket. Without a run id: every run's load.
 */
export async function load(db: Kysely<Database>, q: SeriesQuery): Promise<TimeSeries> {
  const g = grid(q);
  const out: TimeSeries = { ts: g.ts, series: {}, truncatedQueues: 0 };
  if (g.ts.length === 0) return out;
  const { rows } = await sql<BucketRow>`
    SELECT ts, avg(requests) AS rps, max(vus) AS vus, max(p95_ms) AS p95, max(p99_ms) AS p99, avg(errors + timeouts + status_5xx) AS errors
    FROM load_metrics
    WHERE ts >= ${g.fromIso} AND ts < ${g.toIso} ${runFilter(q)}
    SAMPLE BY ${g.step} FROM ${g.fromLit} TO ${g.toLit} FILL(NULL) ALIGN TO CALENDAR`.execute(db);
  pivot(g, out.series, 'client', { rps: 'rps', vus: 'vus', p95: 'p95', p99: 'p99', errors: 'errors' }, rows);
  return out;
}
