import { hostname } from 'node:os';
import { EventPublisher, connectionFor, queueKeys, type Config, type JobEvent, type QueueName } from '@queuescope/contracts';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { simulateWork } from './handlers/simulate.js';
import { publishDurably } from './lifecycle/durable-publisher.js';
import { activeEvent, refinedTerminalEvent, stalledEvent, terminalEvent, type JobData, type QsJob } from './lifecycle/events.js';

export interface WorkerDeps {
  log: Logger;
  /** The work done per attempt; defaults to the simulated handler of the queue's profile. */
  handler?: (queue: QueueName, job: QsJob) => Promise<void>;
}

export interface RunningWorkers {
  /** `host:pid`, the `worker` column of every event this process emits. */
  id: string;
  /** Finish active jobs (each publishes before it acks), flush events, close Redis. Idempotent. */
  close: () => Promise<void>;
}

/** One BullMQ Worker per configured queue, emitting every lifecycle event of the jobs it runs. */
export async function startWorkers(config: Config, deps: WorkerDeps): Promise<RunningWorkers> {
  const id = `${hostname()}:${process.pid}`;
  const log = deps.log;
  const handler = deps.handler ?? ((queue: QueueName) => simulateWork(config.queues[queue]));
  const eventsRedis = new Redis(config.redisUrl, connectionFor('worker'));
  eventsRedis.on('error', (err) => log.warn({ err: err.message }, 'events redis error'));
  const publisher = new EventPublisher((key, fields) => eventsRedis.xadd(key, '*', ...fields), config.events);
  let stopping = false;
  const stopped = (): boolean => stopping;
  const workers: Worker[] = [];
  // The terminal event of each job in flight, so it can be refined once BullMQ stamps finishedOn.
  const terminal = new WeakMap<QsJob, JobEvent>();

  for (const queue of config.worker.queues) {
    const profile = config.queues[queue];
    const keys = queueKeys(config.namespace, queue);
    const qlog = log.child({ queue });
    const publish = (event: JobEvent): Promise<void> => publishDurably(publisher, keys.events, event, qlog, stopped);

    const processor = async (job: QsJob): Promise<void> => {
      await publish(activeEvent(job, id));
      let failure: unknown;
      try {
        await handler(queue, job);
      } catch (err) {
        failure = err;
      }
      const finishedAt = Date.now();
      if (failure === undefined) {
        const event = terminalEvent(job, id, 'completed', finishedAt);
        terminal.set(job, event);
        await publish(event);
        return;
      }
      // Same rule BullMQ applies in moveToFailed: retry while attempts remain, unless unrecoverable.
      const willRetry = !(failure instanceof UnrecoverableError) && job.attemptsMade + 1 < (job.opts.attempts ?? 1);
      const event = terminalEvent(job, id, willRetry ? 'retried' : 'failed', finishedAt, failure);
      terminal.set(job, event);
      await publish(event);
      throw failure;
    };

    const worker = new Worker<JobData>(queue, processor, {
      connection: new Redis(config.redisUrl, connectionFor('worker')),
      prefix: keys.bullPrefix,
      concurrency: profile.concurrency,
      lockDuration: config.worker.lockDurationMs,
      stalledInterval: config.worker.stalledIntervalMs,
      maxStalledCount: 1,
      autorun: false,
    });
    const refine = (job: QsJob | undefined): void => {
      const event = job && terminal.get(job);
      const refined = event && job && event.event !== 'retried' ? refinedTerminalEvent(event, job) : undefined;
      if (refined) void publish(refined).catch((err: unknown) => qlog.warn({ err, jobId: refined.job_id }, 'timing refinement not stored'));
    };
    worker.on('completed', (job) => refine(job));
    worker.on('failed', (job) => refine(job));
    worker.on('stalled', (jobId) => {
      const detectedAt = Date.now();
      void (async () => {
        const job = (await Job.fromId(worker, jobId)) as QsJob | undefined;
        if (!job) return;
        const state = await job.getState();
        await publish(stalledEvent(job, id, detectedAt, state));
      })().catch((err: unknown) => qlog.error({ err, jobId }, 'stalled event not stored'));
    });
    worker.on('error', (err) => qlog.error({ err }, 'worker error'));
    workers.push(worker);
    void worker.run().catch((err: unknown) => qlog.error({ err }, 'worker stopped'));
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  log.info({ worker: id, queues: config.worker.queues }, 'workers started');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Order (STYLE R8): finish active jobs (each publishes before it acks), flush the refinements,
      // then close Redis. Each step runs even if an earlier one failed.
      for (const w of workers) await w.close().catch((err: unknown) => log.error({ err }, 'worker close failed'));
      stopping = true;
      await publisher.close().catch((err: unknown) => log.error({ err }, 'publisher close failed'));
      await eventsRedis.quit().catch(() => eventsRedis.disconnect());
    })();
    return closing;
  };
  return { id, close };
}
