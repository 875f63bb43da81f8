import type { RedisClient } from '@queuescope/service-kit';
import { IlpLines, type IlpClient } from '../db/ilp.js';
import { boundedRead } from './bounded-read.js';
import { bufferQueueDepth, type QueueDepthSampler } from './queue-depth.js';
import { bufferRedisStats, sampleRedisNodes } from './redis-info.js';

/** What one sampler second reads and where it writes. */
export interface SecondSources {
  /** BullMQ job counts of the namespace's queues, read over `depthConnection`. */
  depth: QueueDepthSampler;
  depthConnection: RedisClient;
  namespace: string;
  /** The Redis whose INFO and PING are sampled (every master of a Cluster), and the `redis_stats.redis` value of a single one (redisAddress). */
  redis: RedisClient;
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
    boundedRead('redis info', src.redis, () => sampleRedisNodes(src.redis, src.address)),
  ]);
  const problems = [depths, stats].flatMap((r) =>
    r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : [],
  );
  try {
    const lines = new IlpLines();
    if (depths.status === 'fulfilled') bufferQueueDepth(lines, ts, src.namespace, depths.value);
    if (stats.status === 'fulfilled') for (const node of stats.value) bufferRedisStats(lines, ts, node.name, node.stats);
    await src.questdb.send(lines);
  } catch (err) {
    problems.push(`questdb: ${err instanceof Error ? err.message : String(err)}`);
  }
  return problems;
}
