import { COLLECTOR_GROUP, type StreamStatus } from '@queuescope/contracts';
import type { RedisClient } from '@queuescope/service-kit';
import { retentionWarning } from './retention.js';
import type { StreamSource } from './stream-source.js';

type XinfoGroups = (string | number | null)[][];

const idMs = (id: string): number => Number(id.split('-')[0]);

/**
 * Backlog, lag and retention of each captured stream: the one definition used by
 * `/api/v1/ingest/status` and the `/metrics` gauges. Rejects when Redis does.
 */
export async function streamStatus(redis: RedisClient, sources: readonly StreamSource[], now = Date.now()): Promise<StreamStatus[]> {
  return Promise.all(
    sources.map(async (source) => {
      const key = source.spec.streamKey;
      const [length, groups, pendingSummary, maxLen, owner, lost] = await Promise.all([
        redis.xlen(key),
        (redis.xinfo('GROUPS', key) as Promise<XinfoGroups>).catch(() => [] as XinfoGroups),
        (redis.xpending(key, COLLECTOR_GROUP) as Promise<[number, string | null, ...unknown[]]>).catch(() => [0, null] as [number, null]),
        source.spec.meta ? redis.hget(source.spec.meta, 'opts.maxLenEvents') : Promise.resolve(null),
        redis.get(source.keys.lease),
        redis.hget(source.keys.state, '__lost'),
      ]);
      const group = groups.map(toRecord).find((g) => g.name === COLLECTOR_GROUP);
      const pending = Number(pendingSummary[0] ?? 0);
      const unread = group ? (typeof group.lag === 'number' ? group.lag : length) : length;
      let oldest: number | undefined = pending > 0 && typeof pendingSummary[1] === 'string' ? idMs(pendingSummary[1]) : undefined;
      if (oldest === undefined && unread > 0) {
        const after = group && typeof group['last-delivered-id'] === 'string' ? `(${group['last-delivered-id']}` : '-';
        const next = await redis.xrange(key, after, '+', 'COUNT', 1);
        if (next[0]) oldest = idMs(next[0][0]);
      }
      const maxLenEvents = maxLen === null ? null : Number(maxLen);
      const warnings: string[] = [];
      // Every collector's count, kept in Redis by the read script.
      const s = { ...source.stats, lostEvents: Number(lost ?? 0) };
      const retention = retentionWarning(maxLenEvents, s.entriesPerSec);
      if (retention) warnings.push(retention);
      if (s.lostEvents > 0) warnings.push(`${s.lostEvents} entries were trimmed before any collector read them`);
      return { ...s, length, pending, unread, lagMs: oldest === undefined ? 0 : Math.max(0, now - oldest), maxLenEvents, owner, warnings };
    }),
  );
}

function toRecord(flat: (string | number | null)[]): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1]!;
  return out;
}
