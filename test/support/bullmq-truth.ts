import { QUEUE_NAMES, queueKeys, type Config, type EventType, type QueueName } from '@queuescope/contracts';
import { createRedis } from '@queuescope/service-kit';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';

/** One finished job as BullMQ records it, with the list it ended in. */
export interface TruthJob {
  queue: string;
  job: Job;
  state: 'completed' | 'failed';
}

/** BullMQ's own records of every finished job of one run, read straight from Redis. */
export interface Truth {
  jobs: Map<string, Job[]>;
  /** Final state of each job id, as BullMQ lists it (ids unique across queues, as the producer's uuids are). */
  states: Map<string, 'completed' | 'failed'>;
  /** Every finished job with its queue and final state (job ids may repeat across queues). */
  all: TruthJob[];
  /** Expected `job_events` rows per `queue/event`, derived from BullMQ's job records only. */
  counts: Record<string, number>;
}

/** Queues opened read-only by a test; `close` closes them and their connection. */
export interface OpenQueues<Q extends string = string> {
  queues: Map<Q, Queue>;
  close: () => Promise<void>;
}

/**
 * The test's read-only view of the queues; `skipMetasUpdate` leaves the producer's `streams.events.maxLen`
 * in place. On the config's Redis Cluster when it names one.
 */
export function openQueues(config: Config): OpenQueues<QueueName> {
  return openPlainQueues(
    config.redisClusterNodes.length > 0 ? config : config.redisUrl,
    (q) => queueKeys(config.namespace, q).bullPrefix,
    QUEUE_NAMES,
  );
}

/**
 * Read-only views of any BullMQ app's queues (`prefix` per queue name), leaving their meta untouched:
 * on the Redis at a URL, or on what a config names (one Redis or a Cluster).
 */
export function openPlainQueues<Q extends string>(
  redis: string | Config,
  prefix: string | ((queue: Q) => string),
  names: readonly Q[],
): OpenQueues<Q> {
  const connection = typeof redis === 'string' ? new Redis(redis, { maxRetriesPerRequest: null }) : createRedis(redis, 'worker');
  connection.on('error', () => undefined);
  const prefixOf = typeof prefix === 'string' ? () => prefix : prefix;
  const queues = new Map(names.map((q) => [q, new Queue(q, { connection, prefix: prefixOf(q), skipMetasUpdate: true })] as const));
  for (const q of queues.values()) q.on('error', () => undefined);
  return {
    queues,
    close: async () => {
      for (const q of queues.values()) await q.close().catch(() => undefined);
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/** Jobs of `queue` that are finished (completed or failed), and how many are not yet. */
export async function finishedCounts(queue: Queue): Promise<{ finished: number; unfinished: number }> {
  const c = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
  const finished = (c.completed ?? 0) + (c.failed ?? 0);
  return { finished, unfinished: Object.values(c).reduce((a, b) => a + b, 0) - finished };
}

/**
 * Expected rows from BullMQ (bullmq 6 commands/*.lua), per finished job:
 * - one `added`;
 * - one `active` per started attempt: `attemptsStarted` (`ats`, +1 in prepareJobForProcessing);
 * - one `completed` or `failed`, by the list the job ended in (moveToFinished, `atm` +1);
 * - one `retried` per attempt that failed and was retried: moveToDelayed / retryJob add 1 to
 *   `attemptsMade` (`atm`) too, so `attemptsMade − 1` of them;
 * - one `stalled` per stalled attempt: moveStalledJobsToWait adds 1 to `stc` only, never to `atm`,
 *   so every started attempt that did not end in `atm` stalled: `attemptsStarted − attemptsMade`.
 *   (A job stalled more than maxStalledCount gets `defa`; its next attempt is failed at once by the
 *   worker: an `active` and a `failed`, counted above.)
 */
export async function readTruth(queues: Map<string, Queue>, runId: string): Promise<Truth> {
  const jobs = new Map<string, Job[]>();
  const states = new Map<string, 'completed' | 'failed'>();
  const all: TruthJob[] = [];
  const counts: Record<string, number> = {};
  const bump = (queue: string, event: EventType, n: number): void => {
    if (n > 0) counts[`${queue}/${event}`] = (counts[`${queue}/${event}`] ?? 0) + n;
  };
  for (const [name, queue] of queues) {
    const mine: Job[] = [];
    for (const state of ['completed', 'failed'] as const) {
      for (const job of await queue.getJobs([state], 0, -1)) {
        if (job.data?.runId !== runId) continue;
        mine.push(job);
        all.push({ queue: name, job, state });
        states.set(job.id!, state);
        bump(name, state, 1);
      }
    }
    jobs.set(name, mine);
    for (const job of mine) {
      bump(name, 'added', 1);
      bump(name, 'active', job.attemptsStarted);
      bump(name, 'retried', job.attemptsMade - 1);
      bump(name, 'stalled', job.attemptsStarted - job.attemptsMade);
    }
  }
  return { jobs, states, all, counts };
}
