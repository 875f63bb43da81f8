import { JOB_EVENT_COLUMNS, JOB_EVENT_DEDUP_KEYS } from '@queuescope/contracts';

/** QuestDB type of each `job_events` column (DESIGN.md "Event schema"), in contract order. */
export const JOB_EVENT_COLUMN_TYPES: Record<(typeof JOB_EVENT_COLUMNS)[number], string> = {
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
};

/**
 * DDL, run in order at collector start. Tables are made here, never by ILP: ILP-created tables
 * have no dedup. WAL + `DEDUP UPSERT KEYS` make a re-delivered event replace itself instead of
 * adding a row (DESIGN invariant 2).
 */
export const SCHEMA_STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS job_events (
    ${JOB_EVENT_COLUMNS.map((c) => `${c} ${JOB_EVENT_COLUMN_TYPES[c]}`).join(',\n    ')}
  ) TIMESTAMP(ts) PARTITION BY HOUR WAL
  DEDUP UPSERT KEYS(${JOB_EVENT_DEDUP_KEYS.join(', ')})`,
];
