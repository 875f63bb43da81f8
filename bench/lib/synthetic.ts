/** Synthetic `job_events` rows written straight through ILP, for the benchmarks of stored history and ingest cost. */
import { QUEUE_NAMES, type JobEvent } from '@queuescope/contracts';
import { QuestdbWriter } from '../../services/collector/src/capture/questdb-writer.js';

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
    const row = (event: string, attempt: number, ts: number, fields: Record<string, number> = {}): SyntheticRow => ({
      queue,
      jobId,
      event,
      attempt,
      ts,
      fields,
      job,
    });
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

/** Row `r` of run `runId` as the collector stores it. */
export function toJobEvent(runId: string, r: SyntheticRow): JobEvent {
  return {
    ts: r.ts,
    run_id: runId,
    queue: r.queue,
    event: r.event as JobEvent['event'],
    job_id: r.jobId,
    job_name: 'bench',
    attempt: r.attempt,
    worker: `bench:${r.job % 5}`,
    ...r.fields,
  };
}

/**
 * Write `events` rows of one run starting at `startUs` as fast as QuestDB takes them, through the
 * collector's own writer, 200,000 rows per transaction; `onProgress(written, lastTs)` after each.
 * Returns the last row's ts, µs.
 */
export async function writeRun(
  ilpConf: string,
  runId: string,
  events: number,
  startUs: number,
  onProgress: (written: number, lastTs: number) => Promise<void> = async () => undefined,
): Promise<number> {
  const writer = QuestdbWriter.create(ilpConf);
  let written = 0;
  let lastTs = startUs;
  let batch: JobEvent[] = [];
  try {
    for (const r of syntheticRows(runId, startUs)) {
      if (written >= events) break;
      batch.push(toJobEvent(runId, r));
      written++;
      lastTs = Math.max(lastTs, r.ts);
      if (batch.length === 200_000) {
        await writer.write(batch);
        batch = [];
        await onProgress(written, lastTs);
      }
    }
    await writer.write(batch);
  } finally {
    writer.close();
  }
  await onProgress(written, lastTs);
  return lastTs;
}
