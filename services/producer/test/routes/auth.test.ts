/**
 * Issue 10, authentication of the producer: with PRODUCER_API_TOKEN set, every write route answers
 * 401 without the token or with a wrong one and enqueues nothing; the right token enqueues; health
 * routes stay open. Without the token everything works as before.
 * Write routes are enumerated from the app (onRoute), so a new one is checked without editing this file.
 */
import { randomBytes } from 'node:crypto';
import { QUEUE_NAMES, queueKeys, type Config } from '@queuescope/contracts';
import { isWrite } from '@queuescope/service-kit';
import { Queue } from 'bullmq';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../../test/support/env.js';
import { DEMO_REQUESTS } from '../../../../test/support/stack.js';
import app, { serverOptions } from '../../src/app.js';

const TOKEN = `tok/${randomBytes(12).toString('hex')}+x=`;
const bearer = { authorization: `Bearer ${TOKEN}` };
const REFUSED: [string, Record<string, string>][] = [
  ['no Authorization header', {}],
  ['another scheme', { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` }],
  ['a wrong token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
  ['the token without a scheme', { authorization: TOKEN }],
];

/** A valid body per write route pattern, so the right token can show the route works. */
const VALID: Record<string, { url: string; body: object }> = {
  'POST /api/v1/queues/:queue/jobs': { url: '/api/v1/queues/payment/jobs', body: { name: 'charge', data: { n: 1 } } },
  ...Object.fromEntries(Object.values(DEMO_REQUESTS).map((r) => [`POST ${r.path}`, { url: r.path, body: r.body }])),
};

interface Built {
  app: FastifyInstance;
  routes: { method: string; url: string }[];
}

/** The producer as main.ts builds it (its server options), with its routes as registered. */
async function start(config: Config): Promise<Built> {
  const server = Fastify({ ...serverOptions(config), logger: false });
  const routes: Built['routes'] = [];
  server.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  await server.register(fp(app), { config });
  await server.ready();
  return { app: server, routes };
}

/** Jobs in every queue of the config's namespace, in any state. */
async function jobCount(config: Config): Promise<number> {
  let n = 0;
  for (const name of QUEUE_NAMES) {
    const q = new Queue(name, {
      connection: { url: config.redisUrl },
      prefix: queueKeys(config.namespace, name).bullPrefix,
      skipMetasUpdate: true,
    });
    const counts = await q.getJobCounts();
    await q.close();
    n += Object.values(counts).reduce((a, b) => a + b, 0);
  }
  return n;
}

describe('producer with PRODUCER_API_TOKEN', () => {
  const { config } = testConfig({ PRODUCER_API_TOKEN: TOKEN });
  let p: Built;
  const writes = () => p.routes.filter((r) => isWrite(r.method) && r.url.startsWith('/api/'));
  const post = (url: string, headers: Record<string, string>, body: object) =>
    p.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });

  beforeAll(async () => void (p = await start(config)));
  afterAll(() => p?.app.close());

  it('has the four known write routes', () => {
    expect(writes().map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(Object.keys(VALID)));
  });

  it('every write route without the right token: 401 UNAUTHORIZED with WWW-Authenticate, and nothing enqueued', async () => {
    const before = await jobCount(config);
    for (const route of writes()) {
      const valid = VALID[`${route.method} ${route.url}`];
      const url = valid?.url ?? route.url.replace(/:[A-Za-z]+/g, 'payment');
      for (const [what, headers] of REFUSED) {
        const res = await post(url, headers, valid?.body ?? {});
        const where = `${route.method} ${route.url} with ${what}`;
        expect(res.statusCode, where).toBe(401);
        expect(res.json(), where).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
        expect(res.headers['www-authenticate'], where).toMatch(/^Bearer realm="queuescope"/);
        expect(res.body, where).not.toContain(TOKEN);
      }
    }
    expect(await jobCount(config)).toBe(before);
  });

  it('every write route with the right token enqueues one job', async () => {
    for (const route of writes()) {
      const key = `${route.method} ${route.url}`;
      const valid = VALID[key];
      const before = await jobCount(config);
      if (!valid) {
        // A route this table does not know yet: at least the token check lets it through.
        const res = await post(route.url.replace(/:[A-Za-z]+/g, 'payment'), bearer, {});
        expect(res.statusCode, key).not.toBe(401);
        continue;
      }
      const res = await post(valid.url, bearer, valid.body);
      expect(res.statusCode, key).toBe(202);
      expect(await jobCount(config), key).toBe(before + 1);
    }
  });

  it('health routes answer without a token', async () => {
    expect((await p.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await p.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });
});

describe('producer without PRODUCER_API_TOKEN', () => {
  const { config } = testConfig({ PRODUCER_API_TOKEN: '' });
  let p: Built;
  beforeAll(async () => void (p = await start(config)));
  afterAll(() => p?.app.close());

  it('enqueues without a token, as before', async () => {
    const before = await jobCount(config);
    const res = await p.app.inject({ method: 'POST', url: '/api/v1/payments', payload: DEMO_REQUESTS.payment.body });
    expect(res.statusCode).toBe(202);
    expect(await jobCount(config)).toBe(before + 1);
  });
});
