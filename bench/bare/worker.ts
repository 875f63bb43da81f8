/**
 * The yardstick's worker: plain BullMQ Workers with the same per-queue concurrency and simulated
 * work as queuescope's worker (services/worker, same queue profiles from the environment), no
 * name, no events of their own. Started by bench/lib/stacks.ts.
 */
import { QUEUE_NAMES, parseConfig } from '@queuescope/contracts';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { simulateWork } from '../../services/worker/src/handlers/simulate.js';

const config = parseConfig({ ...process.env, QS_NAMESPACE: undefined });
const ns = process.env.BARE_NS ?? 'bare';
const workers = QUEUE_NAMES.map(
  (q) =>
    new Worker(q, () => simulateWork(config.queues[q]), {
      connection: new Redis(config.redisUrl, { maxRetriesPerRequest: null }),
      prefix: `{${ns}:${q}}`,
      concurrency: config.queues[q].concurrency,
    }),
);
process.once('SIGTERM', () => void Promise.all(workers.map((w) => w.close())).then(() => process.exit(0)));
