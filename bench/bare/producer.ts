/**
 * The yardstick: a bare Fastify + BullMQ producer (no validation beyond JSON, no events, no
 * QuestDB), with the same routes, listen backlog and job options (attempts, backoff, retention)
 * as queuescope's producer, so both stacks' workers do the same work. Started by bench/lib/stacks.ts.
 */
import { QUEUE_NAMES, parseConfig } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const config = parseConfig({ ...process.env, QS_NAMESPACE: undefined });
const ns = process.env.BARE_NS ?? 'bare';
const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true });
const queues = Object.fromEntries(QUEUE_NAMES.map((q) => [q, new Queue(q, { connection, prefix: `{${ns}:${q}}` })]));
const app = Fastify({ logger: false });
for (const [path, q] of [
  ['/api/v1/payments', 'payment'],
  ['/api/v1/notifications', 'notification'],
  ['/api/v1/webhooks', 'webhook'],
] as const) {
  const profile = config.queues[q];
  const jobOptions = {
    attempts: profile.attempts,
    backoff: { type: profile.backoff.type, delay: profile.backoff.delayMs },
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
  app.post(path, async (request, reply) => {
    const job = await queues[q]!.add('job', { input: request.body, runId: request.headers['x-run-id'] }, jobOptions);
    return reply.code(202).send({ jobId: job.id });
  });
}
app.get('/readyz', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.BARE_PORT ?? 3900), backlog: 4096 });
