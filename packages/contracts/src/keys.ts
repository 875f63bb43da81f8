import type { QueueName } from './queues.js';

/**
 * Every Redis name queuescope uses, built from the namespace and the queue name.
 *
 * A queue and BullMQ's events stream for it share one hash tag, `{<ns>:<queue>}`, so on Redis
 * Cluster they live in one slot (bullmq docs/gitbook/patterns/redis-cluster.md), while different
 * queues spread across shards. The namespace isolates deployments and test runs from each other.
 */
export interface QueueKeys {
  /** BullMQ `prefix` option: BullMQ then builds `{ns:queue}:<queue>:wait`, `…:active`, … */
  bullPrefix: string;
  /** BullMQ's own events stream of this queue (`<prefix>:<queue>:events`), written by its Lua scripts. */
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
    events: bullmqKeys(tag, queue).events,
    idempotency: (key: string) => `${tag}:idem:${key}`,
  };
}

/** The keys BullMQ itself uses for queue `queue` under `prefix` (bullmq src/classes/queue-keys.ts). */
export interface BullmqKeys {
  /** `<prefix>:<queue>:events`: the stream every transition is appended to. */
  events: string;
  /** `<prefix>:<queue>:meta`: holds `opts.maxLenEvents`, the stream's approximate cap. */
  meta: string;
  /** A job's hash is `<jobPrefix><jobId>`. */
  jobPrefix: string;
}

export function bullmqKeys(prefix: string, queue: string): BullmqKeys {
  return { events: `${prefix}:${queue}:events`, meta: `${prefix}:${queue}:meta`, jobPrefix: `${prefix}:${queue}:` };
}

/** The hash tag Redis Cluster hashes for `key`: the text inside its first `{…}`, if non-empty. */
function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/**
 * The collector's own keys for one events stream, in the stream's cluster slot, so the scripts that
 * read, acknowledge and update them touch one slot: a stream without a hash tag hashes as a whole,
 * so `{<stream>}:…` lands in its slot. (A tagless key that holds a `}` cannot be wrapped in a tag;
 * its keys then share the slot only on a single Redis, not on a Cluster.)
 */
export interface CaptureKeys {
  /** Hash: per-job capture state of jobs still open (jobId → state) plus `__lost` and `__gaps`. */
  state: string;
  /** String: the collector that currently owns this stream (a lease with a TTL). */
  lease: string;
}

export function captureKeys(streamKey: string): CaptureKeys {
  const base = hashTagOf(streamKey) === undefined && !streamKey.includes('}') ? `{${streamKey}}` : streamKey;
  return { state: `${base}:qs:state`, lease: `${base}:qs:lease` };
}

/**
 * The dead-letter stream of captured stream `streamKey`: what the capture could not store, with the
 * reason (services/collector/src/capture/dead-letters.ts). Same hash tag, so the same cluster slot.
 */
export function deadLetterKey(streamKey: string): string {
  return `${streamKey}:dead`;
}

/**
 * Stream of events sent by other tools to the collector's `POST /api/v1/events`, in the
 * contract's row format (`stream.ts`); a collector consumes it next to BullMQ's streams.
 */
export function ingestStream(namespace: string): string {
  return `{${namespace}:_ingest}:events`;
}

/**
 * Run-time concurrency of one queue (`PUT /api/v1/queues/:queue/concurrency`, `npm run tune`), in
 * the queue's hash tag so a Lua script can read and write both keys on one cluster slot.
 */
export interface ConcurrencyKeys {
  /** String: the slots per worker process the workers apply; absent = the profile's `concurrency`. */
  setting: string;
  /** Hash: worker id (`host:pid`) → JSON {@link WorkerConcurrencyReport}, refreshed by each worker. */
  applied: string;
}

export function concurrencyKeys(namespace: string, queue: string): ConcurrencyKeys {
  const tag = `{${namespace}:${queue}}`;
  return { setting: `${tag}:qs:concurrency`, applied: `${tag}:qs:concurrency:applied` };
}

/** Pub/sub channel whose message (a queue name) tells workers to re-read that queue's setting at once. */
export function concurrencyChannel(namespace: string): string {
  return `qs:${namespace}:concurrency`;
}
