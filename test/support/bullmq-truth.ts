import { QUEUE_NAMES, queueKeys, type Config, type EventType, type QueueName } from '@queuescope/contracts';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';

/** BullMQ's own records of every finished job of one run, read straight from Redis. */
export interface Truth {
  jobs: Map<QueueName, Job[]>;
  /** Final state of each job id, as BullMQ lists it. */
  states: Map<string, 'completed' | 'failed'>;
  /** Expected `job_events` rows per `queue/event`, derived from BullMQ's job records only. */
  counts: Record<string, number>;
}

/** The test's read-only view of the queues; `skipMetasUpdate` leaves the producer's `streams.events.maxLen` in place. */
export function openQueues(config: Config): { queues: Map<QueueName, Queue>; close: () => Promise<void> } {
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const queues = new Map(QUEUE_NAMES.map((q) => [q, new Queue(q, { connection, prefix: queueKeys(config.namespace, q).bullPrefix, skipMetasUpdate: true })]));
  return {
    queues,
    close: async () => {
      for (const q of queues.values()) await q.close();
      await connection.quit();
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
 * Expected rows from BullMQ: one `added` per job, one `active` per started attempt
 * (`attemptsStarted`), one `retried` per attempt that failed and was retried (`attemptsMade − 1`,
 * since BullMQ counts the last attempt too), one `completed` or `failed` per job by its final state.
 */
export async function readTruth(queues: Map<QueueName, Queue>, runId: string): Promise<Truth> {
  const jobs = new Map<QueueName, Job[]>();
  const states = new Map<string, 'completed' | 'failed'>();
  const counts: Record<string, number> = {};
  const bump = (queue: string, event: EventType, n: number): void => {
    if (n > 0) counts[`${queue}/${event}`] = (counts[`${queue}/${event}`] ?? 0) + n;
  };
  for (const [name, queue] of queues) {
    const all: Job[] = [];
    for (const state of ['completed', 'failed'] as const) {
      for (const job of await queue.getJobs([state], 0, -1)) {
        if (job.data?.runId !== runId) continue;
        all.push(job);
        states.set(job.id!, state);
        bump(name, state, 1);
      }
    }
    jobs.set(name, all);
    for (const job of all) {
      bump(name, 'added', 1);
      bump(name, 'active', job.attemptsStarted);
      bump(name, 'retried', job.attemptsMade - 1);
    }
  }
  return { jobs, states, counts };
}
