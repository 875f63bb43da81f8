/**
 * `npm run bench:worker`: how fast one worker process drains a prefilled queue, bare BullMQ versus
 * queuescope's instrumented worker (events published before ack), measured side by side in one
 * run, alternating, and printed as a ratio. No-op handlers; never gates anything.
 *
 * Options: --jobs 20000 --concurrency 50 --rounds 3
 */
import { randomUUID } from 'node:crypto';
import { parseConfig, queueKeys } from '@queuescope/contracts';
import { Queue, Worker } from 'bullmq';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startWorkers } from '../services/worker/src/worker.js';

const opts = new Command('bench:worker')
  .option('--jobs <n>', 'jobs per drain', Number, 20_000)
  .option('--concurrency <n>', 'worker concurrency', Number, 50)
  .option('--rounds <n>', 'alternating rounds of bare and instrumented', Number, 3)
  .parse()
  .opts<{ jobs: number; concurrency: number; rounds: number }>();

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function prefill(namespace: string): Promise<Queue> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('payment', { connection, prefix: queueKeys(namespace, 'payment').bullPrefix });
  for (let i = 0; i < opts.jobs; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, opts.jobs - i) }, (_, k) => ({ name: 'charge', data: { runId: 'bench', input: { i: i + k } }, opts: { removeOnComplete: true } })));
  }
  return queue;
}

async function drained(queue: Queue): Promise<void> {
  for (;;) {
    const c = await queue.getJobCounts('waiting', 'active', 'prioritized');
    if ((c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function bare(): Promise<number> {
  const namespace = `bench-${randomUUID().slice(0, 8)}`;
  const queue = await prefill(namespace);
  const started = performance.now();
  const worker = new Worker('payment', async () => undefined, {
    connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
    prefix: queueKeys(namespace, 'payment').bullPrefix,
    concurrency: opts.concurrency,
  });
  await drained(queue);
  const rate = opts.jobs / ((performance.now() - started) / 1000);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return rate;
}

async function instrumented(): Promise<number> {
  const namespace = `bench-${randomUUID().slice(0, 8)}`;
  const queue = await prefill(namespace);
  const config = parseConfig({ REDIS_URL: redisUrl, QS_NAMESPACE: namespace, WORKER_QUEUES: 'payment', QUEUE_PAYMENT_CONCURRENCY: String(opts.concurrency) });
  const started = performance.now();
  const running = await startWorkers(config, { log: pino({ level: 'warn' }), handler: async () => undefined });
  await drained(queue);
  const rate = opts.jobs / ((performance.now() - started) / 1000);
  await running.close();
  await queue.obliterate({ force: true });
  await queue.close();
  const redis = new Redis(redisUrl);
  await redis.del(queueKeys(namespace, 'payment').events);
  await redis.quit();
  return rate;
}

const results: { bare: number; instrumented: number }[] = [];
for (let round = 1; round <= opts.rounds; round++) {
  const b = await bare();
  const i = await instrumented();
  results.push({ bare: b, instrumented: i });
  console.log(`round ${round}: bare ${b.toFixed(0)} jobs/s, instrumented ${i.toFixed(0)} jobs/s, ratio ${(i / b).toFixed(3)}`);
}
const sum = results.reduce((a, r) => ({ bare: a.bare + r.bare, instrumented: a.instrumented + r.instrumented }), { bare: 0, instrumented: 0 });
console.log(`overall ratio instrumented/bare: ${(sum.instrumented / sum.bare).toFixed(3)} (${opts.jobs} jobs, concurrency ${opts.concurrency}, ${opts.rounds} rounds)`);
process.exit(0);
