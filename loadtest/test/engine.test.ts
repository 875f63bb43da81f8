import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QUEUE_NAMES, queueKeys, type QueueName } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../services/producer/test/helper.js';
import { openQueues } from '../../test/support/bullmq-truth.js';
import { testConfig, uniqueRunId } from '../../test/support/env.js';
import type { Scenario } from '../scenarios/index.js';
import { runScenario } from '../src/engine/index.js';
import type { SecondStats } from '../src/engine/stats.js';

const { config } = testConfig();

const ramp: Scenario = {
  name: 'test-ramp',
  description: 'ramp 0 → 20 VUs over 2 s, hold 2 s',
  startVUs: 0,
  stages: [
    { duration: '2s', target: 20 },
    { duration: '2s', target: 20 },
  ],
  mix: { payment: 0.5, notification: 0.3, webhook: 0.2 },
  thinkTimeMs: { min: 10, max: 30 },
};

const sum = (seconds: SecondStats[], key: 'requests' | 'accepted'): number => seconds.reduce((n, s) => n + s[key], 0);

describe('built-in engine against the real producer', () => {
  let producer: FastifyInstance;
  let baseUrl: string;
  const bull = openQueues(config);
  beforeAll(async () => {
    producer = await build(config);
    await producer.listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
    baseUrl = `http://127.0.0.1:${(producer.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await producer.close();
    const redis = new Redis(config.redisUrl);
    for (const [name, queue] of bull.queues) {
      await queue.obliterate({ force: true });
      await redis.del(queueKeys(config.namespace, name).events);
    }
    await redis.quit();
    await bull.close();
  });

  /** Jobs BullMQ holds for `runId`, per queue (no workers run here, so they all wait). */
  const jobsOf = async (runId: string): Promise<Record<QueueName, number>> => {
    const counts = { payment: 0, notification: 0, webhook: 0 };
    for (const name of QUEUE_NAMES) {
      const jobs = await bull.queues.get(name)!.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'], 0, -1);
      counts[name] = jobs.filter((j) => j.data?.runId === runId).length;
    }
    return counts;
  };

  it('follows the VU ramp, reports every second, and every request becomes a job of its run', async () => {
    const runId = uniqueRunId('engine');
    const seconds: SecondStats[] = [];
    const result = await runScenario({ baseUrl, runId, scenario: ramp, onSecond: (s) => seconds.push(s) });

    expect(result.requests).toBeGreaterThan(100);
    expect(result.accepted).toBe(result.requests);
    expect(result.errors + result.timeouts + result.status4xx + result.status5xx + result.cancelled).toBe(0);
    expect(result.p50Ms!).toBeGreaterThan(0);
    expect(result.p99Ms!).toBeGreaterThanOrEqual(result.p50Ms!);
    expect(result.maxMs!).toBeGreaterThanOrEqual(result.p99Ms!);

    // One row per wall-clock second, no gaps, and together they account for every request.
    expect(seconds.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]!.ts - seconds[i - 1]!.ts).toBe(1000);
    expect(seconds[0]!.ts % 1000).toBe(0);
    expect(sum(seconds, 'requests')).toBe(result.requests);
    expect(sum(seconds, 'accepted')).toBe(result.accepted);
    // VUs climb with the ramp (never down while ramping up and holding) and reach the target.
    const vus = seconds.map((s) => s.vus);
    expect(vus[0]).toBeLessThan(20);
    expect(Math.max(...vus)).toBe(20);
    for (let i = 1; i < vus.length; i++) expect(vus[i]).toBeGreaterThanOrEqual(vus[i - 1]!);

    // The producer's truth: every accepted request is a job carrying the run id, on every queue of the mix.
    const jobs = await jobsOf(runId);
    expect(jobs.payment + jobs.notification + jobs.webhook).toBe(result.accepted);
    for (const name of QUEUE_NAMES) expect(jobs[name], name).toBeGreaterThan(0);
  });

  it('resolves within a second of an abort and still reports the last partial second', async () => {
    const abort = new AbortController();
    const long: Scenario = { ...ramp, startVUs: 10, stages: [{ duration: '60s', target: 10 }] };
    const seconds: SecondStats[] = [];
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = Date.now();
      abort.abort();
    }, 1500);
    const result = await runScenario({
      baseUrl,
      runId: uniqueRunId('engine-abort'),
      scenario: long,
      signal: abort.signal,
      onSecond: (s) => seconds.push(s),
    });
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(result.requests).toBeGreaterThan(0);
    expect(sum(seconds, 'requests')).toBe(result.requests);
    // The second the abort fell in is reported although it never completed.
    expect(seconds.at(-1)!.ts).toBeGreaterThanOrEqual(Math.floor(abortedAt / 1000) * 1000);
  });

  it('does nothing when the signal is already aborted', async () => {
    const result = await runScenario({ baseUrl, runId: uniqueRunId('engine-pre'), scenario: ramp, signal: AbortSignal.abort() });
    expect(result.requests).toBe(0);
    expect(result.durationMs).toBeLessThan(1000);
  });

  it('stops and rejects with the error when onSecond throws', async () => {
    const runId = uniqueRunId('engine-throw');
    const started = Date.now();
    await expect(
      runScenario({
        baseUrl,
        runId,
        scenario: { ...ramp, stages: [{ duration: '60s', target: 5 }] },
        onSecond: () => {
          throw new Error('collector down');
        },
      }),
    ).rejects.toThrow('collector down');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('built-in engine against a server that never answers', () => {
  let silent: Server;
  let url: string;
  beforeAll(async () => {
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
  });

  it('counts timeouts, not errors', async () => {
    const seconds: SecondStats[] = [];
    const one: Scenario = { ...ramp, startVUs: 2, stages: [{ duration: '1s', target: 2 }] };
    const result = await runScenario({
      baseUrl: url,
      runId: uniqueRunId('engine-timeout'),
      scenario: one,
      requestTimeoutMs: 300,
      onSecond: (s) => seconds.push(s),
    });
    expect(result.timeouts).toBeGreaterThan(0);
    expect(result.requests).toBe(result.timeouts);
    expect(result.errors + result.accepted).toBe(0);
    expect(result.p50Ms).toBeNull();
    expect(seconds.reduce((n, s) => n + s.timeouts, 0)).toBe(result.timeouts);
  });
});

describe('built-in engine against a closed port', () => {
  it('counts connection errors, not timeouts', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const result = await runScenario({
      baseUrl: `http://127.0.0.1:${port}`,
      runId: uniqueRunId('engine-refused'),
      scenario: { ...ramp, startVUs: 2, stages: [{ duration: '500ms', target: 2 }] },
    });
    expect(result.errors).toBeGreaterThan(0);
    expect(result.requests).toBe(result.errors);
    expect(result.timeouts).toBe(0);
  });
});
