import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { bearerAuth, errorHandler, isAllowedOrigin, isWrite, loggerOptions, parseBearer, tokenMatcher } from '../src/index.js';

describe('parseBearer', () => {
  it.each([
    ['Bearer abc.DEF-123_~+/=', { token: 'abc.DEF-123_~+/=' }],
    ['bearer abc', { token: 'abc' }],
    ['BEARER   abc  ', { token: 'abc' }],
    [undefined, 'missing'],
    ['', 'missing'],
    ['   ', 'missing'],
    ['Basic dXNlcjpwYXNz', 'scheme'],
    ['Bearer', 'scheme'],
    ['Bearer ', 'scheme'],
    ['Bearer a b', 'scheme'],
    ['Bearerabc', 'scheme'],
    ['abc', 'scheme'],
    ['Bearer a=b', 'scheme'],
    ['Bearer ab==', { token: 'ab==' }],
  ])('%j → %j', (header, expected) => {
    expect(parseBearer(header)).toEqual(expected);
  });
});

describe('tokenMatcher', () => {
  const matches = tokenMatcher('s3cret-token-0123456789');

  it('matches only the exact token', () => {
    expect(matches('s3cret-token-0123456789')).toBe(true);
    for (const wrong of ['', 's3cret-token-012345678', 's3cret-token-01234567890', 'S3cret-token-0123456789', 's3cret-token-0123456789 '])
      expect(matches(wrong), JSON.stringify(wrong)).toBe(false);
  });

  it('takes no longer for a long shared prefix than for a wrong first character (both compare 32-byte digests)', () => {
    // A coarse check that would catch an early-exit string compare on a long secret.
    const secret = 'x'.repeat(100_000);
    const m = tokenMatcher(secret);
    const time = (given: string): number => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 50; i++) m(given);
      return Number(process.hrtime.bigint() - t0);
    };
    const prefix = `${'x'.repeat(99_999)}y`;
    const first = `y${'x'.repeat(99_999)}`;
    time(prefix);
    time(first);
    const samples = Array.from({ length: 5 }, () => time(prefix) / time(first)).sort((a, b) => a - b);
    expect(samples[2]).toBeGreaterThan(1 / 3);
    expect(samples[2]).toBeLessThan(3);
  });
});

describe('isWrite', () => {
  it('reads are GET, HEAD, OPTIONS; every other method writes', () => {
    expect(['GET', 'HEAD', 'OPTIONS'].map(isWrite)).toEqual([false, false, false]);
    expect(['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND'].map(isWrite)).toEqual([true, true, true, true, true]);
  });
});

describe('isAllowedOrigin', () => {
  it.each([
    ['http://127.0.0.1:3001', '127.0.0.1:3001', [], true],
    ['https://dash.example.com', 'dash.example.com', [], true],
    ['https://dash.example.com', 'dash.example.com:443', [], true],
    ['http://localhost:5173', 'localhost:5173', [], true],
    ['http://127.0.0.1:3002', '127.0.0.1:3001', [], false],
    ['https://evil.example', '127.0.0.1:3001', [], false],
    ['http://127.0.0.1:3001.evil.example', '127.0.0.1:3001', [], false],
    ['null', '127.0.0.1:3001', [], false],
    ['file://', '127.0.0.1:3001', [], false],
    ['not a url', '127.0.0.1:3001', [], false],
    ['https://evil.example', undefined, [], false],
    ['https://grafana.example.com', '127.0.0.1:3001', ['https://grafana.example.com'], true],
    ['https://grafana.example.com:8443', '127.0.0.1:3001', ['https://grafana.example.com'], false],
    ['http://grafana.example.com', '127.0.0.1:3001', ['https://grafana.example.com'], false],
  ] as const)('%s to host %s (allowed %j) → %s', (origin, host, allowed, expected) => {
    expect(isAllowedOrigin(origin, host, allowed)).toBe(expected);
  });
});

describe('bearerAuth plugin', () => {
  const build = async (token: string | null) => {
    const app = Fastify({ logger: false });
    await app.register(errorHandler);
    await app.register(bearerAuth, {
      token,
      variable: 'TEST_TOKEN',
      guardedGets: ['/api/v1/live'],
      otherCredentials: () => ['from-cookie-0123456789'],
    });
    app.post('/api/v1/things', async () => ({ ok: true }));
    app.post('/outside', async () => ({ ok: true }));
    app.get('/api/v1/things', async () => ({ ok: true }));
    app.get('/api/v1/live', async () => ({ ok: true }));
    await app.ready();
    return app;
  };

  it('guards writes under /api/ and the listed GETs; other credentials count for those GETs only', async () => {
    const app = await build('right-token-0123456789');
    const ask = (method: 'GET' | 'POST', url: string, authorization?: string) =>
      app.inject({ method, url, headers: authorization ? { authorization } : {} });
    const missing = await ask('POST', '/api/v1/things');
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({
      statusCode: 401,
      code: 'UNAUTHORIZED',
      message: 'this request needs the TEST_TOKEN token: send Authorization: Bearer <token>',
    });
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="queuescope"');
    const wrong = await ask('POST', '/api/v1/things', 'Bearer wrong-token-0123456789');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="queuescope", error="invalid_token"');
    expect((await ask('POST', '/api/v1/things', 'Basic abc')).json().message).toMatch(/Bearer scheme/);
    expect((await ask('POST', '/api/v1/things', 'Bearer right-token-0123456789')).statusCode).toBe(200);
    // Percent-encoded spelling of the same route: still the same route, still guarded.
    expect((await ask('POST', '/api/v1/%74hings')).statusCode).toBe(401);
    // Unknown write routes under /api/ are refused before the 404.
    expect((await ask('POST', '/api/v1/nothing')).statusCode).toBe(401);
    expect((await ask('POST', '/outside')).statusCode).toBe(200);
    expect((await ask('GET', '/api/v1/things')).statusCode).toBe(200);
    // The listed GET takes the other credentials, which are wrong here; a write never does.
    expect((await ask('GET', '/api/v1/live')).statusCode).toBe(401);
    expect((await ask('GET', '/api/v1/live', 'Bearer right-token-0123456789')).statusCode).toBe(200);
    // A percent-encoded spelling routes to the same handler, so it is guarded the same.
    expect((await ask('GET', '/api/v1/%6Cive')).statusCode).toBe(401);
    expect((await ask('GET', '/api/v1/live?x=1')).statusCode).toBe(401);
    await app.close();

    const cookieApp = await build('from-cookie-0123456789');
    expect((await cookieApp.inject({ method: 'GET', url: '/api/v1/live' })).statusCode).toBe(200);
    expect((await cookieApp.inject({ method: 'POST', url: '/api/v1/things' })).statusCode).toBe(401);
    await cookieApp.close();
  });

  it('with no token configured, lets everything through', async () => {
    const app = await build(null);
    expect((await app.inject({ method: 'POST', url: '/api/v1/things' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/live' })).statusCode).toBe(200);
    await app.close();
  });
});

describe('loggerOptions', () => {
  it('redacts credentials in logged headers', async () => {
    let out = '';
    const stream = new Writable({ write: (chunk: Buffer, _enc, done) => ((out += chunk.toString()), done()) });
    const { transport: _pretty, ...options } = { ...loggerOptions('info', 'kit-test'), transport: undefined };
    const app = Fastify({ logger: { ...options, stream } });
    app.get('/h', async (request) => {
      request.log.info({ headers: request.headers }, 'bare headers');
      request.log.info({ req: { headers: request.headers } }, 'req headers');
      return { ok: true };
    });
    await app.inject({
      url: '/h',
      headers: {
        authorization: 'Bearer leaked-secret-1',
        cookie: 'qs_token=leaked-secret-2',
        'sec-websocket-protocol': 'x.leaked-secret-3',
      },
    });
    await app.close();
    expect(out).toContain('bare headers');
    expect(out).toContain('[redacted]');
    expect(out).not.toMatch(/leaked-secret/);
  });
});
