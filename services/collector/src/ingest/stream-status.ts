import { COLLECTOR_GROUP } from '@queuescope/contracts';
import type { Redis } from 'ioredis';
import type { ConsumerStats } from './stream-consumer.js';

/** One consumer's stream as Redis sees it now, plus this process's counters for it. */
export interface StreamStatus extends ConsumerStats {
  /** Entries waiting in the stream (stored entries are deleted, so this is the backlog). */
  length: number;
  /** Entries read by some consumer but not yet stored and acknowledged. */
  pending: number;
  /** Age of the oldest entry not yet stored, ms; 0 when the stream is drained. */
  lagMs: number;
}

/**
 * Backlog and lag of each consumer's stream: the one definition used by `/api/v1/ingest/status`
 * and the `queuescope_ingest_lag_ms` gauge. Lag comes from the oldest entry's id (its XADD time,
 * ms), so it needs no clock on the publisher side. Rejects when Redis does.
 */
export async function streamStatus(redis: Redis, stats: readonly ConsumerStats[], now = Date.now()): Promise<StreamStatus[]> {
  return Promise.all(
    stats.map(async (s) => {
      const key = s.streamKey;
      const [length, pendingSummary, oldest] = await Promise.all([
        redis.xlen(key),
        redis.xpending(key, COLLECTOR_GROUP) as Promise<[number, ...unknown[]]>,
        redis.xrange(key, '-', '+', 'COUNT', 1),
      ]);
      const oldestMs = oldest[0] ? Number(oldest[0][0].split('-')[0]) : now;
      return { ...s, length, pending: Number(pendingSummary[0] ?? 0), lagMs: Math.max(0, now - oldestMs) };
    }),
  );
}
