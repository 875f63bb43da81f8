import type { QueueName } from './queues.js';

/**
 * Every Redis name queuescope uses, built from the namespace and the queue name.
 *
 * A queue and its event stream share one hash tag, `{<ns>:<queue>}`, so on Redis Cluster they
 * live in one slot (bullmq docs/gitbook/patterns/redis-cluster.md), while different queues
 * spread across shards. The namespace isolates deployments and test runs from each other.
 */
export interface QueueKeys {
  /** BullMQ `prefix` option: BullMQ then builds `{ns:queue}:<queue>:wait`, `…:active`, … */
  bullPrefix: string;
  /** Redis Stream of this queue's lifecycle events (entries hold JSON batches). */
  events: string;
  /** Idempotency record of one `Idempotency-Key` on this queue. */
  idempotency: (key: string) => string;
}

/** Consumer group that collectors share; every collector process is one consumer in it. */
export const COLLECTOR_GROUP = 'qs-collector';

export function queueKeys(namespace: string, queue: QueueName | string): QueueKeys {
  const tag = `{${namespace}:${queue}}`;
  return {
    bullPrefix: tag,
    events: `${tag}:events`,
    idempotency: (key: string) => `${tag}:idem:${key}`,
  };
}

/**
 * Stream of events whose queue is not one of `QUEUE_NAMES` (sent by other tools to the
 * collector's `POST /api/v1/events`); a collector loop consumes it like a queue stream.
 */
export function ingestStream(namespace: string): string {
  return `{${namespace}:_ingest}:events`;
}
