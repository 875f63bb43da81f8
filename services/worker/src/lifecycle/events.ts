import { MAX_ERROR_LENGTH, msToMicros, type JobEvent, type TerminalEventType } from '@queuescope/contracts';
import type { Job } from 'bullmq';

/** Job data as the producer writes it. */
export interface JobData {
  runId?: string;
  input?: unknown;
}

export type QsJob = Job<JobData>;

function base(job: QsJob, worker: string): Pick<JobEvent, 'run_id' | 'queue' | 'job_id' | 'job_name' | 'worker'> {
  return { run_id: job.data?.runId ?? '', queue: job.queueName, job_id: job.id!, job_name: job.name, worker };
}

/**
 * `active` for the attempt BullMQ just started. ts = BullMQ's `processedOn`; `wait_ms` (message
 * delay, ms) = processedOn − timestamp − delay, set on the first attempt only: later attempts
 * waited out a backoff on purpose, and their time is in the job's `latency_ms`. BullMQ stamps
 * processedOn with the time an idle worker began fetching, which can precede the enqueue by a few
 * ms; durations are clamped at 0, since QuestDB's percentile functions reject negative values.
 */
export function activeEvent(job: QsJob, worker: string): JobEvent {
  const started = job.processedOn ?? Date.now();
  const attempt = job.attemptsStarted;
  const event: JobEvent = { ...base(job, worker), ts: msToMicros(started), event: 'active', attempt };
  if (attempt === 1) event.wait_ms = Math.max(0, started - job.timestamp - (job.opts.delay ?? 0));
  return event;
}

/**
 * The event that ends the running attempt, at `finishedAt` (epoch ms): `run_ms` = finishedAt −
 * processedOn, and on the job's last event (`completed`/`failed`) `latency_ms` = finishedAt − timestamp.
 */
export function terminalEvent(job: QsJob, worker: string, type: Exclude<TerminalEventType, 'stalled'>, finishedAt: number, error?: unknown): JobEvent {
  const started = job.processedOn ?? finishedAt;
  const event: JobEvent = {
    ...base(job, worker),
    ts: msToMicros(finishedAt),
    event: type,
    attempt: job.attemptsStarted,
    run_ms: Math.max(0, finishedAt - started),
  };
  if (type !== 'retried') event.latency_ms = Math.max(0, finishedAt - job.timestamp);
  if (error !== undefined) event.error = errorText(error);
  return event;
}

/**
 * The same row as `event` (same dedup key, so QuestDB replaces it) with `run_ms`/`latency_ms`
 * taken from BullMQ's own `finishedOn`, which BullMQ stamps only after our publish-before-ack.
 */
export function refinedTerminalEvent(event: JobEvent, job: QsJob): JobEvent | undefined {
  const finishedOn = job.finishedOn;
  if (!finishedOn || msToMicros(finishedOn) === event.ts) return undefined;
  const started = job.processedOn ?? finishedOn;
  return { ...event, run_ms: Math.max(0, finishedOn - started), latency_ms: Math.max(0, finishedOn - job.timestamp) };
}

/**
 * `stalled` for an attempt whose worker stopped renewing its lock (died, or blocked its event loop).
 * The attempt is the one that was running: if another worker already restarted the job
 * (`processedOn` after the detection), that restart is one attempt later. A job BullMQ failed for
 * stalling too often gets `failed` instead, so every attempt still ends in exactly one terminal row.
 */
export function stalledEvent(job: QsJob, worker: string, detectedAt: number, finalState: string): JobEvent {
  const restarted = (job.processedOn ?? 0) >= detectedAt;
  const attempt = Math.max(1, job.attemptsStarted - (restarted ? 1 : 0));
  const failed = finalState === 'failed';
  const event: JobEvent = { ...base(job, worker), ts: msToMicros(detectedAt), event: failed ? 'failed' : 'stalled', attempt };
  if (failed) {
    event.latency_ms = Math.max(0, (job.finishedOn ?? detectedAt) - job.timestamp);
    event.error = errorText(job.failedReason || 'job stalled more than allowable limit');
  }
  return event;
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, MAX_ERROR_LENGTH);
}
