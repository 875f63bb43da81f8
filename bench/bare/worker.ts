/** The yardstick's worker: bare BullMQ Workers with the same per-queue concurrency and simulated latency, no events. */
import { QUEUE_NAMES, parseConfig } from '@queuescope/contracts';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { simulateWork } from '../../services/worker/src/handlers/simulate.js';

const config = parseConfig({ ...process.env, QS_NAMESPACE: undefined });
const ns = process.env.BARE_NS ?? 'bare';
for (const q of QUEUE_NAMES) {
  new Worker(q, () => simulateWork(config.queues[q]), { connection: new Redis(config.redisUrl, { maxRetriesPerRequest: null }), prefix: `{${ns}:${q}}`, concurrency: config.queues[q].concurrency });
}
