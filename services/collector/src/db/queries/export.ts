import { JOB_EVENT_COLUMNS } from '@queuescope/contracts';
import type { Kysely } from 'kysely';
import type { Database, JobEventsTable } from '../database.js';

/**
 * Every `job_events` row of a run in time order, streamed in chunks of `chunkSize` rows (a run can
 * hold millions). Columns in contract order; `ts` as a Date (UTC).
 */
export function streamRunEvents(
  db: Kysely<Database>,
  runId: string,
  window: { from: string; to: string },
  chunkSize = 2000,
): AsyncIterableIterator<JobEventsTable> {
  return db
    .selectFrom('job_events')
    .select([...JOB_EVENT_COLUMNS])
    .where('run_id', '=', runId)
    .where('ts', '>=', window.from as unknown as Date)
    .where('ts', '<=', window.to as unknown as Date)
    .orderBy('ts')
    .stream(chunkSize);
}
