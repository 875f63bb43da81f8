import type { Redis } from 'ioredis';
import { IlpLines, type IlpClient } from '../db/ilp.js';
import { boundedRead } from './bounded-read.js';
import { bufferQueueDepth, type QueueDepthSampler } from './queue-depth.js';
import { bufferRedisStats, sampleRedis } from './redis-info.js';

/** What one sampler second reads and where it writes. */
export interface SecondSources {
  /** BullMQ job counts of the namespace's queues, read over `depthConnection`. */
  depth: QueueDepthSampler;
  depthConnection: Redis;
  namespace: string;
  /** The Redis whose INFO and PING are sampled, and its `redis_stats.redis` value (redisAddress). */
  redis: Redis;
  address: string;
  questdb: IlpClient;
}

/**
 * One sampler second: queue depths and Redis stats read side by side (each bounded: boundedRead),
 * stamped with `second` (epoch s, written as µs) and stored in one ILP flush (STYLE R10). What was
 * read is written even when the other read failed. Resolves with the problems, empty when all went
 * well; never rejects, as `everySecond` requires of a tick.
 */
export async function sampleSecond(src: SecondSources, second: number): Promise<string[]> {
  const ts = second * 1_000_000;
  const [depths, stats] = await Promise.allSettled([
    boundedRead('queue depth', src.depthConnection, () => src.depth.sample()),
    boundedRead('redis info', src.redis, () => sampleRedis(src.redis)),
  ]);
  const problems = [depths, stats].flatMap((r) =>
    r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : [],
  );
  try {
    const lines = new IlpLines();
    if (depths.status === 'fulfilled') bufferQueueDepth(lines, ts, src.namespace, depths.value);
    if (stats.status === 'fulfilled') bufferRedisStats(lines, ts, src.address, stats.value);
    await src.questdb.send(lines);
  } catch (err) {
    problems.push(`questdb: ${err instanceof Error ? err.message : String(err)}`);
  }
  return problems;
}
