/**
 * Redis-side helpers of the benchmarks: the server's pid (for CPU sampling), `INFO commandstats`
 * deltas (where Redis spent its time during a window), BullMQ readiness and drain checks, and
 * removing a round's keys so rounds do not pile data up in one Redis.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt } from './numbers.js';

export function connect(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null });
}

/** The pid of the Redis server behind `redis` (`INFO server`), so it is found whatever its port. */
export async function redisPid(redis: Redis): Promise<number> {
  const info = await redis.info('server');
  const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
  if (!pid) throw new Error('INFO server reported no process_id');
  return pid;
}

export type CommandStats = Map<string, { calls: number; usec: number }>;

/** `INFO commandstats`: calls and µs spent per command since the server started (or CONFIG RESETSTAT). */
export async function commandStats(redis: Redis): Promise<CommandStats> {
  const stats: CommandStats = new Map();
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return stats;
}

export interface CommandDelta {
  command: string;
  calls: number;
  usec: number;
}

/** What each command cost between two snapshots, most expensive first. */
export function commandDeltas(before: CommandStats, after: CommandStats): CommandDelta[] {
  return [...after]
    .map(([command, a]) => {
      const b = before.get(command) ?? { calls: 0, usec: 0 };
      return { command, calls: a.calls - b.calls, usec: a.usec - b.usec };
    })
    .filter((d) => d.calls > 0)
    .sort((x, y) => y.usec - x.usec);
}

/**
 * `evalsha 1012 ms (12.5k × 81.0 µs)  …`: the top `n` commands by time spent. Commands a Lua
 * script runs are counted on their own line too, and inside the script's `evalsha` time, so the
 * lines do not add up to Redis's CPU (the CPU line has that).
 */
export function formatCommandDeltas(deltas: readonly CommandDelta[], n = 8): string {
  return deltas
    .slice(0, n)
    .map(
      (d) =>
        `${d.command} ${fmt(d.usec / 1000)} ms (${d.calls < 1000 ? d.calls : `${fmt(d.calls / 1000, 1)}k`} × ${fmt(d.usec / d.calls, 1)} µs)`,
    )
    .join('  ');
}

/** Start a commandstats window; `stop()` returns the deltas since. Other clients of the same Redis are counted too. */
export async function startCommandWindow(redis: Redis): Promise<{ stop: () => Promise<CommandDelta[]> }> {
  const before = await commandStats(redis);
  return { stop: async () => commandDeltas(before, await commandStats(redis)) };
}

/** Wait until every queue (BullMQ `prefix` + name) has at least `workers` workers connected. */
export async function waitForWorkers(
  redis: Redis,
  queues: readonly { prefix: string; name: string }[],
  workers: number,
  timeoutMs = 60_000,
): Promise<void> {
  await withQueues(redis, queues, async (qs) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = await Promise.all(qs.map((q) => q.getWorkersCount()));
      if (counts.every((c) => c >= workers)) return;
      if (Date.now() > deadline)
        throw new Error(`workers connected per queue ${counts.join('/')} after ${timeoutMs} ms, expected ${workers}`);
      await sleep(200);
    }
  });
}

/** Wait until `queues` hold no unfinished job, polling every `everyMs`; resolves with how long that took, ms. */
export async function waitForDrain(
  redis: Redis,
  queues: readonly { prefix: string; name: string }[],
  opts: { timeoutMs?: number; everyMs?: number } = {},
): Promise<number> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 300_000;
  return withQueues(redis, queues, async (qs) => {
    for (;;) {
      const left = await unfinishedIn(qs);
      if (left === 0) return Date.now() - started;
      if (Date.now() - started > timeoutMs) throw new Error(`${left} jobs still unfinished after ${timeoutMs} ms`);
      await sleep(opts.everyMs ?? 200);
    }
  });
}

/** Jobs BullMQ finished (completed + failed, as long as they are retained) in `queues`. */
export async function finishedJobs(redis: Redis, queues: readonly { prefix: string; name: string }[]): Promise<number> {
  return withQueues(redis, queues, async (qs) => {
    const counts = await Promise.all(qs.map((q) => q.getJobCounts('completed', 'failed')));
    return counts.reduce((sum, c) => sum + (c.completed ?? 0) + (c.failed ?? 0), 0);
  });
}

/** Jobs not finished yet (waiting, active, delayed, prioritized, waiting for children) summed over `qs`. */
async function unfinishedIn(qs: readonly Queue[]): Promise<number> {
  const counts = await Promise.all(qs.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')));
  return counts.reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
}

async function withQueues<T>(
  redis: Redis,
  queues: readonly { prefix: string; name: string }[],
  use: (qs: Queue[]) => Promise<T>,
): Promise<T> {
  // skipMetasUpdate: a reader must not reset the queue's streams.events.maxLen to BullMQ's default.
  const qs = queues.map((q) => new Queue(q.name, { connection: redis, prefix: q.prefix, skipMetasUpdate: true }));
  try {
    return await use(qs);
  } finally {
    // The connection is the caller's: Queue.close() on a shared connection leaves it open.
    await Promise.all(qs.map((q) => q.close()));
  }
}

/** UNLINK every key of namespace `ns` (all of them start with `{ns:`); returns how many. */
export async function deleteNamespace(redis: Redis, ns: string): Promise<number> {
  if (!/^[A-Za-z0-9_.-]+$/.test(ns)) throw new Error(`refusing to delete keys of namespace '${ns}'`);
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${ns}:*`, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}
