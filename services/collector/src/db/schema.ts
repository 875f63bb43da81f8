import { JOB_EVENT_COLUMNS, JOB_EVENT_DEDUP_KEYS } from '@queuescope/contracts';
import { bucketOf } from './histogram.js';

/**
 * Who wrote a `job_events` row: `capture` for rows the capture made from BullMQ's events streams,
 * `api` for rows sent to `POST /api/v1/events`. It is one of the dedup keys, so a row sent to the
 * API with the same ts, queue, job id and event as a captured row is stored next to it and can
 * never replace it (issue 10: the API must not overwrite captured history). Set by the capture
 * loop per batch from the stream it read, never by a client.
 */
export const ROW_SOURCES = ['capture', 'api'] as const;
export type RowSource = (typeof ROW_SOURCES)[number];

/** `job_events` columns in table order: the contract's, then `source` (the collector's, see {@link ROW_SOURCES}). */
export const JOB_EVENT_TABLE_COLUMNS = [...JOB_EVENT_COLUMNS, 'source'] as const;

/** `job_events` dedup keys: the contract's event identity within one source, plus the source. */
export const JOB_EVENT_TABLE_DEDUP_KEYS = [...JOB_EVENT_DEDUP_KEYS, 'source'] as const;

/** QuestDB type of each `job_events` column (DESIGN.md "Event schema"), in table order. */
export const JOB_EVENT_COLUMN_TYPES: Record<(typeof JOB_EVENT_TABLE_COLUMNS)[number], string> = {
  ts: 'TIMESTAMP',
  run_id: 'SYMBOL',
  queue: 'SYMBOL',
  event: 'SYMBOL',
  job_id: 'VARCHAR',
  job_name: 'SYMBOL',
  attempt: 'INT',
  worker: 'SYMBOL',
  wait_ms: 'DOUBLE',
  run_ms: 'DOUBLE',
  latency_ms: 'DOUBLE',
  error: 'VARCHAR',
  source: 'SYMBOL',
};

/** `concurrency_changes` columns in table order (db/queries/concurrency.ts writes and reads them). */
export const CONCURRENCY_CHANGE_COLUMNS = [
  'ts',
  'namespace',
  'queue',
  'old_concurrency',
  'new_concurrency',
  'actor',
  'run_id',
  'reason',
] as const;

/** QuestDB type of each `concurrency_changes` column. */
export const CONCURRENCY_CHANGE_COLUMN_TYPES: Record<(typeof CONCURRENCY_CHANGE_COLUMNS)[number], string> = {
  ts: 'TIMESTAMP',
  namespace: 'SYMBOL',
  queue: 'SYMBOL',
  old_concurrency: 'INT',
  new_concurrency: 'INT',
  actor: 'SYMBOL',
  run_id: 'SYMBOL',
  reason: 'VARCHAR',
};

/**
 * DDL, run in order at collector start. Tables are made here, never by ILP: ILP-created tables
 * have no dedup. WAL + `DEDUP UPSERT KEYS` make a re-delivered event replace itself instead of
 * adding a row (DESIGN invariant 2).
 */
export const SCHEMA_STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS job_events (
    ${JOB_EVENT_TABLE_COLUMNS.map((c) => `${c} ${JOB_EVENT_COLUMN_TYPES[c]}`).join(',\n    ')}
  ) TIMESTAMP(ts) PARTITION BY HOUR WAL
  DEDUP UPSERT KEYS(${JOB_EVENT_TABLE_DEDUP_KEYS.join(', ')})`,
  // (job_events.run_id is indexed: see SYMBOL_INDEXES.)
  // Per-second pre-aggregates of job_events (DESIGN invariant 5: still SQL over the history, kept
  // by QuestDB itself, refreshed after every commit of job_events): what summaries, comparisons,
  // charts and the live tick read, so their cost follows the number of seconds and buckets asked
  // for, not the number of events stored. Counts per event and attempt:
  `CREATE MATERIALIZED VIEW IF NOT EXISTS event_counts_1s AS (
    SELECT ts, run_id, queue, event, attempt, count() AS n, min(ts) AS first_ts, max(ts) AS last_ts
    FROM job_events
    SAMPLE BY 1s
  ) PARTITION BY DAY`,
  ...(['latency_ms', 'wait_ms', 'run_ms'] as const).map(
    // Log-bucket histograms of each duration (db/histogram.ts): count, smallest, largest and sum per bucket.
    (column) => `CREATE MATERIALIZED VIEW IF NOT EXISTS ${column.replace('_ms', '')}_hist_1s AS (
    SELECT ts, run_id, queue, ${bucketOf(column)} AS b, count() AS n, min(${column}) AS lo, max(${column}) AS hi, sum(${column}) AS total
    FROM job_events
    WHERE ${column} IS NOT NULL
    SAMPLE BY 1s
  ) PARTITION BY DAY`,
  ),
  // Which worker processes started attempts, per minute (diagnosis counts them per queue).
  `CREATE MATERIALIZED VIEW IF NOT EXISTS workers_1m AS (
    SELECT ts, run_id, queue, worker, count() AS attempts
    FROM job_events
    WHERE event = 'active'
    SAMPLE BY 1m
  ) PARTITION BY DAY`,
  // One row per run; finishing a run writes the row again with the same (ts, id): the upsert
  // replaces it, so a run is one row whose latest version wins.
  `CREATE TABLE IF NOT EXISTS runs (
    ts TIMESTAMP,
    id VARCHAR,
    name VARCHAR,
    scenario SYMBOL,
    engine SYMBOL,
    status SYMBOL,
    config VARCHAR,
    ended_at TIMESTAMP,
    client_summary VARCHAR
  ) TIMESTAMP(ts) PARTITION BY YEAR WAL
  DEDUP UPSERT KEYS(ts, id)`,
  // Sampled once per second per queue by the collector; ts is truncated to the second, so two
  // collectors sampling the same second upsert one row.
  `CREATE TABLE IF NOT EXISTS queue_depth (
    ts TIMESTAMP,
    namespace SYMBOL,
    queue SYMBOL,
    waiting LONG,
    active LONG,
    delayed LONG,
    failed LONG
  ) TIMESTAMP(ts) PARTITION BY DAY WAL
  DEDUP UPSERT KEYS(ts, namespace, queue)`,
  // Client side of a load test, one row per second per run and source (builtin engine or k6):
  // what the load generator saw over HTTP. Percentiles are the generator's own per-second
  // HdrHistogram values, ms.
  `CREATE TABLE IF NOT EXISTS load_metrics (
    ts TIMESTAMP,
    run_id SYMBOL,
    source SYMBOL,
    vus LONG,
    requests LONG,
    accepted LONG,
    errors LONG,
    timeouts LONG,
    status_4xx LONG,
    status_5xx LONG,
    p50_ms DOUBLE,
    p95_ms DOUBLE,
    p99_ms DOUBLE,
    max_ms DOUBLE
  ) TIMESTAMP(ts) PARTITION BY DAY WAL
  DEDUP UPSERT KEYS(ts, run_id, source)`,
  // Entries BullMQ trimmed from an events stream before any collector read them (DESIGN invariant
  // 3): one row per detection; `ts` (ms precision) is when the capture noticed, from Redis's clock.
  `CREATE TABLE IF NOT EXISTS capture_gaps (
    ts TIMESTAMP,
    stream SYMBOL,
    queue SYMBOL,
    lost LONG
  ) TIMESTAMP(ts) PARTITION BY DAY WAL
  DEDUP UPSERT KEYS(ts, stream)`,
  // Run-time concurrency changes (issue 12: PUT /api/v1/queues/:queue/concurrency, npm run tune,
  // loadtest --tune): who, when, old → new slots per worker process. One row per change, written
  // by the route over PGWire; no dedup (two changes in one ms are two rows). `namespace` keeps
  // deployments and test runs that share a QuestDB apart, as in queue_depth.
  `CREATE TABLE IF NOT EXISTS concurrency_changes (
    ${CONCURRENCY_CHANGE_COLUMNS.map((c) => `${c} ${CONCURRENCY_CHANGE_COLUMN_TYPES[c]}`).join(',\n    ')}
  ) TIMESTAMP(ts) PARTITION BY DAY WAL`,
  `CREATE TABLE IF NOT EXISTS redis_stats (
    ts TIMESTAMP,
    redis SYMBOL,
    ops_per_sec DOUBLE,
    used_memory_bytes LONG,
    connected_clients LONG,
    ping_ms DOUBLE
  ) TIMESTAMP(ts) PARTITION BY DAY WAL
  DEDUP UPSERT KEYS(ts, redis)`,
];

/**
 * SYMBOL columns with an index, made at start when missing (tables created by an older version
 * lack them): every per-run query filters on `run_id`, and the index turns that scan into a lookup.
 */
export const SYMBOL_INDEXES: readonly { table: string; column: string }[] = [{ table: 'job_events', column: 'run_id' }];

/** Columns added after a table's first release; added at start to tables that lack them. */
export const ADDED_COLUMNS: readonly { table: string; column: string; type: string }[] = [
  { table: 'runs', column: 'client_summary', type: 'VARCHAR' },
  // Rows stored before it have no source (NULL): they keep their place, and new rows never match
  // them, so an entry stored before the upgrade and re-delivered after it would be a second row
  // (only an entry stored but not yet acknowledged when the old collector stopped).
  { table: 'job_events', column: 'source', type: 'SYMBOL' },
];

/**
 * DDL run last, after the added columns exist: the dedup keys name `source`. Idempotent. Tables
 * made before capture moved to BullMQ's own streams had `attempt` among the keys, and tables made
 * before `source` existed lack it.
 */
export const FINAL_STATEMENTS: readonly string[] = [
  `ALTER TABLE job_events DEDUP ENABLE UPSERT KEYS(${JOB_EVENT_TABLE_DEDUP_KEYS.join(', ')})`,
];
