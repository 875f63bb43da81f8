/**
 * The process one `bench:worker` round runs, so the worker under test has an event loop and a
 * core of its own, apart from the bench driver: either a bare BullMQ Worker or queuescope's
 * `startWorkers`, both with a no-op handler on queue `payment` of namespace DRAIN_NS. Prints
 * `ready` once the worker is connected; SIGTERM closes it (active jobs finish) and exits.
 *
 * Environment: DRAIN_SIDE (bare | queuescope), DRAIN_NS, DRAIN_CONCURRENCY, REDIS_URL.
 */
import { parseConfig, queueKeys } from '@queuescope/contracts';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startWorkers } from '../../services/worker/src/worker.js';

const side = process.env.DRAIN_SIDE;
const namespace = process.env.DRAIN_NS ?? '';
const concurrency = process.env.DRAIN_CONCURRENCY ?? '50';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const noop = async (): Promise<void> => undefined;

async function startBare(): Promise<() => Promise<void>> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker('payment', noop, {
    connection,
    prefix: queueKeys(namespace, 'payment').bullPrefix,
    concurrency: Number(concurrency),
  });
  await worker.waitUntilReady();
  return async () => {
    await worker.close();
    await connection.quit();
  };
}

async function startQueuescope(): Promise<() => Promise<void>> {
  const config = parseConfig({
    REDIS_URL: redisUrl,
    QS_NAMESPACE: namespace,
    WORKER_QUEUES: 'payment',
    QUEUE_PAYMENT_CONCURRENCY: concurrency,
  });
  const running = await startWorkers(config, { log: pino({ level: 'warn' }), handler: noop });
  return running.close;
}

if (side !== 'bare' && side !== 'queuescope') throw new Error(`DRAIN_SIDE must be bare or queuescope, got '${side}'`);
const close = side === 'bare' ? await startBare() : await startQueuescope();
process.once('SIGTERM', () => void close().then(() => process.exit(0)));
console.log('ready');
