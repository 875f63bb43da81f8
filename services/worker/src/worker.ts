import { hostname } from 'node:os';
import { queueKeys, type Config, type JobData, type QueueName } from '@queuescope/contracts';
import { closeRedis, createRedis, type RedisClient } from '@queuescope/service-kit';
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { simulateWork } from './handlers/simulate.js';

export interface WorkerDeps {
  log: Logger;
  /** The work done per attempt; defaults to the simulated handler of the queue's profile. */
  handler?: (queue: QueueName, job: Job<JobData>) => Promise<void>;
}

export interface RunningWorkers {
  /** `host:pid`: the BullMQ worker name, which BullMQ stores on each job it runs (`processedBy`). */
  id: string;
  /** Finish active jobs, then close Redis. Idempotent. */
  close: () => Promise<void>;
}

/**
 * One plain BullMQ Worker per configured queue. It publishes nothing of its own: BullMQ's scripts
 * append every transition to the queue's events stream, and the collector reads them from there.
 */
export async function startWorkers(config: Config, deps: WorkerDeps): Promise<RunningWorkers> {
  const id = `${hostname()}:${process.pid}`;
  const log = deps.log;
  const handler = deps.handler ?? ((queue: QueueName) => simulateWork(config.queues[queue]));
  const workers: Worker[] = [];
  const connections: RedisClient[] = [];
  for (const queue of config.worker.queues) {
    const qlog = log.child({ queue });
    const connection = createRedis(config, 'worker');
    connection.on('error', (err: Error) => qlog.warn({ err: err.message }, 'redis error'));
    connections.push(connection);
    const worker = new Worker<JobData>(queue, (job) => handler(queue, job), {
      name: id,
      connection,
      prefix: queueKeys(config.namespace, queue).bullPrefix,
      concurrency: config.queues[queue].concurrency,
      lockDuration: config.worker.lockDurationMs,
      stalledInterval: config.worker.stalledIntervalMs,
      maxStalledCount: 1,
    });
    worker.on('error', (err) => qlog.error({ err }, 'worker error'));
    workers.push(worker);
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  log.info({ worker: id, queues: config.worker.queues }, 'workers started');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Order (STYLE R8): finish active jobs, then close Redis; each step runs even if one failed.
      for (const w of workers) await w.close().catch((err: unknown) => log.error({ err }, 'worker close failed'));
      for (const c of connections) await closeRedis(c);
    })();
    return closing;
  };
  return { id, close };
}
