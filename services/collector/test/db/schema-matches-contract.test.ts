import { JOB_EVENT_COLUMNS, JOB_EVENT_DEDUP_KEYS } from '@queuescope/contracts';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../../../test/support/env.js';
import { JOB_EVENT_COLUMN_TYPES, JOB_EVENT_TABLE_COLUMNS, JOB_EVENT_TABLE_DEDUP_KEYS } from '../../src/db/schema.js';
import { useCollector } from '../helper.js';

const { config } = testConfig();

describe('job_events as created in QuestDB', () => {
  const ctx = useCollector(config);

  it('has exactly the contract columns, in contract order, then source, with the designed types', async () => {
    const { rows } = await ctx.db.query<{ column: string; type: string }>(`SELECT "column", "type" FROM table_columns('job_events')`);
    expect(rows.map((r) => r.column)).toEqual([...JOB_EVENT_COLUMNS, 'source']);
    expect([...JOB_EVENT_TABLE_COLUMNS]).toEqual([...JOB_EVENT_COLUMNS, 'source']);
    for (const r of rows) expect(r.type, r.column).toBe(JOB_EVENT_COLUMN_TYPES[r.column as (typeof JOB_EVENT_TABLE_COLUMNS)[number]]);
  });

  it('is a WAL table with dedup on exactly the contract identity keys plus source', async () => {
    const table = await ctx.db.query<{ walEnabled: boolean; dedup: boolean; designatedTimestamp: string }>(
      `SELECT walEnabled, dedup, designatedTimestamp FROM tables() WHERE table_name = 'job_events'`,
    );
    expect(table.rows[0]).toMatchObject({ walEnabled: true, dedup: true, designatedTimestamp: 'ts' });
    const keys = await ctx.db.query<{ column: string }>(`SELECT "column" FROM table_columns('job_events') WHERE upsertKey = true`);
    expect(keys.rows.map((r) => r.column).sort()).toEqual([...JOB_EVENT_DEDUP_KEYS, 'source'].sort());
    expect([...JOB_EVENT_TABLE_DEDUP_KEYS].sort()).toEqual([...JOB_EVENT_DEDUP_KEYS, 'source'].sort());
  });

  it('readyz reports Redis and QuestDB ok', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', redis: 'ok', questdb: 'ok' });
  });
});
