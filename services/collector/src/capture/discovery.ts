import { QUEUE_NAMES, bullmqKeys, ingestStream, queueKeys, type Config } from '@queuescope/contracts';
import { masters, type RedisClient } from '@queuescope/service-kit';
import type { SourceSpec } from './stream-source.js';

/** A BullMQ queue's stream as a capture source. */
export function bullmqSource(prefix: string, queue: string): SourceSpec {
  const keys = bullmqKeys(prefix, queue);
  return { kind: 'bullmq', streamKey: keys.events, queue, jobPrefix: keys.jobPrefix, meta: keys.meta };
}

/** What a collector captures without discovery: our queues, the ingest stream, and each `prefix:queue` of COLLECTOR_ATTACH. */
export function fixedSources(config: Config): SourceSpec[] {
  const specs = [
    ...QUEUE_NAMES.map((q) => bullmqSource(queueKeys(config.namespace, q).bullPrefix, q)),
    { kind: 'rows' as const, streamKey: ingestStream(config.namespace), queue: '', jobPrefix: '', meta: '' },
    ...config.collector.attach.filter((t) => t.queue !== '*').map((t) => bullmqSource(t.prefix, t.queue)),
  ];
  return specs;
}

/** Characters `SCAN MATCH` treats as glob syntax, escaped so a prefix matches literally. */
const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Every queue under each `prefix:*` of COLLECTOR_ATTACH, found by its BullMQ meta key
 * (`<prefix>:<queue>:meta`, written when a Queue or Worker starts). SCAN walks the keyspace in
 * steps, so it never blocks Redis. SCAN sees one node's keys: on a Cluster, every master is scanned.
 */
export async function discoverSources(redis: RedisClient, config: Config): Promise<SourceSpec[]> {
  const found: SourceSpec[] = [];
  for (const target of config.collector.attach) {
    if (target.queue !== '*') continue;
    const head = `${target.prefix}:`;
    for (const node of masters(redis)) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${escapeGlob(head)}*:meta`, 'COUNT', 1000);
        for (const key of keys) {
          const queue = key.slice(head.length, -':meta'.length);
          if (queue && !queue.includes(':')) found.push(bullmqSource(target.prefix, queue));
        }
        cursor = next;
      } while (cursor !== '0');
    }
  }
  return found;
}
