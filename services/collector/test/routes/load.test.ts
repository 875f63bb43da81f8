import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../../test/support/env.js';
import { pollQuery, questdbClient } from '../../../../test/support/questdb.js';
import { build } from '../helper.js';
import { CLIENT_SUMMARY } from './run-fixture.js';

const { config } = testConfig();

describe('client-side load of a run', () => {
  let app: FastifyInstance;
  let db: pg.Client;
  let runId: string;
  beforeAll(async () => {
    app = await build(config);
    db = await questdbClient(config);
    runId = (await app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name: 'load' } })).json().id;
  });
  afterAll(async () => {
    await app.close();
    await db.end();
  });

  const second = (ts: number, requests: number) => ({
    ts,
    vus: 10,
    requests,
    accepted: requests - 1,
    errors: 1,
    timeouts: 0,
    status4xx: 0,
    status5xx: 0,
    p50Ms: 2.5,
    p95Ms: 9,
    p99Ms: 20,
    maxMs: 40,
  });

  it('stores per-second rows, and a re-post of the same seconds replaces them', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const post = (seconds: object[]) =>
      app.inject({ method: 'POST', url: `/api/v1/runs/${runId}/load-metrics`, payload: { source: 'builtin', seconds } });
    expect((await post([second(t0, 100), second(t0 + 1000, 120)])).statusCode).toBe(202);
    expect((await post([second(t0 + 1000, 130)])).statusCode).toBe(202);
    const rows = await pollQuery<{ requests: number }>(
      db,
      `SELECT requests FROM load_metrics WHERE run_id = $1 ORDER BY ts`,
      [runId],
      (r) => r.length === 2 && r[1]?.requests === 130,
    );
    expect(rows.map((r) => r.requests)).toEqual([100, 130]);
    const summary = (await app.inject({ url: `/api/v1/runs/${runId}/summary` })).json();
    expect(summary.client.perSecond).toEqual([
      expect.objectContaining({
        source: 'builtin',
        seconds: 2,
        requests: 230,
        accepted: 228,
        errors: 2,
        peakVus: 10,
        reqPerSec: 115,
        worstSecondP99Ms: 20,
      }),
    ]);
  });

  it("stores the load generator's client summary on the run", async () => {
    const clientSummary = {
      source: 'k6',
      requests: 1200,
      accepted: null,
      errors: 2,
      timeouts: null,
      reqPerSec: 59.96,
      p50Ms: 3.5,
      p95Ms: 9.75,
      p99Ms: 31.2,
      maxMs: 88.4,
      thresholds: { 'http_req_failed: rate<0.05': true, 'http_req_duration: p(95)<500': false },
    };
    const res = await app.inject({ method: 'POST', url: `/api/v1/runs/${runId}/client-summary`, payload: clientSummary });
    expect(res.statusCode).toBe(200);
    expect(res.json().clientSummary).toEqual(clientSummary);
    expect((await app.inject({ url: `/api/v1/runs/${runId}` })).json().clientSummary.p99Ms).toBe(31.2);
  });

  it('accepts only the ClientSummary shape: a raw k6 handleSummary is refused, and there is no k6 route', async () => {
    const k6Data = { metrics: { http_reqs: { type: 'counter', values: { count: 1, rate: 1 } } } };
    const raw = await app.inject({ method: 'POST', url: `/api/v1/runs/${runId}/client-summary`, payload: k6Data });
    expect(raw.statusCode).toBe(400);
    const k6Route = await app.inject({ method: 'POST', url: `/api/v1/runs/${runId}/k6-summary`, payload: { summary: k6Data } });
    expect(k6Route.statusCode).toBe(404);
  });

  it('rejects bad input naming the field, and unknown runs with 404', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: `/api/v1/runs/${runId}/load-metrics`,
      payload: { source: 'builtin', seconds: [{ ...second(0, 1), requests: -1 }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/requests/);
    const source = await app.inject({
      method: 'POST',
      url: `/api/v1/runs/${runId}/load-metrics`,
      payload: { source: 'jmeter', seconds: [second(0, 1)] },
    });
    expect(source.json().message).toMatch(/source/);
    const unknown = await app.inject({
      method: 'POST',
      url: `/api/v1/runs/nope-run/load-metrics`,
      payload: { source: 'builtin', seconds: [second(0, 1)] },
    });
    expect(unknown.statusCode).toBe(404);
    const summary = await app.inject({
      method: 'POST',
      url: `/api/v1/runs/${runId}/client-summary`,
      payload: { source: 'builtin', requests: 'many' },
    });
    expect(summary.statusCode).toBe(400);
  });

  it('client summary: a non-finite or unbounded value is a 400 naming the field, and the stored summary stays readable', async () => {
    const valid = CLIENT_SUMMARY;
    const stored = await app.inject({ method: 'POST', url: `/api/v1/runs/${runId}/client-summary`, payload: valid });
    expect(stored.statusCode).toBe(200);
    const raw = (field: string, text: string) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/runs/${runId}/client-summary`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(valid).replace(`"${field}":${String((valid as Record<string, unknown>)[field])}`, `"${field}":${text}`),
      });
    // JSON.parse reads 1e999 as Infinity; Ajv passes Infinity as a number and as an integer, and JSON.stringify would store null.
    for (const [field, text] of [
      ['reqPerSec', '1e999'],
      ['requests', '1e999'],
      ['p95Ms', '-1e999'],
      ['reqPerSec', '"fast"'],
    ] as const) {
      const res = await raw(field, text);
      expect(res.statusCode, `${field}=${text}`).toBe(400);
      expect(res.json().message).toContain(field);
    }
    const manyThresholds = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p(95)<${i}`, true]));
    const thresholds = await app.inject({
      method: 'POST',
      url: `/api/v1/runs/${runId}/client-summary`,
      payload: { ...valid, thresholds: manyThresholds },
    });
    expect(thresholds.statusCode).toBe(400);
    expect(thresholds.json().message).toMatch(/thresholds/);
    const run = await app.inject({ url: `/api/v1/runs/${runId}` });
    expect(run.statusCode).toBe(200);
    expect(run.json().clientSummary).toEqual(valid);
  });
});
