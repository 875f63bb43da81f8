import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

/** The local Redis Cluster of `npm run cluster:up` (infra/scripts/cluster-up.sh): 127.0.0.1:7000-7005. */
export const CLUSTER_PORTS = [7000, 7001, 7002, 7003, 7004, 7005] as const;
export const CLUSTER_NODES = CLUSTER_PORTS.map((p) => `127.0.0.1:${p}`).join(',');

const root = fileURLToPath(new URL('../../', import.meta.url));
const pidFile = (port: number): string => `${root}.data/run/cluster-${port}.pid`;

function alive(port: number): boolean {
  if (!existsSync(pidFile(port))) return false;
  try {
    process.kill(Number(readFileSync(pidFile(port), 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the local cluster unless it runs (cluster-up.sh is idempotent) and remembers whether this
 * call started it: `release` stops it only then, so a cluster someone else started keeps running.
 */
export function useCluster(): { release: () => void } {
  const before = alive(CLUSTER_PORTS[0]);
  execFileSync('bash', [`${root}infra/scripts/cluster-up.sh`], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 90_000 });
  const startedHere = !before && alive(CLUSTER_PORTS[0]);
  return {
    release: () => {
      if (startedHere)
        execFileSync('bash', [`${root}infra/scripts/cluster-down.sh`], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60_000 });
    },
  };
}

/** One plain connection to a cluster node, for admin commands (CLUSTER …, INFO, DEBUG). */
export function nodeConnection(port: number): Redis {
  const r = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: false });
  r.on('error', () => undefined);
  return r;
}

/** Ask any live node (a killed master does not answer). */
async function anyNode<T>(ask: (r: Redis) => Promise<T>): Promise<T> {
  let last: unknown;
  for (const port of CLUSTER_PORTS) {
    const r = nodeConnection(port);
    try {
      return await ask(r);
    } catch (err) {
      last = err;
    } finally {
      r.disconnect();
    }
  }
  throw new Error(`no cluster node answered: ${String(last)}`);
}

/** `host:port` of the master serving `key`'s slot, and its slot, as the cluster itself says (CLUSTER KEYSLOT / SLOTS). */
export async function masterOfKey(key: string): Promise<{ slot: number; master: string }> {
  return anyNode(async (r) => {
    const slot = Number(await r.call('CLUSTER', 'KEYSLOT', key));
    const ranges = (await r.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`slot ${slot} is not served`);
    return { slot, master: `${range[2][0]}:${range[2][1]}` };
  });
}

/** The masters of the cluster now (`host:port`), from CLUSTER SLOTS. */
export async function clusterMasters(): Promise<string[]> {
  return anyNode(async (r) => {
    const ranges = (await r.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
    return [...new Set(ranges.map((x) => `${x[2][0]}:${x[2][1]}`))].sort();
  });
}

/** `cluster_state` as every live node sees it is `ok`. */
export async function clusterOk(): Promise<boolean> {
  let answered = 0;
  for (const port of CLUSTER_PORTS) {
    const r = nodeConnection(port);
    try {
      const info = String(await r.call('CLUSTER', 'INFO'));
      if (!info.includes('cluster_state:ok')) return false;
      answered++;
    } catch {
      // a dead node does not count
    } finally {
      r.disconnect();
    }
  }
  return answered > 0;
}

/** Every master has at least one replica online (INFO replication), so `WAIT 1` can be satisfied. */
export async function replicasOnline(): Promise<boolean> {
  for (const master of await clusterMasters()) {
    const r = nodeConnection(Number(master.split(':')[1]));
    try {
      const info = await r.info('replication');
      if (!/connected_slaves:[1-9]/.test(info) || !/state=online/.test(info)) return false;
    } catch {
      return false;
    } finally {
      r.disconnect();
    }
  }
  return true;
}

/**
 * The Redis topologies the pipeline and fault-matrix tests run on (issue 9): one Redis (REDIS_URL),
 * and the local cluster, where every service uses an ioredis Cluster client and each queue's keys
 * live on the slot of its hash tag.
 */
export const REDIS_TARGETS = [
  { redis: 'one Redis', cluster: false },
  { redis: 'the local Redis Cluster', cluster: true },
] as const;
export type RedisTarget = (typeof REDIS_TARGETS)[number];

/** The environment a stack on `target` needs, and the cluster's release for afterAll (a no-op on one Redis). */
export function useTarget(target: RedisTarget): { env: Record<string, string>; release: () => void } {
  if (!target.cluster) return { env: {}, release: () => undefined };
  const cluster = useCluster();
  return { env: { REDIS_CLUSTER_NODES: CLUSTER_NODES }, release: cluster.release };
}
