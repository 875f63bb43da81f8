/**
 * Dead letters end to end (issue 10, "Dependencies down"): what the capture cannot store is moved
 * aside with the reason, counted in `/metrics` and `/api/v1/ingest/status`, listed by
 * `GET /api/v1/dead-letters` and by `npm run dead-letters`, and put back by
 * `npm run dead-letters -- --replay`. Real Redis, real QuestDB and a real collector; the one failure
 * QuestDB will not produce for rows that pass the contract, a 400 for one row, comes from a relay
 * in front of QuestDB's ILP endpoint that refuses writes holding a marker while `refusing` is set
 * and forwards everything else (STYLE R12: mock only the failure you cannot produce).
 */
import { createServer, type Server } from 'node:http';
import { deadLetterKey, ingestStream, queueKeys, type DeadLettersPage, type JobEvent } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { spawnScript } from '../../../../test/support/processes.js';
import { pollQuery, questdbClient } from '../../../../test/support/questdb.js';
import { build } from '../helper.js';
import { sample } from '../../../../test/support/prometheus.js';

const MARKER = `refuse-${Date.now()}`;
const REFUSAL = 'cast error from protocol type: FLOAT to column type: INT, column: attempt';

/** QuestDB's HTTP port, with writes holding MARKER refused (HTTP 400, QuestDB's JSON error) while `refusing`. */
class RefusingRelay {
  refusing = true;
  private readonly server: Server;
  constructor(private readonly target: string) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (this.refusing && body.includes(MARKER)) {
          res.writeHead(400, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ code: 'invalid', message: REFUSAL, line: 1, errorId: 'x' }));
        }
        fetch(`http://${this.target}${req.url}`, { method: req.method, headers: { 'content-type': 'text/plain' }, body }).then(
          async (upstream) => {
            res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
            res.end(Buffer.from(await upstream.arrayBuffer()));
          },
          () => res.destroy(),
        );
      });
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('dead letters: counted, listed and replayed', () => {
  const runId = uniqueRunId('dead');
  let relay: RefusingRelay;
  let env: Record<string, string>;
  let config: ReturnType<typeof testConfig>['config'];
  let app: FastifyInstance;
  let db: pg.Client;
  let redis: Redis;
  let ingest: string;
  let payment: string;
  let malformedId: string;
  let ts = Date.now() * 1000;

  const event = (overrides: Partial<JobEvent>): JobEvent => ({
    ts: ts++,
    run_id: runId,
    queue: 'payment',
    event: 'completed',
    job_id: 'j',
    job_name: 'charge',
    attempt: 1,
    worker: 'h:1',
    ...overrides,
  });
  const list = async (query = ''): Promise<DeadLettersPage> => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/dead-letters${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<DeadLettersPage>();
  };
  const rowsSql = `SELECT job_id, source FROM job_events WHERE run_id = $1 ORDER BY job_id`;

  beforeAll(async () => {
    const base = testConfig();
    relay = new RefusingRelay(base.config.questdb.http);
    const addr = await relay.listen();
    ({ config, env } = testConfig({ QS_NAMESPACE: base.config.namespace, QUESTDB_ILP_CONF: `http::addr=${addr};request_timeout=5000;` }));
    app = await build(config);
    db = await questdbClient(config);
    redis = new Redis(config.redisUrl);
    ingest = ingestStream(config.namespace);
    payment = queueKeys(config.namespace, 'payment').events;
  });
  afterAll(async () => {
    await app?.close();
    await db?.end();
    await redis?.quit();
    await relay?.close();
  });

  it('moves a row QuestDB refuses aside with its reason, stores the rest of the batch, and counts it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: { events: [event({ job_id: 'a-kept' }), event({ job_id: MARKER }), event({ job_id: 'b-kept' })] },
    });
    expect(res.statusCode).toBe(202);
    await pollQuery(db, rowsSql, [runId], (r) => r.length === 2);
    expect((await db.query(rowsSql, [runId])).rows).toEqual([
      { job_id: 'a-kept', source: 'api' },
      { job_id: 'b-kept', source: 'api' },
    ]);

    const page = await list();
    expect(page.total).toBe(1);
    expect(page.streams).toContainEqual({ stream: ingest, deadLetters: 1 });
    expect(page.entries).toEqual([
      {
        stream: ingest,
        id: expect.stringMatching(/^\d+-\d+$/),
        at: expect.any(Number),
        kind: 'refused-row',
        reason: REFUSAL,
        source: 'api',
        event: expect.objectContaining({ job_id: MARKER, run_id: runId }),
      },
    ]);

    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(metrics, 'queuescope_dead_letters', { stream: ingest })).toBe(1);
    expect(sample(metrics, 'queuescope_dead_letters', { stream: payment })).toBe(0);
    expect(sample(metrics, 'queuescope_dead_letters_moved_total', { kind: 'refused' })).toBe(1);
    expect(sample(metrics, 'queuescope_dead_letters_moved_total', { kind: 'malformed' })).toBe(0);

    const status = (await app.inject({ method: 'GET', url: '/api/v1/ingest/status' })).json();
    expect(status.deadLetters).toEqual({ total: 1, streams: [{ stream: ingest, deadLetters: 1 }], moved: { refused: 1, malformed: 0 } });
    expect(status.capture.deadLetters).toBe(1);
  });

  it('moves an ingest entry that does not decode aside, as it was', async () => {
    malformedId = (await redis.xadd(ingest, '*', 'v', '1', 'e', '{not json'))!;
    await expect.poll(async () => (await list()).total, { timeout: 15_000 }).toBe(2);
    const entry = (await list()).entries.find((e) => e.kind === 'malformed-entry');
    expect(entry).toMatchObject({
      stream: ingest,
      sourceId: malformedId,
      reason: 'field e is not JSON',
      fields: ['v', '1', 'e', '{not json'],
    });
    // The gauge is sampled (Redis XLEN), so it may trail the listing by a sampling interval.
    const metrics = async (): Promise<string> => (await app.inject({ method: 'GET', url: '/metrics' })).body;
    await expect.poll(async () => sample(await metrics(), 'queuescope_dead_letters', { stream: ingest }), { timeout: 10_000 }).toBe(2);
    expect(sample(await metrics(), 'queuescope_dead_letters_moved_total', { kind: 'malformed' })).toBe(1);
  });

  it('lists at most `limit` entries, and refuses a limit out of bounds naming it', async () => {
    const one = await list('?limit=1');
    expect(one.total).toBe(2);
    expect(one.entries).toHaveLength(1);
    for (const limit of ['0', '1001', 'many']) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/dead-letters?limit=${limit}` });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/^querystring\/limit /);
    }
  });

  it('`npm run dead-letters` lists them; `-- --replay` puts each back once the cause is gone, captured rows as captured', async () => {
    // A row QuestDB refused earlier on a BullMQ stream (the capture's own format): it must come back as `capture`.
    const captured = event({ job_id: 'c-captured', event: 'active', wait_ms: 3 });
    await redis.xadd(deadLetterKey(payment), '*', 'reason', 'refused earlier', 'source', 'capture', 'event', JSON.stringify(captured));

    const listing = spawnScript('scripts/dead-letters.ts', env);
    expect(await listing.exited, listing.output()).toBe(0);
    expect(listing.output()).toContain(`${deadLetterKey(ingest)}: 2`);
    expect(listing.output()).toContain(`${deadLetterKey(payment)}: 1`);
    expect(listing.output()).toContain(REFUSAL);
    expect(listing.output()).toContain('3 dead letters');

    relay.refusing = false;
    // One stream only first: the others stay.
    const one = spawnScript('scripts/dead-letters.ts', env, ['--replay', '--stream', payment]);
    expect(await one.exited, one.output()).toBe(0);
    expect(one.output()).toContain('1 replayed, 0 left in place');
    expect(await redis.xlen(deadLetterKey(payment))).toBe(0);
    expect(await redis.xlen(deadLetterKey(ingest))).toBe(2);

    const all = spawnScript('scripts/dead-letters.ts', env, ['--replay']);
    expect(await all.exited, all.output()).toBe(0);
    expect(all.output()).toContain('2 replayed, 0 left in place');

    // The refused row is stored as the API's, the captured one as captured; each exactly once.
    const rows = await pollQuery(db, rowsSql, [runId], (r) => r.length === 4);
    expect(rows).toEqual([
      { job_id: 'a-kept', source: 'api' },
      { job_id: 'b-kept', source: 'api' },
      { job_id: 'c-captured', source: 'capture' },
      { job_id: MARKER, source: 'api' },
    ]);
    // The malformed entry went back to its stream as it was, and (still malformed) aside again.
    await expect.poll(async () => (await list()).entries.map((e) => e.kind), { timeout: 15_000 }).toEqual(['malformed-entry']);
    const again = (await list()).entries[0]!;
    expect(again.fields).toEqual(['v', '1', 'e', '{not json']);
    expect(again.sourceId).not.toBe(malformedId);
  });

  it('answers 503 naming Redis at once while Redis is away: listing, ingest status, readyz', async () => {
    const down = await build(testConfig().config);
    try {
      down.redis.disconnect();
      for (const url of ['/api/v1/dead-letters', '/api/v1/ingest/status']) {
        const started = Date.now();
        const res = await down.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(503);
        // (Right after disconnect() ioredis may still say `ready`; the command then fails as a lost connection.)
        expect(res.json(), url).toEqual({
          statusCode: 503,
          code: 'DEPENDENCY_UNAVAILABLE',
          message: expect.stringMatching(/^redis unavailable: (not connected|connection lost)$/),
        });
        expect(Date.now() - started, url).toBeLessThan(1000);
      }
      const ready = await down.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({
        status: 'unavailable',
        redis: expect.stringMatching(/^(not connected|connection lost)$/),
        questdb: 'ok',
      });
    } finally {
      await down.close();
    }
  });
});
