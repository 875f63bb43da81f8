/**
 * Issue 12, run-time concurrency through the collector: `PUT` / `GET /api/v1/queues/:queue/concurrency`
 * and `GET /api/v1/runs/:id/concurrency-changes`, on real Redis and QuestDB. Bad input gets a 400
 * naming the field and changes nothing; a change is set in Redis, published to the workers and
 * recorded in QuestDB (who, old → new); the same value again records nothing; a QuestDB that cannot
 * record the change gets 503 and the change is reverted; a Redis that is gone gets 503. The outages
 * are real lost connections, through a TCP relay in front of the real servers.
 */
import { randomBytes } from 'node:crypto';
import { concurrencyChannel, concurrencyKeys, type ConcurrencyChanges, type ConcurrencySetting, type Run } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { waitFor } from '../../../../test/support/processes.js';
import { sample } from '../../../../test/support/prometheus.js';
import { pollQuery, questdbClient } from '../../../../test/support/questdb.js';
import { TcpRelay } from '../../../../test/support/tcp-relay.js';
import { CONCURRENCY_CHANGE_COLUMNS, CONCURRENCY_CHANGE_COLUMN_TYPES } from '../../src/db/schema.js';
import { build } from '../helper.js';

const TOKEN = randomBytes(24).toString('base64url');
const bearer = { authorization: `Bearer ${TOKEN}` };
const MAX = 40;

interface ChangeRow {
  queue: string;
  old_concurrency: number;
  new_concurrency: number;
  actor: string;
  run_id: string | null;
  reason: string | null;
}
const CHANGES_SQL = `SELECT queue, old_concurrency, new_concurrency, actor, run_id, reason FROM concurrency_changes WHERE namespace = $1 ORDER BY ts`;

/** A subscriber on the workers' channel: every message it got, in order. */
async function listen(redisUrl: string, channel: string): Promise<{ messages: string[]; close: () => void }> {
  const sub = new Redis(redisUrl);
  const messages: string[] = [];
  sub.on('message', (_channel: string, message: string) => messages.push(message));
  await sub.subscribe(channel);
  return { messages, close: () => sub.disconnect() };
}

describe('concurrency API (QS_API_TOKEN set, WORKER_MAX_CONCURRENCY=40)', () => {
  const { config } = testConfig({ QS_API_TOKEN: TOKEN, WORKER_MAX_CONCURRENCY: String(MAX) });
  let app: FastifyInstance;
  let db: pg.Client;
  let redis: Redis;
  let channel: Awaited<ReturnType<typeof listen>>;
  const put = (queue: string, payload: unknown, headers: Record<string, string> = bearer) =>
    app.inject({ method: 'PUT', url: `/api/v1/queues/${queue}/concurrency`, headers, payload: payload as object });
  const get = (queue: string) => app.inject({ url: `/api/v1/queues/${queue}/concurrency` });
  const setting = (queue: string) => redis.get(concurrencyKeys(config.namespace, queue).setting);

  beforeAll(async () => {
    app = await build(config);
    db = await questdbClient(config);
    redis = new Redis(config.redisUrl);
    channel = await listen(config.redisUrl, concurrencyChannel(config.namespace));
  });
  afterAll(async () => {
    channel?.close();
    redis?.disconnect();
    await db?.end();
    await app?.close();
  });

  it('concurrency_changes is a WAL table with the designed columns and ts as designated timestamp', async () => {
    const { rows } = await db.query<{ column: string; type: string }>(`SELECT "column", "type" FROM table_columns('concurrency_changes')`);
    expect(rows.map((r) => r.column)).toEqual([...CONCURRENCY_CHANGE_COLUMNS]);
    for (const r of rows)
      expect(r.type, r.column).toBe(CONCURRENCY_CHANGE_COLUMN_TYPES[r.column as (typeof CONCURRENCY_CHANGE_COLUMNS)[number]]);
    const table = await db.query(
      `SELECT walEnabled, designatedTimestamp, partitionBy FROM tables() WHERE table_name = 'concurrency_changes'`,
    );
    expect(table.rows[0]).toMatchObject({ walEnabled: true, designatedTimestamp: 'ts', partitionBy: 'DAY' });
  });

  it('GET before any change: the profile value, source profile, the max, no workers', async () => {
    const res = await get('webhook');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ queue: 'webhook', concurrency: 8, source: 'profile', max: MAX, workers: [] });
  });

  it('bad input: 400 naming the field (queue, 0, max+1, non-integer, string, missing, unknown field); 401 without the token; nothing changes', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['nope', { concurrency: 3 }, /^params\/queue /],
      ['webhook', { concurrency: 0 }, /^body\/concurrency must be >= 1/],
      [
        'webhook',
        { concurrency: MAX + 1 },
        new RegExp(`^body/concurrency must be at most ${MAX} \\(WORKER_MAX_CONCURRENCY\\), got ${MAX + 1}`),
      ],
      ['webhook', { concurrency: 2.5 }, /^body\/concurrency must be integer/],
      ['webhook', { concurrency: '5' }, /^body\/concurrency must be integer/],
      ['webhook', { concurrency: -3 }, /^body\/concurrency must be >= 1/],
      ['webhook', {}, /^body must have required property 'concurrency'/],
      ['webhook', { concurrency: 3, actor: 'a b' }, /^body\/actor must match pattern/],
      ['webhook', { concurrency: 3, runId: '../x' }, /^body\/runId must match pattern/],
      ['webhook', { concurrency: 3, extra: 1 }, /^body must NOT have additional properties/],
    ];
    for (const [queue, payload, message] of cases) {
      const res = await put(queue, payload);
      const what = `${queue} ${JSON.stringify(payload)}`;
      expect(res.statusCode, what).toBe(400);
      expect(res.json().message, what).toMatch(message);
      expect(res.json().statusCode, what).toBe(400);
    }
    expect((await get('nope')).statusCode).toBe(400);
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}x` }] as Record<string, string>[]) {
      const res = await put('webhook', { concurrency: 3 }, headers);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    expect(await setting('webhook')).toBeNull();
    expect(channel.messages).toEqual([]);
  });

  it('PUT sets Redis, tells the workers, records who/old/new in QuestDB and answers the new setting; GET and /metrics agree', async () => {
    const runId = uniqueRunId('conc');
    const res = await put('webhook', { concurrency: 12, actor: 'tune', runId, reason: 'waiting: Little says 12' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      queue: 'webhook',
      concurrency: 12,
      source: 'setting',
      max: MAX,
      workers: [],
    } satisfies ConcurrencySetting);
    expect(await setting('webhook')).toBe('12');
    await waitFor('the change published', () => channel.messages.length === 1, 5000, 20);
    expect(channel.messages).toEqual(['webhook']);
    const rows = await pollQuery<ChangeRow & Record<string, unknown>>(db, CHANGES_SQL, [config.namespace], (r) => r.length === 1);
    expect(rows).toEqual([
      { queue: 'webhook', old_concurrency: 8, new_concurrency: 12, actor: 'tune', run_id: runId, reason: 'waiting: Little says 12' },
    ]);
    expect((await get('webhook')).json()).toMatchObject({ concurrency: 12, source: 'setting' });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(sample(metrics, 'queuescope_queue_concurrency', { queue: 'webhook' })).toBe(12);
    expect(sample(metrics, 'queuescope_queue_concurrency', { queue: 'payment' })).toBe(5);
  });

  it('the same value again is a no-op: 200, nothing published, nothing recorded', async () => {
    const published = channel.messages.length;
    const res = await put('webhook', { concurrency: 12 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ concurrency: 12, source: 'setting' });
    // A later change is visible only after every earlier commit of the table: had the no-op been
    // recorded, it would show before this one.
    expect((await put('webhook', { concurrency: 13 })).statusCode).toBe(200);
    const rows = await pollQuery<ChangeRow & Record<string, unknown>>(db, CHANGES_SQL, [config.namespace], (r) => r.length >= 2);
    expect(rows.map((r) => [r.old_concurrency, r.new_concurrency, r.actor])).toEqual([
      [8, 12, 'tune'],
      [12, 13, 'api'],
    ]);
    expect(channel.messages.length).toBe(published + 1);
  });

  it('a run lists the changes tagged with it or made while it ran, and no other; 404 for an unknown run', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/runs', headers: bearer, payload: { name: 'concurrency changes' } });
    const run = created.json<Run>();
    expect((await put('payment', { concurrency: 3, actor: 'cli' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: `/api/v1/runs/${run.id}/finish`, headers: bearer })).statusCode).toBe(200);
    expect((await put('payment', { concurrency: 4 })).statusCode).toBe(200);
    expect((await put('notification', { concurrency: 7, runId: run.id, actor: 'tune', reason: 'after the run, tagged' })).statusCode).toBe(
      200,
    );
    // Every change of this namespace stored (the newest is visible, so the older are too).
    await pollQuery(db, CHANGES_SQL, [config.namespace], (r) => r.length === 5);

    const res = await app.inject({ url: `/api/v1/runs/${run.id}/concurrency-changes` });
    expect(res.statusCode).toBe(200);
    const { changes } = res.json<ConcurrencyChanges>();
    expect(changes.map((c) => ({ queue: c.queue, from: c.from, to: c.to, actor: c.actor, runId: c.runId, reason: c.reason }))).toEqual([
      { queue: 'payment', from: 5, to: 3, actor: 'cli', runId: null, reason: null },
      { queue: 'notification', from: 10, to: 7, actor: 'tune', runId: run.id, reason: 'after the run, tagged' },
    ]);
    for (const c of changes) expect(Date.parse(c.ts)).toBeGreaterThanOrEqual(Date.parse(run.startedAt));

    const unknown = uniqueRunId('nope');
    const missing = await app.inject({ url: `/api/v1/runs/${unknown}/concurrency-changes` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: `run '${unknown}' not found` });
  });
});

describe('concurrency API when QuestDB cannot record the change', () => {
  let relay: TcpRelay;
  let app: FastifyInstance;
  let redis: Redis;
  let db: pg.Client;
  let config: ReturnType<typeof testConfig>['config'];

  beforeAll(async () => {
    const base = testConfig().config;
    relay = new TcpRelay(base.questdb.pg);
    const port = await relay.listen();
    config = testConfig({ QUESTDB_PG: `127.0.0.1:${port}` }).config;
    app = await build(config);
    redis = new Redis(config.redisUrl);
    db = await questdbClient(base);
  });
  afterAll(async () => {
    relay?.restore();
    await app?.close();
    await relay?.close();
    redis?.disconnect();
    await db?.end();
  });

  it('answers 503 with a reason and reverts Redis (nothing half-applied); works again once QuestDB is back', async () => {
    const key = concurrencyKeys(config.namespace, 'webhook').setting;
    const put = (concurrency: number) =>
      app.inject({ method: 'PUT', url: '/api/v1/queues/webhook/concurrency', payload: { concurrency, actor: 'test' } });
    expect((await put(9)).statusCode).toBe(200);
    expect(await redis.get(key)).toBe('9');

    relay.cut();
    const refused = await put(20);
    expect(refused.statusCode, refused.body).toBe(503);
    expect(refused.json()).toEqual({
      statusCode: 503,
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'questdb unavailable: the change could not be recorded, so it was not applied',
    });
    expect(await redis.get(key)).toBe('9');
    expect((await app.inject({ url: '/api/v1/queues/webhook/concurrency' })).json()).toMatchObject({ concurrency: 9 });

    relay.restore();
    expect((await put(20)).statusCode).toBe(200);
    expect(await redis.get(key)).toBe('20');
    const rows = await pollQuery<{ old_concurrency: number; new_concurrency: number }>(
      db,
      `SELECT old_concurrency, new_concurrency FROM concurrency_changes WHERE namespace = $1 ORDER BY ts`,
      [config.namespace],
      (r) => r.length === 2,
    );
    // The refused change left no row: 8 → 9, then 9 → 20.
    expect(rows.map((r) => [r.old_concurrency, r.new_concurrency])).toEqual([
      [8, 9],
      [9, 20],
    ]);
  });
});

describe('concurrency API when Redis is gone', () => {
  let relay: TcpRelay;
  let app: FastifyInstance;

  beforeAll(async () => {
    const url = new URL(testConfig().config.redisUrl);
    relay = new TcpRelay({ host: url.hostname, port: Number(url.port || 6379) });
    const port = await relay.listen();
    const { config } = testConfig({ REDIS_URL: `redis://127.0.0.1:${port}` });
    app = await build(config);
  });
  afterAll(async () => {
    relay?.restore();
    await app?.close();
    await relay?.close();
  });

  it('PUT and GET answer 503 naming Redis at once, and work again when it is back', async () => {
    const put = () => app.inject({ method: 'PUT', url: '/api/v1/queues/payment/concurrency', payload: { concurrency: 2 } });
    relay.cut();
    await waitFor('the collector to notice Redis is gone', () => app.redis.status !== 'ready', 10_000, 20);
    const started = Date.now();
    const refused = await put();
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toEqual({ statusCode: 503, code: 'DEPENDENCY_UNAVAILABLE', message: 'redis unavailable: not connected' });
    expect((await app.inject({ url: '/api/v1/queues/payment/concurrency' })).statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(1000);

    relay.restore();
    await waitFor('the collector to reconnect', () => app.redis.status === 'ready', 15_000, 50);
    const res = await put();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ concurrency: 2, source: 'setting' });
  });
});
