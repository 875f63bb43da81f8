/**
 * Issue 4: a recorded k6 `--out json` stream (k6's documented Metric/Point line format) and a
 * handleSummary payload (converted by the runner: src/k6/summary.ts) land in `load_metrics` and on the run. k6 itself cannot run on our
 * machines, so the sample is data in exactly k6's format (test/fixtures/k6-output.json).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useCollector } from '../../services/collector/test/helper.js';
import { testConfig } from '../../test/support/env.js';
import { pollQuery } from '../../test/support/questdb.js';
import { K6JsonAggregator } from '../src/k6/json-output.js';
import { fromK6Summary } from '../src/k6/summary.js';

const lines = readFileSync(new URL('./fixtures/k6-output.json', import.meta.url), 'utf8').split('\n');
const handleSummaryPayload = JSON.parse(readFileSync(new URL('./fixtures/k6-summary.json', import.meta.url), 'utf8'));
const { config } = testConfig();

describe('k6 JSON output → per-second load metrics', () => {
  it('aggregates Point lines per second: requests by outcome, VUs, duration percentiles', () => {
    const agg = new K6JsonAggregator();
    for (const line of lines) agg.push(line);
    expect(agg.malformed).toBe(0);
    const seconds = agg.finish();
    // Times carry a +01:00 offset: 06:00:0X+01:00 is 05:00:0X UTC.
    expect(seconds.map((s) => new Date(s.ts).toISOString())).toEqual([
      '2026-11-28T05:00:00.000Z',
      '2026-11-28T05:00:01.000Z',
      '2026-11-28T05:00:02.000Z',
    ]);
    expect(seconds[0]).toMatchObject({ vus: 5, requests: 100, accepted: 100, errors: 0, status4xx: 0, status5xx: 0 });
    expect(seconds[0]!.p50Ms).toBeCloseTo(50, 1);
    expect(seconds[0]!.p95Ms).toBeCloseTo(95, 1);
    expect(seconds[0]!.p99Ms).toBeCloseTo(99, 1);
    expect(seconds[0]!.maxMs).toBeCloseTo(100, 1);
    expect(seconds[1]).toMatchObject({ vus: 6, requests: 50, accepted: 48, errors: 1, status4xx: 1, status5xx: 0 });
    expect(seconds[2]).toMatchObject({ vus: 7, requests: 10, accepted: 9, errors: 0, status5xx: 1 });
    expect(seconds[2]!.p50Ms).toBeCloseTo(10, 1);
  });

  it('emits a second only once k6 is 2 s past it, and never twice', () => {
    const agg = new K6JsonAggregator();
    const points = lines.filter((l) => l.includes('"Point"'));
    const second1 = points.findIndex((l) => l.includes('06:00:01'));
    for (const l of points.slice(0, second1)) agg.push(l);
    expect(agg.drain()).toEqual([]);
    for (const l of points.slice(second1)) agg.push(l);
    expect(agg.drain().map((s) => s.requests)).toEqual([100]);
    expect(agg.finish().map((s) => s.requests)).toEqual([50, 10]);
    expect(agg.finish()).toEqual([]);
  });

  it('counts malformed lines instead of failing', () => {
    const agg = new K6JsonAggregator();
    agg.push('not json');
    agg.push('{"type":"Point","metric":"http_reqs","data":{"time":"yesterday","value":1}}');
    expect(agg.malformed).toBe(2);
  });

  describe('into the collector', () => {
    const ctx = useCollector(config);

    it('the numbers land in load_metrics and on the run', async () => {
      const run = (
        await ctx.app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name: 'k6 sample', engine: 'k6', scenario: 'smoke' } })
      ).json();
      const agg = new K6JsonAggregator();
      for (const line of lines) agg.push(line);
      const post = await ctx.app.inject({
        method: 'POST',
        url: `/api/v1/runs/${run.id}/load-metrics`,
        payload: { source: 'k6', seconds: agg.finish() },
      });
      expect(post.statusCode).toBe(202);
      const rows = await pollQuery<{
        requests: number;
        accepted: number;
        errors: number;
        status_4xx: number;
        status_5xx: number;
        vus: number;
        p95_ms: number;
      }>(
        ctx.db,
        `SELECT requests, accepted, errors, status_4xx, status_5xx, vus, p95_ms FROM load_metrics WHERE run_id = $1 AND source = 'k6' ORDER BY ts`,
        [run.id],
        (r) => r.length === 3,
      );
      expect(rows.map((r) => [r.requests, r.accepted, r.errors, r.status_4xx, r.status_5xx, r.vus])).toEqual([
        [100, 100, 0, 0, 0, 5],
        [50, 48, 1, 1, 0, 6],
        [10, 9, 0, 0, 1, 7],
      ]);
      expect(rows[0]!.p95_ms).toBeCloseTo(95, 1);
      const summary = await ctx.app.inject({
        method: 'POST',
        url: `/api/v1/runs/${run.id}/client-summary`,
        payload: fromK6Summary(handleSummaryPayload),
      });
      expect(summary.statusCode).toBe(200);
      const stored = (await ctx.app.inject({ url: `/api/v1/runs/${run.id}` })).json();
      expect(stored.clientSummary).toMatchObject({ source: 'k6', requests: 1200, errors: 2, p95Ms: 9.75, p99Ms: 31.2 });
    });
  });
});
