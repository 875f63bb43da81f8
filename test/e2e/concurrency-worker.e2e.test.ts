/**
 * Issue 12, point 1: concurrency set at run time, without restarts. Real collector, producer and
 * worker processes: webhook starts at 1 slot per process; a `PUT /api/v1/queues/webhook/concurrency`
 * makes the same worker processes (same pids, never restarted) report the new value within moments
 * (pub/sub, not the 10 s re-read), and jobs then run exactly that many at once per process, measured
 * from BullMQ's own job timestamps; the same for a decrease. A value written without a message is
 * picked up by the safety re-read; a value that is not a number is ignored; one above the maximum is
 * clamped. A worker that stops removes its report; a worker started later starts with the setting.
 */
import { concurrencyChannel, concurrencyKeys, queueKeys, type ConcurrencySetting } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_QUEUES, uniqueRunId } from '../support/env.js';
import { waitFor, type ServiceProcess } from '../support/processes.js';
import { sendJobs, startStack, type TestStack } from '../support/stack.js';

/** Handler time of every webhook job, ms: long enough that a process's jobs clearly overlap. */
const HANDLER_MS = 400;
const MAX = 50;

/** Most intervals [start, end) open at one moment (an end and a start at the same ms do not overlap). */
function maxOverlap(intervals: readonly (readonly [number, number])[]): number {
  const points = intervals.flatMap(([a, b]) => [
    [a, 1],
    [b, -1],
  ]);
  points.sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
  let open = 0;
  let most = 0;
  for (const [, d] of points) most = Math.max(most, (open += d!));
  return most;
}

describe('run-time concurrency on real worker processes', () => {
  let stack: TestStack;
  let workers: ServiceProcess[];
  let redis: Redis;
  let queue: Queue;

  const url = () => `${stack.collectorUrl}/api/v1/queues/webhook/concurrency`;
  const get = async (): Promise<ConcurrencySetting> => (await fetch(url())).json() as Promise<ConcurrencySetting>;
  const put = async (concurrency: number): Promise<Response> =>
    fetch(url(), {
      method: 'PUT',
      headers: { ...stack.collectorHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ concurrency, actor: 'e2e', reason: 'test' }),
    });
  const pids = () => workers.map((w) => w.child.pid!).sort();
  /** Wait until exactly our worker processes report `n` (same pids as started); returns how long it took, ms. */
  const reported = async (n: number, timeoutMs = 5000): Promise<number> => {
    const started = Date.now();
    let last: ConcurrencySetting | undefined;
    await waitFor(
      `every worker process to report webhook concurrency ${n} (last: ${JSON.stringify(last?.workers)})`,
      async () => {
        last = await get();
        return (
          JSON.stringify(last.workers.map((w) => w.pid).sort()) === JSON.stringify(pids()) && last.workers.every((w) => w.concurrency === n)
        );
      },
      timeoutMs,
      50,
    );
    return Date.now() - started;
  };
  /**
   * Send `count` webhook jobs while the queue is paused, then resume it (every job waits at once, so
   * a slow enqueue cannot keep a process below its slots); wait until they completed. Returns the
   * most that ran at once in each worker process, from BullMQ's own `processedOn`/`finishedOn`.
   */
  const runJobs = async (count: number): Promise<Map<string, number>> => {
    await queue.pause();
    const { accepted } = await sendJobs(stack.producerUrl, uniqueRunId('conc'), { webhook: count }, { clients: count });
    await queue.resume();
    const ids = new Set(accepted.get('webhook') ?? []);
    expect(ids.size).toBe(count);
    let done: Awaited<ReturnType<Queue['getJobs']>> = [];
    await waitFor(
      `${count} webhook jobs completed`,
      async () => {
        done = (await queue.getJobs(['completed'], 0, -1)).filter((j) => ids.has(j.id!));
        return done.length === count;
      },
      60_000,
      100,
    );
    const byWorker = new Map<string, [number, number][]>();
    for (const j of done) byWorker.set(j.processedBy!, [...(byWorker.get(j.processedBy!) ?? []), [j.processedOn!, j.finishedOn!]]);
    return new Map([...byWorker].map(([w, intervals]) => [w, maxOverlap(intervals)]));
  };

  beforeAll(async () => {
    stack = await startStack(
      { ...FAST_QUEUES, QUEUE_WEBHOOK_LATENCY: `fixed:${HANDLER_MS}`, QUEUE_WEBHOOK_CONCURRENCY: '1', WORKER_MAX_CONCURRENCY: String(MAX) },
      0,
    );
    // Workers at info: their "concurrency a → b" lines are part of what is checked.
    workers = stack.addWorkers(2, { WORKER_QUEUES: 'webhook', LOG_LEVEL: 'info' });
    redis = new Redis(stack.config.redisUrl);
    queue = new Queue('webhook', { connection: redis, prefix: queueKeys(stack.config.namespace, 'webhook').bullPrefix });
    await reported(1, 30_000);
  });
  afterAll(async () => {
    await queue?.close();
    redis?.disconnect();
    await stack?.stop();
  });

  it('starts at the profile: 1 slot per process, one job at a time per process', async () => {
    expect(await get()).toMatchObject({ concurrency: 1, source: 'profile', max: MAX });
    const most = await runJobs(6);
    expect(
      [...most.values()].every((n) => n === 1),
      JSON.stringify([...most]),
    ).toBe(true);
  });

  it('PUT 5: the same processes apply it within moments (pub/sub), and run exactly 5 jobs at once each', async () => {
    const before = pids();
    expect((await put(5)).status).toBe(200);
    const ms = await reported(5);
    // Well inside the 10 s safety re-read: the message did it.
    expect(ms).toBeLessThan(3000);
    const most = await runJobs(20);
    expect(most.size).toBe(2);
    for (const [worker, n] of most) expect(n, worker).toBe(5);
    expect(pids()).toEqual(before);
    for (const w of workers) expect(w.child.exitCode, w.output().slice(-2000)).toBeNull();
  });

  it('PUT 2: a decrease is applied the same way: at most 2 at once per process', async () => {
    expect((await put(2)).status).toBe(200);
    await reported(2);
    const most = await runJobs(16);
    for (const [worker, n] of most) expect(n, worker).toBe(2);
    for (const w of workers) {
      expect(w.output()).toContain('concurrency 1 → 5');
      expect(w.output()).toContain('concurrency 5 → 2');
    }
  });

  it('a value written without a message is applied by the safety re-read; garbage is ignored; above the max is clamped', async () => {
    const key = concurrencyKeys(stack.config.namespace, 'webhook').setting;
    await redis.set(key, '3');
    await reported(3, 15_000);

    await redis.set(key, 'lots');
    await redis.publish(concurrencyChannel(stack.config.namespace), 'webhook');
    await waitFor('workers to warn about the setting', () => workers.every((w) => w.output().includes('not an integer: ignored')), 5000);
    expect((await get()).workers.map((w) => w.concurrency)).toEqual([3, 3]);

    await redis.set(key, '999');
    await redis.publish(concurrencyChannel(stack.config.namespace), 'webhook');
    await reported(MAX);
    for (const w of workers) expect(w.output()).toContain('out of bounds: clamped');
    expect((await put(4)).status).toBe(200);
    await reported(4);
  });

  it('a stopped worker removes its report; a worker started later starts with the setting', async () => {
    const applied = concurrencyKeys(stack.config.namespace, 'webhook').applied;
    const [gone] = workers.splice(0, 1);
    expect(await gone!.kill('SIGTERM')).toBe(0);
    const fields = await redis.hkeys(applied);
    expect(
      fields.some((f) => f.endsWith(`:${gone!.child.pid}`)),
      JSON.stringify(fields),
    ).toBe(false);
    workers.push(...stack.addWorkers(1, { WORKER_QUEUES: 'webhook', LOG_LEVEL: 'info' }));
    await reported(4, 30_000);
    // It read the setting before its BullMQ worker existed: it never ran at the profile's 1.
    expect(workers.at(-1)!.output()).toContain('"concurrency":{"webhook":4}');
    expect(workers.at(-1)!.output()).not.toContain('concurrency 1 →');
  });
});
