import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../../test/support/env.js';
import { pollQuery, questdbClient } from '../../../../test/support/questdb.js';
import { IlpClient, IlpLines, IlpRejectedError, IlpUnavailableError, parseIlpConf } from '../../src/db/ilp.js';

const { config } = testConfig();
/** Generated rows per property run, and property runs: each run is one transaction read back through PGWire. */
const ROWS = 40;
const RUNS = 30;

interface Row {
  sym: string;
  str: string;
  n: number;
  x: number;
}

// Any text a BullMQ app may put in a job name, worker name, job id or failure reason: every
// Unicode grapheme, ILP's own separators and escapes (space , = " \ newline) and empty strings.
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(' ', ',', '=', '"', '\\', '\n', '\r', 'a', 'é'), maxLength: 12 }),
);
const row = fc.record({
  sym: text,
  str: text,
  n: fc.maxSafeInteger(),
  x: fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
});

describe('ILP client (db/ilp.ts) against QuestDB', () => {
  let db: pg.Client;
  const client = IlpClient.fromConf(config.questdb.ilpConf);
  const table = `ilp_test_${randomUUID().replaceAll('-', '')}`;

  beforeAll(async () => {
    db = await questdbClient(config);
    await db.query(
      `CREATE TABLE ${table} (ts TIMESTAMP, tag SYMBOL, sym SYMBOL, str VARCHAR, n LONG, x DOUBLE) TIMESTAMP(ts) PARTITION BY DAY WAL`,
    );
  });
  afterAll(async () => {
    client.close();
    await db.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await db.end();
  });

  it(`stores generated symbols, strings, longs and doubles exactly as sent (${RUNS} batches of ${ROWS} rows)`, async () => {
    let base = Date.now() * 1000;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: ROWS }), async (rows: Row[]) => {
        const batch = randomUUID();
        const lines = new IlpLines();
        rows.forEach((r, i) =>
          lines
            .row(table)
            .symbol('tag', batch)
            .symbol('sym', r.sym)
            .string('str', r.str)
            .int('n', r.n)
            .float('x', r.x)
            .at(base + i),
        );
        base += rows.length;
        await client.send(lines);
        const stored = await pollQuery<{ sym: string | null; str: string | null; n: number; x: number }>(
          db,
          `SELECT sym, str, n::string AS n, x FROM ${table} WHERE tag = $1 ORDER BY ts`,
          [batch],
          (got) => got.length === rows.length,
        );
        // An empty symbol is left out and reads back as NULL; an empty string is stored as ''.
        expect(stored.map((s) => ({ sym: s.sym ?? '', str: s.str, n: Number(s.n), x: Number(s.x) }))).toEqual(rows);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers a type mismatch with IlpRejectedError naming the column, and stores nothing of that request', async () => {
    const batch = randomUUID();
    const lines = new IlpLines()
      .row(table)
      .symbol('tag', batch)
      .int('n', 1)
      .at(Date.now() * 1000);
    lines
      .row(table)
      .symbol('tag', batch)
      .string('n', 'not a number')
      .at(Date.now() * 1000 + 1);
    const err = await client.send(lines).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IlpRejectedError);
    expect((err as Error).message).toMatch(/column: n\b/);
    await new Promise((r) => setTimeout(r, 1500));
    const { rows } = await db.query(`SELECT count() AS n FROM ${table} WHERE tag = $1`, [batch]);
    expect(Number(rows[0].n)).toBe(0);
  });

  it('fails within its request timeout when nothing answers, naming the address', async () => {
    // A listener that accepts and never replies: what a hung QuestDB looks like to a client.
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const hung = IlpClient.fromConf(`http::addr=127.0.0.1:${port};request_timeout=300;`);
    const started = Date.now();
    const err = await hung.send(new IlpLines().row(table).int('n', 1).at(1)).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toBeInstanceOf(IlpUnavailableError);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    hung.close();
    server.close();
  });

  it('fails within its request timeout when the answer starts and then stalls, and when it is cut off', async () => {
    // Headers and half a body, then nothing: a QuestDB stuck mid-answer. The timeout covers the body too.
    const slowBody = createHttpServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.write('{"message":');
    });
    const cut = createHttpServer((req, res) => {
      res.writeHead(500, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"message":');
      setTimeout(() => req.socket.destroy(), 50);
    });
    for (const server of [slowBody, cut]) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      for (const server of [slowBody, cut]) {
        const port = (server.address() as { port: number }).port;
        const client = IlpClient.fromConf(`http::addr=127.0.0.1:${port};request_timeout=300;`);
        const started = Date.now();
        const err = await client.send(new IlpLines().row(table).int('n', 1).at(1)).catch((e: unknown) => e);
        expect(Date.now() - started).toBeLessThan(3000);
        expect(err).toBeInstanceOf(IlpUnavailableError);
        client.close();
      }
    } finally {
      for (const server of [slowBody, cut]) {
        server.closeAllConnections();
        server.close();
      }
    }
  });

  it('parses the QuestDB client config string and names what is wrong in it', () => {
    expect(parseIlpConf('http::addr=db.local:9100;token=abc;auto_flush=off;')).toMatchObject({
      secure: false,
      host: 'db.local',
      port: 9100,
      authorization: 'Bearer abc',
      timeoutMs: 10_000,
    });
    expect(parseIlpConf('https::addr=db:9000;username=u;password=p;request_timeout=500;')).toMatchObject({
      secure: true,
      authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
      timeoutMs: 500,
    });
    expect(() => parseIlpConf('tcp::addr=x:9009;')).toThrow(/http:: or https::/);
    expect(() => parseIlpConf('http::token=abc;')).toThrow(/addr is required/);
    expect(() => parseIlpConf('http::addr=x:9000;bogus=1;')).toThrow(/unknown key bogus/);
    expect(() => parseIlpConf('http::addr=x:99999;')).toThrow(/port/);
  });

  it('refuses rows it cannot encode before sending anything', () => {
    expect(() => new IlpLines().row(table).int('n', 1.5)).toThrow(/n: 1.5 is not an integer/);
    expect(() => new IlpLines().row(table).int('n', 1).symbol('sym', 'late')).toThrow(/symbols come first/);
    expect(() => new IlpLines().row(table).symbol('sym', 'only').at(1)).toThrow(/no column/);
  });
});
