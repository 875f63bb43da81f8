import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../services/producer/test/helper.js';
import { testConfig } from '../../test/support/env.js';
import type { Scenario } from '../scenarios/index.js';
import { runScenario, type LoadSecond } from '../src/engine/index.js';

const ramp: Scenario = {
  name: 'test-ramp',
  description: 'ramp 0 → 20 VUs over 2 s, hold 2 s',
  startVUs: 0,
  stages: [{ duration: '2s', target: 20 }, { duration: '2s', target: 20 }],
  mix: { payment: 0.5, notification: 0.3, webhook: 0.2 },
  thinkTimeMs: { min: 10, max: 30 },
};

describe('built-in engine', () => {
  let producer: FastifyInstance;
  let baseUrl: string;
  beforeAll(async () => {
    producer = await build(testConfig().config);
    await producer.listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
    baseUrl = `http://127.0.0.1:${(producer.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await producer.close();
  });

  it('follows the VU ramp, reports every second, and every request is accepted by the real producer', async () => {
    const seconds: LoadSecond[] = [];
    const result = await runScenario({ baseUrl, runId: 'engine-test', scenario: ramp, onSecond: (s) => seconds.push(s) });
    expect(result.requests).toBeGreaterThan(100);
    expect(result.accepted).toBe(result.requests);
    expect(result.errors + result.timeouts).toBe(0);
    expect(seconds.reduce((n, s) => n + s.requests, 0)).toBe(result.requests);
    expect(seconds.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]!.ts - seconds[i - 1]!.ts).toBe(1000);
    expect(Math.max(...seconds.map((s) => s.vus))).toBe(20);
    expect(seconds[0]!.vus).toBeLessThan(20);
    expect(result.p50Ms!).toBeGreaterThan(0);
    expect(result.p99Ms!).toBeGreaterThanOrEqual(result.p50Ms!);
  });

  it('stops within a second when aborted', async () => {
    const abort = new AbortController();
    const long: Scenario = { ...ramp, startVUs: 10, stages: [{ duration: '60s', target: 10 }] };
    const started = Date.now();
    setTimeout(() => abort.abort(), 1500);
    const result = await runScenario({ baseUrl, runId: 'engine-abort', scenario: long, signal: abort.signal });
    expect(Date.now() - started).toBeLessThan(2600);
    expect(result.requests).toBeGreaterThan(0);
  });

  describe('against a server that never answers', () => {
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
      const one: Scenario = { ...ramp, startVUs: 2, stages: [{ duration: '1s', target: 2 }] };
      const result = await runScenario({ baseUrl: url, runId: 'engine-timeout', scenario: one, requestTimeoutMs: 300 });
      expect(result.timeouts).toBeGreaterThan(0);
      expect(result.errors).toBe(0);
      expect(result.accepted).toBe(0);
    });
  });
});
