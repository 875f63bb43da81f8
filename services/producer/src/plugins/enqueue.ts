import { createHash } from 'node:crypto';
import { queueKeys, type Config, type JobData, type QueueName } from '@queuescope/contracts';
import { DependencyUnavailableError, waitForReplicas } from '@queuescope/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { v7 as uuidv7 } from 'uuid';
import { IdempotencyConflictError } from '../errors.js';

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
  bodyHash: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    enqueue: (req: EnqueueRequest) => Promise<EnqueueResult>;
  }
}

/**
 * Decorates `enqueue`: the one path from an accepted request to a durable job. The producer
 * publishes nothing of its own: BullMQ's add script appends `added` to the queue's events stream
 * in the same atomic step that stores the job, and the collector captures it from there.
 *
 * With an `Idempotency-Key`, the key is claimed first and names the job id; a retry of a request
 * (even one whose first try died half-way) adds the same job id again, which BullMQ ignores, so
 * there is still one job and one `added` event.
 *
 * With `REDIS_WAIT_REPLICAS=n`, the answer waits until n replicas of the master that owns the
 * queue's slot acknowledged the write (Redis `WAIT` on that master's connection): replication is
 * asynchronous, and a job acknowledged by a master only can vanish when a replica takes over. Fewer
 * in time is a 503; the job may exist, and a retry with the same Idempotency-Key finds it.
 */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const { config } = opts;

    async function claimKey(key: string, fresh: IdempotencyRecord): Promise<IdempotencyRecord> {
      const set = await app.redis.set(key, JSON.stringify(fresh), 'EX', config.producer.idempotencyTtlSec, 'NX');
      if (set === 'OK') return fresh;
      const existing = await app.redis.get(key);
      if (existing === null) return claimKey(key, fresh);
      const record = JSON.parse(existing) as IdempotencyRecord;
      if (record.bodyHash !== fresh.bodyHash) throw new IdempotencyConflictError();
      return record;
    }

    /** REDIS_WAIT_REPLICAS: wait until that many replicas of the queue's master have this connection's writes. */
    async function waitReplicas(queue: QueueName): Promise<void> {
      if (config.redisWaitReplicas === 0) return;
      await waitForReplicas(app.redis, queueKeys(config.namespace, queue).events, config.redisWaitReplicas, config.redisWaitTimeoutMs);
    }

    async function enqueue(req: EnqueueRequest): Promise<EnqueueResult> {
      if (app.redis.status !== 'ready') throw new DependencyUnavailableError('redis', `connection is ${app.redis.status}`);
      const profile = config.queues[req.queue];
      let jobId = uuidv7();
      const queue = app.queues.get(req.queue)!;
      if (req.idempotencyKey !== undefined) {
        const bodyHash = createHash('sha256')
          .update(JSON.stringify([req.queue, req.name, req.input, req.runId, req.delayMs ?? 0]))
          .digest('base64url');
        const record = await claimKey(queueKeys(config.namespace, req.queue).idempotency(req.idempotencyKey), { jobId, bodyHash });
        // Seen before: the job exists if the first request got as far as adding it.
        if (record.jobId !== jobId) {
          jobId = record.jobId;
          if ((await queue.getJobState(jobId)) !== 'unknown') {
            // The first try may have been refused for want of replicas: this answer is a 202 too.
            await waitReplicas(req.queue);
            return { jobId, duplicate: true };
          }
        }
      }
      const data: JobData = { runId: req.runId, input: req.input };
      await queue.add(req.name, data, {
        jobId,
        attempts: profile.attempts,
        backoff: { type: profile.backoff.type, delay: profile.backoff.delayMs },
        ...(req.delayMs ? { delay: req.delayMs } : {}),
        // Keep finished jobs a day: they are the ground truth tests and users check QuestDB against.
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
      await waitReplicas(req.queue);
      return { jobId, duplicate: false };
    }

    app.decorate('enqueue', async (req: EnqueueRequest) => {
      try {
        return await enqueue(req);
      } catch (err) {
        if (!(err instanceof Error) || err instanceof DependencyUnavailableError || err instanceof IdempotencyConflictError) throw err;
        // A dead or refusing Redis is a 503 with its reason; anything else is a bug and stays a 500.
        // A command unanswered for REDIS_COMMAND_TIMEOUT_MS (plugins/redis.ts) is one of these too.
        const redisFailure =
          app.redis.status !== 'ready' ||
          err.name === 'ReplyError' ||
          /connection|stream|timed out|ECONN|ETIMEDOUT|EPIPE|replicas|master|slot|cluster|no answer/i.test(err.message);
        if (redisFailure) throw new DependencyUnavailableError('redis', err.message);
        throw err;
      }
    });
  },
  { name: 'enqueue', dependencies: ['redis', 'queues'] },
);
