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

/** The run id inside a job's raw `data` field (JSON text), '' when absent or not JSON. */
export function runIdOfJobData(raw: string | null | undefined): string {
  if (!raw || !raw.includes('"runId"')) return '';
  try {
    const parsed = JSON.parse(raw) as { runId?: unknown };
    return typeof parsed.runId === 'string' ? parsed.runId : '';
  } catch {
    return '';
  }
}
