import { JOB_EVENT_COLUMNS } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../../test/support/env.js';
import { pollQuery, questdbClient } from '../../../../test/support/questdb.js';
import { build } from '../helper.js';

const { config } = testConfig();

describe('GET /api/v1/runs/:id/events', () => {
  let app: FastifyInstance;
  let db: pg.Client;
  let runId: string;
  const t = Date.now() * 1000;
  beforeAll(async () => {
    app = await build(config);
    db = await questdbClient(config);
    runId = (await app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name: 'export' } })).json().id;
    const base = { run_id: runId, queue: 'webhook', job_id: 'j-1', job_name: 'deliver', worker: 'w:1' };
    const events = [
      { ...base, ts: t, event: 'added', attempt: 0 },
      { ...base, ts: t + 5000, event: 'active', attempt: 1, wait_ms: 5 },
      {
        ...base,
        ts: t + 25_000,
        event: 'failed',
        attempt: 1,
        run_ms: 20,
        latency_ms: 25,
        error: 'Error: upstream said "no", then closed\nthe socket',
      },
    ];
    expect((await app.inject({ method: 'POST', url: '/api/v1/events', payload: { events } })).statusCode).toBe(202);
    await pollQuery<{ n: number }>(db, 'SELECT count() AS n FROM job_events WHERE run_id = $1', [runId], (r) => r[0]?.n === 3);
  });
  afterAll(async () => {
    await app.close();
    await db.end();
  });

  it('exports CSV with the contract columns, in time order, quoting what needs quoting', async () => {
    const res = await app.inject({ url: `/api/v1/runs/${runId}/events?format=csv` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    expect(res.headers['content-disposition']).toContain(`run-${runId}-events.csv`);
    const [header, ...rest] = res.body.trimEnd().split('\n');
    expect(header).toBe(JOB_EVENT_COLUMNS.join(','));
    expect(rest[0]).toMatch(/^\d{4}-\d\d-\d\dT.*,added,j-1,deliver,0,/);
    expect(res.body).toContain('"Error: upstream said ""no"", then closed\nthe socket"');
  });

  it('exports JSON as an array of rows', async () => {
    const res = await app.inject({ url: `/api/v1/runs/${runId}/events?format=json` });
    const rows = res.json() as { event: string; wait_ms: number | null; error: string | null }[];
    expect(rows.map((r) => r.event)).toEqual(['added', 'active', 'failed']);
    expect(rows[1]!.wait_ms).toBe(5);
    expect(rows[2]!.error).toContain('"no"');
  });

  it('404 for an unknown run, 400 for an unknown format', async () => {
    expect((await app.inject({ url: '/api/v1/runs/nope-nope/events' })).statusCode).toBe(404);
    const bad = await app.inject({ url: `/api/v1/runs/${runId}/events?format=xml` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/format/);
  });
});
