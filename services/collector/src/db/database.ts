/**
 * Tables as kysely sees them over PGWire (STYLE R11). Timestamps arrive as `Date` (UTC), LONG
 * (`count()`) as `number` thanks to the pool's type parsers (plugins/questdb.ts).
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
  wait_ms: number | null;
  run_ms: number | null;
  latency_ms: number | null;
  error: string | null;
}

export interface Database {
  job_events: JobEventsTable;
}
