import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { queueKeys, type Config, type JobEvent, type QueueName } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { v7 as uuidv7 } from 'uuid';
import { DependencyUnavailableError, IdempotencyConflictError } from '../errors.js';

/** What the worker finds in `job.data`: the caller's payload and the run it belongs to. */
export interface JobData {
  runId: string;
  input: unknown;
}

export interface EnqueueRequest {
  queue: QueueName;
  name: string;
  input: unknown;
  runId: string;
  idempotencyKey?: string | undefined;
  delayMs?: number | undefined;
}

export interface EnqueueResult {
  jobId: string;
  /** true when the Idempotency-Key was seen before and no new job was made. */
  duplicate: boolean;
}

interface IdempotencyRecord {
  jobId: string;
  /** Enqueue time, epoch ms: reused on a retry so the `added` event keeps its dedup identity. */
  ts: number;
  bodyHash: string;
  state: 'pending' | 'done';
}

declare module 'fastify' {
  interface FastifyInstance {
    enqueue: (req: EnqueueRequest) => Promise<EnqueueResult>;
  }
}

/** Longest a request waits on Redis before answering 503, ms. */
const REDIS_DEADLINE_MS = 3000;

function withDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyUnavailableError('redis', `${what} took longer than ${REDIS_DEADLINE_MS} ms`)), REDIS_DEADLINE_MS);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Decorates `enqueue`: the one path from an accepted request to a durable job.
 *
 * Order matters: (1) claim the Idempotency-Key, (2) make the `added` event durable in the
 * queue's stream, (3) add the job with the same id and timestamp, (4) mark the key done; only
 * then does the route answer 202. Every step is idempotent, so a retry of a request that died
 * half-way redoes the missing steps: BullMQ ignores a second add of the same job id and QuestDB
 * dedups the second `added` event (same ts, queue, job_id, event, attempt).
 */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const { config } = opts;
    const emitter = `${hostname()}:${process.pid}`;

    async function claimKey(keys: ReturnType<typeof queueKeys>, idempotencyKey: string, fresh: IdempotencyRecord): Promise<IdempotencyRecord> {
      const key = keys.idempotency(idempotencyKey);
      const set = await app.redis.set(key, JSON.stringify(fresh), 'EX', config.producer.idempotencyTtlSec, 'NX');
      if (set === 'OK') return fresh;
      const existing = await app.redis.get(key);
      if (existing === null) return claimKey(keys, idempotencyKey, fresh);
      const record = JSON.parse(existing) as IdempotencyRecord;
      if (record.bodyHash !== fresh.bodyHash) throw new IdempotencyConflictError();
      return record;
    }

    async function enqueue(req: EnqueueRequest): Promise<EnqueueResult> {
      if (app.redis.status !== 'ready') throw new DependencyUnavailableError('redis', `connection is ${app.redis.status}`);
      const keys = queueKeys(config.namespace, req.queue);
      const profile = config.queues[req.queue];
      let record: IdempotencyRecord = { jobId: uuidv7(), ts: Date.now(), bodyHash: '', state: 'pending' };
      if (req.idempotencyKey !== undefined) {
        record.bodyHash = createHash('sha256').update(JSON.stringify([req.queue, req.name, req.input, req.runId, req.delayMs ?? 0])).digest('base64url');
        record = await claimKey(keys, req.idempotencyKey, record);
        if (record.state === 'done') return { jobId: record.jobId, duplicate: true };
      }
      const added: JobEvent = {
        ts: record.ts * 1000,
        run_id: req.runId,
        queue: req.queue,
        event: 'added',
        job_id: record.jobId,
        job_name: req.name,
        attempt: 0,
        worker: emitter,
      };
      await app.publisher.publish(keys.events, added);
      const data: JobData = { runId: req.runId, input: req.input };
      const queue = app.queues.get(req.queue)!;
      await queue.add(req.name, data, {
        jobId: record.jobId,
        timestamp: record.ts,
        attempts: profile.attempts,
        backoff: { type: profile.backoff.type, delay: profile.backoff.delayMs },
        ...(req.delayMs ? { delay: req.delayMs } : {}),
        // Keep finished jobs a day: they are the ground truth tests and users check QuestDB against.
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
      if (req.idempotencyKey !== undefined) {
        await app.redis.set(keys.idempotency(req.idempotencyKey), JSON.stringify({ ...record, state: 'done' }), 'EX', config.producer.idempotencyTtlSec, 'XX');
      }
      return { jobId: record.jobId, duplicate: false };
    }

    app.decorate('enqueue', async (req: EnqueueRequest) => {
      try {
        return await withDeadline(enqueue(req), 'enqueue');
      } catch (err) {
        if (!(err instanceof Error) || err instanceof DependencyUnavailableError || err instanceof IdempotencyConflictError) throw err;
        // A dead or refusing Redis is a 503 with its reason; anything else is a bug and stays a 500.
        const redisFailure = app.redis.status !== 'ready' || err.name === 'ReplyError' || /connection|stream|ECONN|ETIMEDOUT|EPIPE/i.test(err.message);
        if (redisFailure) throw new DependencyUnavailableError('redis', err.message);
        throw err;
      }
    });
  },
  { name: 'enqueue', dependencies: ['redis', 'queues'] },
);
