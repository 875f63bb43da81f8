/**
 * Tables as kysely sees them over PGWire (STYLE R11). Timestamps arrive as `Date` (UTC), LONG
 * (`count()`) as `number` thanks to the pool's type parsers (plugins/questdb.ts). DDL: db/schema.ts.
 */
export interface JobEventsTable {
  ts: Date;
  run_id: string | null;
  queue: string;
  event: string;
  job_id: string;
  job_name: string | null;
  attempt: number;
  worker: string | null;
  /** ms */
  wait_ms: number | null;
  /** ms */
  run_ms: number | null;
  /** ms */
  latency_ms: number | null;
  error: string | null;
}

/** `job_events` as stored: the contract's columns (a row as exported) plus who wrote it. */
export interface JobEventsStoredTable extends JobEventsTable {
  /** `capture` | `api` (db/schema.ts ROW_SOURCES); null for rows stored before the column existed. */
  source: string | null;
}

export interface RunsTable {
  /** When the run started (designated timestamp). */
  ts: Date;
  id: string;
  name: string;
  scenario: string | null;
  engine: string | null;
  /** `running` | `finished` | `aborted` */
  status: string;
  /** JSON text of the free-form run config. */
  config: string | null;
  ended_at: Date | null;
  /** JSON text of the load generator's end-of-run numbers (engine result or k6 handleSummary). */
  client_summary: string | null;
}

export interface LoadMetricsTable {
  ts: Date;
  run_id: string;
  /** `builtin` | `k6` */
  source: string;
  vus: number;
  requests: number;
  accepted: number;
  errors: number;
  timeouts: number;
  status_4xx: number;
  status_5xx: number;
  /** HTTP latency of the requests in this second, ms */
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

export interface QueueDepthTable {
  ts: Date;
  namespace: string;
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface RedisStatsTable {
  ts: Date;
  /** host:port of the sampled Redis */
  redis: string;
  ops_per_sec: number;
  used_memory_bytes: number;
  connected_clients: number;
  /** measured PING round trip, ms */
  ping_ms: number;
}

/** Entries BullMQ trimmed from an events stream before any collector read them; one row per detection. */
export interface CaptureGapsTable {
  /** When the capture noticed (Redis clock, ms precision). */
  ts: Date;
  /** The events stream key. */
  stream: string;
  queue: string;
  /** Entries lost (count). */
  lost: number;
}

/** One run-time concurrency change (PUT /api/v1/queues/:queue/concurrency); slots per worker process. */
export interface ConcurrencyChangesTable {
  /** When the collector applied it (designated timestamp). */
  ts: Date;
  /** QS_NAMESPACE of the deployment whose queue changed. */
  namespace: string;
  queue: string;
  old_concurrency: number;
  new_concurrency: number;
  /** Who asked: `tune`, `cli`, `api` or a tool's name. */
  actor: string;
  run_id: string | null;
  reason: string | null;
}

export interface Database {
  job_events: JobEventsStoredTable;
  runs: RunsTable;
  load_metrics: LoadMetricsTable;
  queue_depth: QueueDepthTable;
  redis_stats: RedisStatsTable;
  capture_gaps: CaptureGapsTable;
  concurrency_changes: ConcurrencyChangesTable;
}
