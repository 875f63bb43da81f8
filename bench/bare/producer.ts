/**
 * The yardstick: a bare Fastify + BullMQ producer (no validation beyond JSON, no events, no
 * QuestDB), with the same routes and listen backlog as queuescope's producer. Used only by
 * bench/extreme.ts, to measure queuescope's overhead side by side.
 */
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const ns = process.env.BARE_NS ?? 'bare';
const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true });
const queues = Object.fromEntries(['payment', 'notification', 'webhook'].map((q) => [q, new Queue(q, { connection, prefix: `{${ns}:${q}}` })]));
const app = Fastify({ logger: false });
for (const [path, q] of [['/api/v1/payments', 'payment'], ['/api/v1/notifications', 'notification'], ['/api/v1/webhooks', 'webhook']] as const) {
  app.post(path, async (request, reply) => {
    const job = await queues[q]!.add('job', { input: request.body, runId: request.headers['x-run-id'] }, { removeOnComplete: { age: 3600 } });
    return reply.code(202).send({ jobId: job.id });
  });
}
app.get('/readyz', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.BARE_PORT ?? 3900), backlog: 4096 });
