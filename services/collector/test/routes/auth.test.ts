/**
 * Issue 10, authentication of the collector: with QS_API_TOKEN set, every write route and the live
 * WebSocket answer 401 without the token or with a wrong one, and store nothing; the right token
 * works (as a header; for the WebSocket also as a subprotocol or the qs_token cookie); a foreign
 * page's WebSocket gets 403; read routes stay open; the token reaches no log line. Without the
 * token everything works as before. Write routes are enumerated from the app (onRoute), so a new
 * one is checked without editing this file.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { ingestStream, type Config, type JobEvent } from '@queuescope/contracts';
import { isWrite, loggerOptions } from '@queuescope/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { waitFor } from '../../../../test/support/processes.js';
import { pollQuery, questdbClient } from '../../../../test/support/questdb.js';
import app from '../../src/app.js';
import { LIVE_PATH, TOKEN_COOKIE, TOKEN_PROTOCOL_PREFIX } from '../../src/plugins/auth.js';
import { CLIENT_SUMMARY } from './run-fixture.js';

/** With `/`, `+` and `=`: characters a subprotocol may not carry raw. */
const TOKEN = `tok/${randomBytes(12).toString('hex')}+x=`;
const asProtocol = (token: string): string => `${TOKEN_PROTOCOL_PREFIX}${Buffer.from(token).toString('base64url')}`;
const bearer = { authorization: `Bearer ${TOKEN}` };
/** Every way a request can lack the token. */
const REFUSED: [string, Record<string, string>][] = [
  ['no Authorization header', {}],
  ['another scheme', { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` }],
  ['a wrong token', { authorization: `Bearer ${TOKEN}x` }],
  ['an empty Bearer', { authorization: 'Bearer ' }],
];

interface Built {
  app: FastifyInstance;
  routes: { method: string; url: string }[];
  logs: () => string;
  baseUrl: string;
  wsUrl: string;
}

/** The collector as main.ts builds it (its real logger options, at debug), listening on a free port; its routes as registered. */
async function start(config: Config): Promise<Built> {
  let out = '';
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => ((out += chunk.toString()), done()) });
  const { transport: _pretty, ...logger } = { ...loggerOptions('debug', 'collector'), transport: undefined };
  const server = Fastify({ logger: { ...logger, stream } });
  const routes: Built['routes'] = [];
  server.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  await server.register(fp(app), { config, samplers: false });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = server.server.address() as { port: number };
  return { app: server, routes, logs: () => out, baseUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}${LIVE_PATH}` };
}

/** A route pattern with its parameters filled in. */
const fill = (url: string, runId: string): string => url.replace(/:id\b/g, runId).replace(/:[A-Za-z]+/g, 'x');

interface Upgrade {
  status: number;
  protocol?: string;
  firstMessage?: string;
  body?: string;
  headers?: Record<string, string | string[] | undefined>;
}

/** Open the live WebSocket as a real client would; resolves with the HTTP status (101 once the first message arrived). */
function upgrade(url: string, opts: { protocols?: string[]; headers?: Record<string, string>; origin?: string } = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers, ...(opts.origin ? { origin: opts.origin } : {}) });
    const timer = setTimeout(() => (ws.terminate(), reject(new Error('no answer to the upgrade in time'))), 15_000);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        ws.terminate();
      });
    });
    ws.on('message', (data: Buffer) => {
      clearTimeout(timer);
      resolve({ status: 101, protocol: ws.protocol, firstMessage: data.toString() });
      ws.close();
    });
    ws.on('error', (err) => (clearTimeout(timer), reject(err)));
  });
}

let seq = 0;
const event = (runId: string): JobEvent => ({
  ts: Date.now() * 1000 + (seq++ % 1000),
  run_id: runId,
  queue: 'payment',
  event: 'added',
  job_id: `auth-${seq}`,
  job_name: 'charge',
  attempt: 0,
  worker: 'test:1',
});
const second = (ts: number) => ({
  ts,
  vus: 1,
  requests: 10,
  accepted: 10,
  errors: 0,
  timeouts: 0,
  status4xx: 0,
  status5xx: 0,
  p50Ms: 1,
  p95Ms: 2,
  p99Ms: 3,
  maxMs: 4,
});
const clientSummary = CLIENT_SUMMARY;

describe('collector with QS_API_TOKEN', () => {
  const { config } = testConfig({ QS_API_TOKEN: TOKEN, QS_ALLOWED_ORIGINS: 'https://dash.example.com' });
  let c: Built;
  let db: pg.Client;
  let redis: Redis;
  let runId: string;
  const writes = () => c.routes.filter((r) => isWrite(r.method) && r.url.startsWith('/api/'));
  const inject = (method: string, url: string, headers: Record<string, string>, payload?: object) =>
    c.app.inject({ method: method as 'POST', url, headers, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    c = await start(config);
    db = await questdbClient(config);
    redis = new Redis(config.redisUrl);
    const created = await inject('POST', '/api/v1/runs', bearer, { name: 'auth' });
    expect(created.statusCode).toBe(201);
    runId = created.json<{ id: string }>().id;
  });
  afterAll(async () => {
    await c?.app.close();
    await db?.end();
    redis?.disconnect();
  });

  it('the app has the five known write routes (and any newer one is checked below too)', () => {
    const keys = writes().map((r) => `${r.method} ${r.url}`);
    expect(keys).toEqual(
      expect.arrayContaining([
        'POST /api/v1/events',
        'POST /api/v1/runs',
        'POST /api/v1/runs/:id/finish',
        'POST /api/v1/runs/:id/load-metrics',
        'POST /api/v1/runs/:id/client-summary',
      ]),
    );
  });

  it('every write route without the right token: 401 UNAUTHORIZED with WWW-Authenticate, before the body is validated', async () => {
    for (const route of writes()) {
      for (const [what, headers] of REFUSED) {
        // An invalid body: were the route reached, it would answer 400, not 401.
        const res = await inject(route.method, fill(route.url, runId), headers, { invalid: true });
        const where = `${route.method} ${route.url} with ${what}`;
        expect(res.statusCode, where).toBe(401);
        expect(res.json(), where).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
        expect(res.headers['www-authenticate'], where).toMatch(/^Bearer realm="queuescope"/);
        expect(res.body, where).not.toContain(TOKEN);
      }
    }
  });

  it('every write route with the right token passes the check (the route itself answers)', async () => {
    for (const route of writes()) {
      const res = await inject(route.method, fill(route.url, uniqueRunId('nope')), bearer, { invalid: true });
      expect(res.statusCode, `${route.method} ${route.url}`).not.toBe(401);
      expect(res.statusCode, `${route.method} ${route.url}`).toBeLessThan(500);
    }
  });

  it('POST /api/v1/events: refused requests add nothing to the ingest stream or job_events; the right token stores', async () => {
    const refusedRun = uniqueRunId('refused');
    const okRun = uniqueRunId('ok');
    const stream = ingestStream(config.namespace);
    const before = await redis.xlen(stream);
    for (const [what, headers] of REFUSED)
      expect((await inject('POST', '/api/v1/events', headers, { events: [event(refusedRun)] })).statusCode, what).toBe(401);
    expect(await redis.xlen(stream)).toBe(before);

    const ok = await inject('POST', '/api/v1/events', { authorization: `bearer  ${TOKEN}` }, { events: [event(okRun)] });
    expect(ok.statusCode).toBe(202);
    expect(await redis.xlen(stream)).toBe(before + 1);
    // The accepted event is stored after the refused ones would have been (one stream, in order).
    await pollQuery(db, 'SELECT count() AS n FROM job_events WHERE run_id = $1', [okRun], (r) => r[0]?.n === 1);
    const refused = await db.query<{ n: number }>('SELECT count() AS n FROM job_events WHERE run_id = $1', [refusedRun]);
    expect(refused.rows[0]?.n).toBe(0);
  });

  it('POST /api/v1/runs: refused → no run; the right token → 201', async () => {
    const id = uniqueRunId('refused-run');
    for (const [what, headers] of REFUSED)
      expect((await inject('POST', '/api/v1/runs', headers, { id, name: 'x' })).statusCode, what).toBe(401);
    expect((await c.app.inject({ url: `/api/v1/runs/${id}` })).statusCode).toBe(404);
    expect((await inject('POST', '/api/v1/runs', bearer, { id, name: 'x' })).statusCode).toBe(201);
    // Not left running: the newest running run is every dashboard's "active run".
    expect((await inject('POST', `/api/v1/runs/${id}/finish`, bearer)).statusCode).toBe(200);
  });

  it('load-metrics, client-summary and finish: refused → the run unchanged; the right token → stored', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const run = `/api/v1/runs/${runId}`;
    for (const [what, headers] of REFUSED) {
      expect((await inject('POST', `${run}/load-metrics`, headers, { source: 'builtin', seconds: [second(t0)] })).statusCode, what).toBe(
        401,
      );
      expect((await inject('POST', `${run}/client-summary`, headers, clientSummary)).statusCode, what).toBe(401);
      expect((await inject('POST', `${run}/finish`, headers)).statusCode, what).toBe(401);
    }
    expect((await c.app.inject({ url: run })).json()).toMatchObject({ status: 'running', clientSummary: null, endedAt: null });

    expect((await inject('POST', `${run}/load-metrics`, bearer, { source: 'builtin', seconds: [second(t0 + 1000)] })).statusCode).toBe(202);
    const rows = await pollQuery<{ ts: Date }>(db, 'SELECT ts FROM load_metrics WHERE run_id = $1', [runId], (r) => r.length > 0);
    expect(rows.map((r) => r.ts.getTime())).toEqual([t0 + 1000]);
    expect((await inject('POST', `${run}/client-summary`, bearer, clientSummary)).json()).toMatchObject({ clientSummary });
    expect((await inject('POST', `${run}/finish`, bearer)).json()).toMatchObject({ status: 'finished' });
  });

  it('read routes answer without a token', async () => {
    for (const path of [
      '/healthz',
      '/readyz',
      '/api/v1/runs',
      `/api/v1/runs/${runId}`,
      `/api/v1/runs/${runId}/summary`,
      '/api/v1/ingest/status',
    ]) {
      const res = await c.app.inject({ url: path });
      expect(res.statusCode, path).toBe(200);
    }
    // And no GET route but the live stream asks for one (whatever else it answers).
    for (const route of c.routes.filter((r) => r.method === 'GET' && r.url !== LIVE_PATH)) {
      const res = await c.app.inject({ url: fill(route.url, runId) });
      expect(res.statusCode, route.url).not.toBe(401);
    }
  });

  it('live WebSocket without the right token: 401, as header, subprotocol or cookie', async () => {
    const refused: [string, Parameters<typeof upgrade>[1]][] = [
      ['nothing', {}],
      ['a wrong header', { headers: { authorization: `Bearer ${TOKEN}x` } }],
      ['a wrong subprotocol', { protocols: ['queuescope', asProtocol(`${TOKEN}x`)] }],
      ['a wrong cookie', { headers: { cookie: `${TOKEN_COOKIE}=${encodeURIComponent(`${TOKEN}x`)}` } }],
      ['only the queuescope subprotocol', { protocols: ['queuescope'] }],
    ];
    for (const [what, opts] of refused) {
      const res = await upgrade(c.wsUrl, opts);
      expect(res.status, what).toBe(401);
      expect(JSON.parse(res.body!), what).toMatchObject({ code: 'UNAUTHORIZED' });
      expect(res.headers?.['www-authenticate'], what).toMatch(/^Bearer/);
    }
    // The refused sockets are closed by the server, not left half-open (they would hold server.close()).
    const open = () => new Promise<number>((resolve) => c.app.server.getConnections((_err, n) => resolve(n)));
    await waitFor('the refused upgrade sockets closed', async () => (await open()) === 0, 5000, 50);
    // A plain GET of the path (the dashboard's probe after a refused socket) is refused the same way.
    expect((await fetch(`${c.baseUrl}${LIVE_PATH}`)).status).toBe(401);
  });

  it('live WebSocket with the token as a header, a subprotocol, or the qs_token cookie: open, backfill first, protocol queuescope', async () => {
    const accepted: [string, Parameters<typeof upgrade>[1]][] = [
      ['header', { headers: bearer }],
      ['subprotocol', { protocols: ['queuescope', asProtocol(TOKEN)] }],
      ['cookie', { headers: { cookie: `theme=dark; ${TOKEN_COOKIE}=${encodeURIComponent(TOKEN)}` } }],
    ];
    for (const [what, opts] of accepted) {
      const res = await upgrade(c.wsUrl, opts);
      expect(res.status, what).toBe(101);
      expect(JSON.parse(res.firstMessage!).type, what).toBe('backfill');
      if (opts?.protocols) expect(res.protocol, what).toBe('queuescope');
    }
  });

  it('live WebSocket from a foreign Origin: 403 even with the token; its own origin and QS_ALLOWED_ORIGINS pass', async () => {
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1.evil.example`, 'http://localhost:1']) {
      const res = await upgrade(c.wsUrl, { headers: bearer, origin });
      expect(res.status, origin).toBe(403);
      expect(JSON.parse(res.body!), origin).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect((await upgrade(c.wsUrl, { headers: bearer, origin: c.baseUrl })).status).toBe(101);
    expect((await upgrade(c.wsUrl, { headers: bearer, origin: 'https://dash.example.com' })).status).toBe(101);
  });

  it('the token appears in no log line', () => {
    const logs = c.logs();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(TOKEN);
    expect(logs).not.toContain(asProtocol(TOKEN));
    expect(logs).not.toContain(encodeURIComponent(TOKEN));
  });
});

describe('collector without QS_API_TOKEN', () => {
  const { config } = testConfig({ QS_API_TOKEN: '' });
  let c: Built;
  beforeAll(async () => void (c = await start(config)));
  afterAll(() => c?.app.close());

  it('write routes and the live WebSocket work without a token, as before', async () => {
    const created = await c.app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name: 'open' } });
    expect(created.statusCode).toBe(201);
    const events = await c.app.inject({ method: 'POST', url: '/api/v1/events', payload: { events: [event(created.json().id)] } });
    expect(events.statusCode).toBe(202);
    expect((await c.app.inject({ method: 'POST', url: `/api/v1/runs/${created.json().id}/finish` })).statusCode).toBe(200);
    const live = await upgrade(c.wsUrl);
    expect(live.status).toBe(101);
    expect(JSON.parse(live.firstMessage!).type).toBe('backfill');
  });

  it('the live WebSocket still refuses a foreign Origin', async () => {
    expect((await upgrade(c.wsUrl, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await upgrade(c.wsUrl, { origin: c.baseUrl })).status).toBe(101);
  });
});
