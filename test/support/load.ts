import { QUEUE_NAMES, type QueueName } from '@queuescope/contracts';
import { producerAuth } from './stack.js';

/**
 * Settings for the fault tests: short jobs, some retries on every queue, a few final failures;
 * with SIGKILLs on top, every kind of terminal row (retried, completed, failed, stalled) shows up
 * under moderate load on 2 cores. Stalls are detected within seconds (BullMQ's defaults take up
 * to a minute), so a job whose worker died or lost its lock does not outlast the test.
 */
export const FAULT_ENV: Record<string, string> = {
  WORKER_LOCK_MS: '4000',
  WORKER_STALLED_INTERVAL_MS: '1500',
  QUEUE_PAYMENT_CONCURRENCY: '5',
  QUEUE_PAYMENT_LATENCY: 'uniform:20:150',
  QUEUE_PAYMENT_FAILURE_RATE: '0.15',
  QUEUE_PAYMENT_ATTEMPTS: '3',
  QUEUE_PAYMENT_BACKOFF: 'fixed:20',
  QUEUE_NOTIFICATION_CONCURRENCY: '5',
  QUEUE_NOTIFICATION_LATENCY: 'uniform:10:60',
  QUEUE_NOTIFICATION_FAILURE_RATE: '0.1',
  QUEUE_NOTIFICATION_ATTEMPTS: '2',
  QUEUE_NOTIFICATION_BACKOFF: 'fixed:10',
  QUEUE_WEBHOOK_CONCURRENCY: '5',
  QUEUE_WEBHOOK_LATENCY: 'lognormal:40:250',
  QUEUE_WEBHOOK_FAILURE_RATE: '0.2',
  QUEUE_WEBHOOK_ATTEMPTS: '3',
  QUEUE_WEBHOOK_BACKOFF: 'exponential:10',
};

/** What a load run saw. */
export interface LoadResult {
  /** Job ids the producer answered 202 for, per queue. */
  accepted: Map<QueueName, string[]>;
  /** How many answers of each HTTP status; 0 counts requests that got no answer (connection refused or reset). */
  statuses: Map<number, number>;
  /** Bodies of non-202 answers (first few), for assertions on 503 reasons. */
  refusals: { status: number; body: string }[];
}

export interface LoadOptions {
  producerUrl: string;
  runId: string;
  /** Jobs in total, spread round-robin over `queues`. */
  jobs: number;
  queues?: readonly QueueName[];
  /** Requests per second overall. */
  ratePerSec: number;
  /** Concurrent clients. */
  clients?: number;
  /** The job's `data` (the producer stores it as `input`); default `{ i }`. */
  data?: (i: number, queue: QueueName) => Record<string, unknown>;
  /** Updated as answers arrive, so a test can act mid-run (e.g. kill something after N accepted). */
  progress?: LoadProgress;
}

/** Live counters of a running load. */
export interface LoadProgress {
  sent: number;
  accepted: number;
  failed: number;
}

export function newProgress(): LoadProgress {
  return { sent: 0, accepted: 0, failed: 0 };
}

/**
 * POST `jobs` jobs to `POST /api/v1/queues/:queue/jobs` at `ratePerSec`, tagged `X-Run-Id` (and
 * with the producer's token when `startStack` started it with one).
 * Unlike `sendJobs`, a request that gets no answer (the producer was killed, or not yet back) is
 * counted as status 0 and the load goes on: fault tests kill things under it.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const queues = opts.queues ?? QUEUE_NAMES;
  const accepted = new Map<QueueName, string[]>(queues.map((q) => [q, []]));
  const statuses = new Map<number, number>();
  const refusals: LoadResult['refusals'] = [];
  const progress = opts.progress ?? newProgress();
  const count = (status: number): void => {
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status === 202) progress.accepted++;
    else progress.failed++;
  };
  const started = Date.now();
  const auth = producerAuth(opts.producerUrl);
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < opts.jobs) {
      const i = next++;
      const queue = queues[i % queues.length]!;
      const due = started + (i * 1000) / opts.ratePerSec;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      let res: Response;
      progress.sent++;
      try {
        res = await fetch(`${opts.producerUrl}/api/v1/queues/${queue}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-run-id': opts.runId, ...auth },
          body: JSON.stringify({ name: `${queue}-job`, data: opts.data ? opts.data(i, queue) : { i } }),
          signal: AbortSignal.timeout(15_000),
        });
      } catch {
        count(0);
        continue;
      }
      const text = await res.text().catch(() => '');
      count(res.status);
      if (res.status === 202) accepted.get(queue)!.push((JSON.parse(text) as { jobId: string }).jobId);
      else if (refusals.length < 50) refusals.push({ status: res.status, body: text });
    }
  };
  await Promise.all(Array.from({ length: opts.clients ?? 20 }, client));
  return { accepted, statuses, refusals };
}

/** Total of `accepted`. */
export function acceptedCount(result: LoadResult): number {
  return [...result.accepted.values()].reduce((n, ids) => n + ids.length, 0);
}
