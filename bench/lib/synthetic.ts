/** Synthetic `job_events` rows written straight through ILP, for the benchmarks of stored history and ingest cost. */
import { Sender } from '@questdb/nodejs-client';
import { QUEUE_NAMES } from '@queuescope/contracts';

/** Default spacing of job starts, µs: 10 jobs per ms. */
export const JOB_SPACING_US = 100;

/** One synthetic row: event, attempt, ts (µs) and its duration columns. */
export interface SyntheticRow {
  queue: string;
  jobId: string;
  event: string;
  attempt: number;
  ts: number;
  fields: Record<string, number>;
  /** The job's index, for the worker name. */
  job: number;
}

/**
 * The rows of one run whose jobs start at `startUs` (epoch µs), one every `spacingUs`, forever:
 * three queues; every job added → active → completed, one in ten retried once (3.2 rows per job).
 */
export function* syntheticRows(runId: string, startUs: number, spacingUs = JOB_SPACING_US): Generator<SyntheticRow> {
  for (let job = 0; ; job++) {
    const queue = QUEUE_NAMES[job % 3]!;
    const jobId = `${runId}-${job}`;
    const enqueued = startUs + job * spacingUs;
    const wait = (job * 7919) % 200;
    const run = 5 + ((job * 104729) % 300);
    const retried = job % 10 === 0;
    const row = (event: string, attempt: number, ts: number, fields: Record<string, number> = {}): SyntheticRow => ({ queue, jobId, event, attempt, ts, fields, job });
    yield row('added', 0, enqueued);
    yield row('active', 1, enqueued + wait * 1000, { wait_ms: wait });
    if (retried) {
      yield row('retried', 1, enqueued + (wait + run) * 1000, { run_ms: run });
      yield row('active', 2, enqueued + (wait + run + 20) * 1000);
    }
    const done = enqueued + (wait + run + (retried ? 20 + run : 0)) * 1000;
    yield row('completed', retried ? 2 : 1, done, { run_ms: run, latency_ms: (done - enqueued) / 1000 });
  }
}

/** Buffer one row of run `runId` in `sender` (no flush). */
export async function bufferRow(sender: Sender, runId: string, r: SyntheticRow): Promise<void> {
  const row = sender.table('job_events').symbol('run_id', runId).symbol('queue', r.queue).symbol('event', r.event).symbol('job_name', 'bench').symbol('worker', `bench:${r.job % 5}`).stringColumn('job_id', r.jobId).intColumn('attempt', r.attempt);
  for (const [k, v] of Object.entries(r.fields)) row.floatColumn(k, v);
  await row.at(r.ts, 'us');
}

/**
 * Write `events` rows of one run starting at `startUs` as fast as QuestDB takes them, flushing
 * every 200,000 rows; `onProgress(written, lastTs)` after each flush. Returns the last row's ts, µs.
 */
export async function writeRun(ilpConf: string, runId: string, events: number, startUs: number, onProgress: (written: number, lastTs: number) => Promise<void> = async () => undefined): Promise<number> {
  const sender = await Sender.fromConfig(ilpConf);
  let written = 0;
  let lastTs = startUs;
  for (const r of syntheticRows(runId, startUs)) {
    if (written >= events) break;
    await bufferRow(sender, runId, r);
    written++;
    lastTs = Math.max(lastTs, r.ts);
    if (written % 200_000 === 0) {
      await sender.flush();
      await onProgress(written, lastTs);
    }
  }
  await sender.flush();
  await sender.close();
  await onProgress(written, lastTs);
  return lastTs;
}
