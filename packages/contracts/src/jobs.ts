/**
 * What the producer puts in `job.data`, and the one place the collector reads the run id from.
 * Any BullMQ app can tag its jobs with a run the same way: a top-level string `runId` in the data.
 */
export interface JobData {
  /** Load-test run the job belongs to (the `X-Run-Id` header); empty when none. */
  runId: string;
  /** The caller's payload. */
  input: unknown;
}

const RUN_ID_FIRST = '{"runId":"';

/** The run id inside a job's raw `data` field (JSON text), '' when absent or not JSON. */
export function runIdOfJobData(raw: string | null | undefined): string {
  if (!raw || !raw.includes('"runId"')) return '';
  // Fast path for the producer's own jobs: JSON.stringify writes `runId` first, and an id without
  // escapes ends at the next quote (run ids match RUN_ID_PATTERN). Anything else is parsed.
  if (raw.startsWith(RUN_ID_FIRST)) {
    const end = raw.indexOf('"', RUN_ID_FIRST.length);
    const id = raw.slice(RUN_ID_FIRST.length, end);
    if (end > 0 && !id.includes('\\')) return id;
  }
  try {
    const parsed = JSON.parse(raw) as { runId?: unknown };
    return typeof parsed.runId === 'string' ? parsed.runId : '';
  } catch {
    return '';
  }
}
