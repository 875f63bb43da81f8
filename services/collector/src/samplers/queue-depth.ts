import { QUEUE_NAMES, queueKeys, type QueueName } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import type { RedisClient } from '@queuescope/service-kit';
import type { IlpLines } from '../db/ilp.js';

/** How many jobs one queue holds in each state at one instant (counts of jobs). */
export interface QueueDepth {
  queue: QueueName;
  /** Ready to run: BullMQ's `wait` list plus `prioritized` (both are "waiting", only the order differs). */
  waiting: number;
  active: number;
  /** Scheduled for later: delayed jobs and retries waiting out their backoff. */
  delayed: number;
  /** Failed for good and kept by BullMQ (`removeOnFail` permitting). */
  failed: number;
}

/**
 * Reads the job counts of every queue in `QUEUE_NAMES` of one namespace through BullMQ's own
 * `getJobCounts` (one Lua call per queue), so depth means exactly what BullMQ means by it.
 * The `Queue` objects share the connection handed in; its owner closes it.
 */
export class QueueDepthSampler {
  private readonly queues: Map<QueueName, Queue>;

  constructor(connection: RedisClient, namespace: string, onError: (err: Error, queue: QueueName) => void) {
    this.queues = new Map(
      QUEUE_NAMES.map((name) => {
        // skipMetasUpdate: a reader must not write BullMQ's meta hash (it would reset the producer's
        // streams.events.maxLen to BullMQ's default 10,000).
        const queue = new Queue(name, { connection, prefix: queueKeys(namespace, name).bullPrefix, skipMetasUpdate: true });
        queue.on('error', (err) => onError(err, name));
        return [name, queue];
      }),
    );
  }

  /** One {@link QueueDepth} per queue, read concurrently; rejects if any read fails. */
  async sample(): Promise<QueueDepth[]> {
    return Promise.all(
      [...this.queues].map(async ([name, queue]) => {
        const c = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
        return {
          queue: name,
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          failed: c.failed ?? 0,
        };
      }),
    );
  }

  /** Closes the `Queue` objects (not the shared connection); keeps going when one fails. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
  }
}

/**
 * Buffers one `queue_depth` row per sample into `lines` (no flush: the caller flushes the tick).
 * `tsMicros` is the sampled second in epoch µs; with the dedup keys (ts, namespace, queue), a second
 * sampled twice (two collectors, a re-flush) stays one row.
 */
export function bufferQueueDepth(lines: IlpLines, tsMicros: number, namespace: string, depths: readonly QueueDepth[]): void {
  for (const d of depths) {
    lines
      .row('queue_depth')
      .symbol('namespace', namespace)
      .symbol('queue', d.queue)
      .int('waiting', d.waiting)
      .int('active', d.active)
      .int('delayed', d.delayed)
      .int('failed', d.failed)
      .at(tsMicros);
  }
}
