import type { RunComparison } from '@queuescope/contracts';
import { COMPARE_METRICS } from '@queuescope/contracts';
import { describe, expect, it } from 'vitest';
import { compareRuns, DEFAULT_COMPARE_OPTIONS } from '../../src/analytics/compare.js';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { useCollector } from '../helper.js';
import { FAILING, HEALTHY, finishedRunWith } from './run-fixture.js';

const { config } = testConfig();

describe('compare API', () => {
  const ctx = useCollector(config);

  it('answers everything compareRuns() computes: the response schema drops no field', async () => {
    const a = await finishedRunWith(ctx.app, ctx.db, uniqueRunId('cmp-a'), [HEALTHY]);
    const b = await finishedRunWith(ctx.app, ctx.db, uniqueRunId('cmp-b'), [HEALTHY, FAILING]);
    const res = await ctx.app.inject({ url: `/api/v1/compare?a=${a.id}&b=${b.id}` });
    expect(res.statusCode).toBe(200);
    const body = res.json<RunComparison>();
    expect(body).toEqual(JSON.parse(JSON.stringify(await compareRuns(ctx.app.db, config, a, b, { ...DEFAULT_COMPARE_OPTIONS }))));
    expect(body.queues.map((q) => q.queue)).toEqual(['notification', 'webhook']);
    const webhook = body.queues[1]!;
    // Queue summaries and every metric with its test survive serialization.
    expect(webhook.a).toBeNull();
    expect(webhook.b).toMatchObject({ queue: 'webhook', jobs: 40, failed: 20 });
    expect(Object.keys(webhook.metrics)).toEqual([...COMPARE_METRICS]);
    expect(body.queues[0]!.metrics.latency_p95_ms.test).toMatchObject({ kind: 'percentile', a: { n: 40 }, b: { n: 40 } });
  });

  it('404 names the parameter of an unknown run', async () => {
    const a = (await ctx.app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name: 'cmp-404' } })).json<{ id: string }>();
    const res = await ctx.app.inject({ url: `/api/v1/compare?a=${a.id}&b=no-such-run` });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toMatch(/^b: run 'no-such-run'/);
  });
});

describe('compare of runs with more queues than COLLECTOR_MAX_QUEUES_PER_REQUEST', () => {
  const limited = testConfig({ COLLECTOR_MAX_QUEUES_PER_REQUEST: '2' }).config;
  const ctx = useCollector(limited);

  it('compares the queues with the most jobs over both runs and counts the others in truncatedQueues', async () => {
    const q = (name: string) => `cmp-${name}-${ctx.app.config.namespace}`;
    const a = await finishedRunWith(ctx.app, ctx.db, uniqueRunId('cmp-many-a'), [
      { queue: q('a'), n: 30, wait: '1', run: '5' },
      { queue: q('b'), n: 20, wait: '1', run: '5' },
    ]);
    const b = await finishedRunWith(ctx.app, ctx.db, uniqueRunId('cmp-many-b'), [
      { queue: q('c'), n: 25, wait: '1', run: '5' },
      { queue: q('d'), n: 5, wait: '1', run: '5' },
    ]);
    const res = await ctx.app.inject({ url: `/api/v1/compare?a=${a.id}&b=${b.id}` });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<RunComparison>();
    expect(body.queues.map((x) => x.queue)).toEqual([q('a'), q('c')]);
    expect(body.truncatedQueues).toBe(2);
    expect(body.queues[0]!.metrics.latency_p95_ms.test).toMatchObject({ kind: 'percentile', a: { n: 30 }, b: null });
    const self = (await ctx.app.inject({ url: `/api/v1/compare?a=${a.id}&b=${a.id}` })).json<RunComparison>();
    expect(self.queues.map((x) => x.queue)).toEqual([q('a'), q('b')]);
    expect(self.truncatedQueues).toBe(0);
  });
});
