import { ingestStream, queueKeys, type JobEvent } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { register as globalRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { build } from '../helper.js';
import { sample } from '../../../../test/support/prometheus.js';

describe('GET /metrics', () => {
  const { config } = testConfig();
  let app: FastifyInstance;
  let other: FastifyInstance;
  const scrape = async (target: FastifyInstance = app): Promise<string> => {
    const res = await target.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    app = await build(config);
    other = await build(testConfig().config);
  });
  afterAll(async () => {
    await Promise.all([app.close(), other.close()]);
  });

  it('serves the Prometheus text format with process metrics and a lag gauge per stream', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('# TYPE queuescope_job_latency_ms histogram');
    expect(sample(res.body, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(sample(res.body, 'queuescope_ingest_lag_ms', { stream: queueKeys(config.namespace, 'payment').events })).toBeGreaterThanOrEqual(
      0,
    );
    expect(sample(res.body, 'queuescope_ingest_write_failures_total')).toBe(0);
    expect(sample(res.body, 'queuescope_capture_lost_events', { stream: queueKeys(config.namespace, 'payment').events })).toBe(0);
  });

  it('counts events and observes latency and wait after the batch is stored', async () => {
    const before = await scrape();
    const completed = { queue: 'payment', event: 'completed' };
    const latency = { queue: 'payment', outcome: 'completed' };
    const base = (name: string, labels: Record<string, string>) => sample(before, name, labels) ?? 0;
    const start = {
      events: base('queuescope_events_total', completed),
      latencyCount: base('queuescope_job_latency_ms_count', latency),
      latencyLe25: base('queuescope_job_latency_ms_bucket', { ...latency, le: '25' }),
      latencyLe250: base('queuescope_job_latency_ms_bucket', { ...latency, le: '250' }),
      latencySum: base('queuescope_job_latency_ms_sum', latency),
      waitLe5: base('queuescope_job_wait_ms_bucket', { queue: 'payment', le: '5' }),
      waitCount: base('queuescope_job_wait_ms_count', { queue: 'payment' }),
      batches: base('queuescope_ingest_batches_total', {}),
    };

    const runId = uniqueRunId('metrics');
    const t0 = Date.now() * 1000;
    const ev = (i: number, e: Partial<JobEvent>): JobEvent => ({
      ts: t0 + i,
      run_id: runId,
      queue: 'payment',
      event: 'completed',
      job_id: `m${i}`,
      job_name: 'charge',
      attempt: 1,
      worker: 'h:1',
      ...e,
    });
    const events = [
      ...[3, 20, 200, 3000].map((latency_ms, i) => ev(i, { latency_ms, run_ms: 1 })),
      ev(10, { event: 'active', wait_ms: 1 }),
      ev(11, { event: 'active', wait_ms: 40 }),
      ev(12, { queue: 'emails', event: 'added', attempt: 0 }),
    ];
    const res = await app.inject({ method: 'POST', url: '/api/v1/events', payload: { events } });
    expect(res.statusCode).toBe(202);

    let text = '';
    await expect
      .poll(
        async () => {
          text = await scrape();
          return (sample(text, 'queuescope_job_wait_ms_count', { queue: 'payment' }) ?? 0) - start.waitCount === 2 &&
            (sample(text, 'queuescope_events_total', { queue: 'emails', event: 'added' }) ?? 0) === 1
            ? sample(text, 'queuescope_events_total', completed)! - start.events
            : -1;
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe(4);
    expect(sample(text, 'queuescope_job_latency_ms_count', latency)! - start.latencyCount).toBe(4);
    expect(sample(text, 'queuescope_job_latency_ms_bucket', { ...latency, le: '25' })! - start.latencyLe25).toBe(2);
    expect(sample(text, 'queuescope_job_latency_ms_bucket', { ...latency, le: '250' })! - start.latencyLe250).toBe(3);
    expect(sample(text, 'queuescope_job_latency_ms_sum', latency)! - start.latencySum).toBeCloseTo(3223);
    expect(sample(text, 'queuescope_job_wait_ms_bucket', { queue: 'payment', le: '5' })! - start.waitLe5).toBe(1);
    // One request → one stream entry → one stored batch (every stream's rows of a round are one write).
    expect(sample(text, 'queuescope_ingest_batches_total')! - start.batches).toBeGreaterThanOrEqual(1);
  });

  it('shows each captured stream length, its dead letters, and Redis memory against maxmemory', async () => {
    const ingest = ingestStream(config.namespace);
    const redis = new Redis(config.redisUrl);
    try {
      const before = await redis.xlen(ingest);
      for (let i = 0; i < 3; i++) await redis.xadd(ingest, '*', 'v', 'not-a-version');
      // XLEN: the entries stay in the stream after the capture read them (it never XDELs). A
      // scrape reuses reads made within 250 ms, so poll.
      await expect.poll(async () => sample(await scrape(), 'queuescope_stream_length', { stream: ingest })).toBe(before + 3);
      const text = await scrape();
      expect(sample(text, 'queuescope_stream_length', { stream: queueKeys(config.namespace, 'payment').events })).toBe(0);
      expect(sample(text, 'queuescope_dead_letters', { stream: queueKeys(config.namespace, 'payment').events })).toBe(0);
      // The three are malformed: the capture moves them to the dead-letter stream.
      await expect.poll(async () => sample(await scrape(), 'queuescope_dead_letters', { stream: ingest }), { timeout: 15_000 }).toBe(3);
      expect(sample(await scrape(), 'queuescope_dead_letters_moved_total', { kind: 'malformed' })).toBe(3);

      const info = await redis.info('memory');
      const maxmemory = Number(/^maxmemory:(\d+)/m.exec(info)![1]);
      const scraped = await scrape();
      expect(sample(scraped, 'queuescope_redis_maxmemory_bytes')).toBe(maxmemory);
      const used = sample(scraped, 'queuescope_redis_used_memory_bytes')!;
      const usedNow = Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))![1]);
      expect(used).toBeGreaterThan(0);
      expect(Math.abs(used - usedNow) / usedNow).toBeLessThan(0.5);
    } finally {
      await redis.quit();
    }
  });

  it('keeps one registry per app, none in the global registry', async () => {
    expect(app.metrics).not.toBe(other.metrics);
    expect(app.metrics).not.toBe(globalRegistry);
    expect(await globalRegistry.getSingleMetric('queuescope_events_total')).toBeUndefined();
    expect(sample(await scrape(app), 'queuescope_events_total', { queue: 'payment', event: 'completed' })).toBeGreaterThanOrEqual(4);
    expect(sample(await scrape(other), 'queuescope_events_total', { queue: 'payment', event: 'completed' })).toBeUndefined();
  });
});
