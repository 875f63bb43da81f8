import { hostname } from 'node:os';
import { queueKeys, type Config, type JobData, type QueueName } from '@queuescope/contracts';
import { closeRedis, createRedis, withTimeoutOr, type RedisClient } from '@queuescope/service-kit';
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { ConcurrencyWatcher } from './concurrency-watcher.js';
import { simulateWork } from './handlers/simulate.js';

/** Longest closing one Redis connection may take once the workers are closed (Redis may be gone), ms. */
const REDIS_CLOSE_TIMEOUT_MS = 2000;

export interface WorkerDeps {
  log: Logger;
  /** The work done per attempt; defaults to the simulated handler of the queue's profile. */
  handler?: (queue: QueueName, job: Job<JobData>) => Promise<void>;
}

export interface RunningWorkers {
  /** `host:pid`: the BullMQ worker name, which BullMQ stores on each job it runs (`processedBy`). */
  id: string;
  /** Stop watching the concurrency settings, finish active jobs, then close Redis. Idempotent. */
  close: () => Promise<void>;
}

/**
 * One plain BullMQ Worker per configured queue. It publishes nothing of its own: BullMQ's scripts
 * append every transition to the queue's events stream, and the collector reads them from there.
 * Each queue's concurrency is its run-time setting (concurrency-watcher.ts), read before the
 * workers start and applied while they run.
 */
export async function startWorkers(config: Config, deps: WorkerDeps): Promise<RunningWorkers> {
  const id = `${hostname()}:${process.pid}`;
  const log = deps.log;
  const handler = deps.handler ?? ((queue: QueueName) => simulateWork(config.queues[queue]));
  const workers: Worker[] = [];
  const connections: RedisClient[] = [];
  const watcher = new ConcurrencyWatcher({ config, id, log });
  const concurrency = await watcher.initial(config.worker.queues);
  for (const queue of config.worker.queues) {
    const qlog = log.child({ queue });
    const connection = createRedis(config, 'worker');
    connection.on('error', (err: Error) => qlog.warn({ err: err.message }, 'redis error'));
    connections.push(connection);
    const worker = new Worker<JobData>(queue, (job) => handler(queue, job), {
      name: id,
      connection,
      prefix: queueKeys(config.namespace, queue).bullPrefix,
      concurrency: concurrency.get(queue) ?? config.queues[queue].concurrency,
      lockDuration: config.worker.lockDurationMs,
      stalledInterval: config.worker.stalledIntervalMs,
      maxStalledCount: 1,
    });
    worker.on('error', (err) => qlog.error({ err }, 'worker error'));
    workers.push(worker);
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  watcher.start(new Map(config.worker.queues.map((q, i) => [q, workers[i]!])));
  log.info({ worker: id, queues: config.worker.queues, concurrency: Object.fromEntries(concurrency) }, 'workers started');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Order (STYLE R8): stop the watcher (it removes this process's reports), finish active jobs,
      // then close Redis; each step runs even if one failed, and none waits long for a Redis that is gone.
      await watcher.close().catch((err: unknown) => log.error({ err }, 'concurrency watcher close failed'));
      // A graceful close waits for active jobs, and BullMQ's close never returns when its Redis is
      // gone (or, after a cluster failover, one of its connections is): past the lock duration,
      // when the other workers find these jobs stalled anyway and run them again, stop waiting.
      const grace = config.worker.lockDurationMs;
      await Promise.all(
        workers.map(async (w) => {
          const closed = await withTimeoutOr(
            w.close().then(
              () => true,
              (err: unknown) => {
                log.error({ err }, 'worker close failed');
                return true;
              },
            ),
            grace,
            false,
          );
          if (!closed)
            log.warn(
              { queue: w.name, graceMs: grace },
              'worker close did not finish within the lock duration: giving up on it (its connections are closed next); its active jobs will be found stalled and run again',
            );
        }),
      );
      for (const c of connections) {
        await withTimeoutOr(closeRedis(c), REDIS_CLOSE_TIMEOUT_MS, undefined);
        c.disconnect();
      }
    })();
    return closing;
  };
  return { id, close };
}
