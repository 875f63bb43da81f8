/**
 * Issue 12: the concurrency watcher never holds a worker's shutdown. With Redis reachable, SIGTERM
 * removes the process's report at once and the worker exits 0; with Redis gone (its connections
 * cut by a relay in front of the real Redis), the watcher's unsubscribe and report removal give up
 * after their timeouts (1 s each) and the report expires on its own. What follows, BullMQ's own
 * `worker.close()`, never returns without Redis: the worker stops waiting for it after the lock
 * duration (the other workers find its jobs stalled then anyway) and exits by itself.
 */
import { concurrencyKeys } from '@queuescope/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../support/env.js';
import { spawnService, waitFor, type ServiceProcess } from '../support/processes.js';
import { TcpRelay } from '../support/tcp-relay.js';

describe('worker shutdown with the concurrency watcher', () => {
  let relay: TcpRelay;
  let redis: Redis;
  let env: Record<string, string>;
  let applied: string;
  const procs: ServiceProcess[] = [];

  beforeAll(async () => {
    const base = testConfig();
    const url = new URL(base.config.redisUrl);
    relay = new TcpRelay({ host: url.hostname, port: Number(url.port || 6379) });
    const port = await relay.listen();
    env = { ...base.env, REDIS_URL: `redis://127.0.0.1:${port}`, WORKER_QUEUES: 'webhook', WORKER_LOCK_MS: '2000', LOG_LEVEL: 'info' };
    redis = new Redis(base.config.redisUrl);
    applied = concurrencyKeys(base.config.namespace, 'webhook').applied;
  });
  afterAll(async () => {
    relay?.restore();
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await relay?.close();
    redis?.disconnect();
  });

  const start = async (): Promise<ServiceProcess> => {
    const proc = spawnService('worker', env);
    procs.push(proc);
    await waitFor(
      'the worker to report',
      async () => (await redis.hkeys(applied)).some((f) => f.endsWith(`:${proc.child.pid}`)),
      30_000,
      100,
    );
    return proc;
  };

  it('SIGTERM with Redis up: exit 0 and its report is gone', async () => {
    const proc = await start();
    expect(await proc.kill('SIGTERM')).toBe(0);
    expect((await redis.hkeys(applied)).some((f) => f.endsWith(`:${proc.child.pid}`))).toBe(false);
  });

  it('SIGTERM with Redis gone: the watcher gives up within its timeouts, the BullMQ close after the lock duration, and the worker exits', async () => {
    const proc = await start();
    relay.cut();
    const started = Date.now();
    proc.child.kill('SIGTERM');
    // The watcher's close is the first step of the shutdown; this line ends it.
    await waitFor('the watcher close to end', () => proc.output().includes('concurrency reports not removed'), 10_000, 50);
    expect(Date.now() - started).toBeLessThan(5000);
    // It could not remove its report: the hash's expiry (30 s after the last report) does.
    expect((await redis.hkeys(applied)).some((f) => f.endsWith(`:${proc.child.pid}`))).toBe(true);
    expect(await redis.pttl(applied)).toBeLessThanOrEqual(30_000);
    expect(await redis.pttl(applied)).toBeGreaterThan(0);
    // The BullMQ close is given up after the lock duration (2 s here); one SIGTERM is enough.
    expect(await proc.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(proc.output()).toContain('worker close did not finish within the lock duration');
  });
});
