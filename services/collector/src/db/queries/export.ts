import { JOB_EVENT_COLUMNS } from '@queuescope/contracts';
import { sql, type Kysely } from 'kysely';
import type { Database, JobEventsTable } from '../database.js';

/** A run's events lie in this window (analytics/summary.ts `runWindow`): ISO-8601 bounds, inclusive. */
export interface ExportWindow {
  from: string;
  to: string;
}

/**
 * The first `limit` `job_events` rows of a run in time order, streamed in chunks of `chunkSize`
 * rows through a pg cursor (a run can hold millions). Columns in contract order; `ts` as a Date
 * (UTC). The cursor holds one pooled connection until the iterator ends or its `return()` is
 * called, which closes the cursor and releases the connection.
 */
export function streamRunEvents(
  db: Kysely<Database>,
  runId: string,
  window: ExportWindow,
  limit: number,
  chunkSize = 2000,
): AsyncIterableIterator<JobEventsTable> {
  return db
    .selectFrom('job_events')
    .select([...JOB_EVENT_COLUMNS])
    .where('run_id', '=', runId)
    .where('ts', '>=', window.from as unknown as Date)
    .where('ts', '<=', window.to as unknown as Date)
    .orderBy('ts')
    .limit(sql.lit(Math.max(1, Math.floor(limit))))
    .stream(chunkSize);
}

/** Number of `job_events` rows of a run now (rows). */
export async function countRunEvents(db: Kysely<Database>, runId: string, window: ExportWindow): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count() AS n FROM job_events WHERE run_id = ${runId} AND ts >= ${window.from} AND ts <= ${window.to}`.execute(db);
  return rows[0]?.n ?? 0;
}
