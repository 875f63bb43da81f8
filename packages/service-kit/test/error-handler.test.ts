import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { publicReason } from '../src/http-errors.js';
import { DependencyUnavailableError, errorHandler, HttpError, NotFoundError, type ErrorHandlerOptions } from '../src/index.js';

class TeapotError extends HttpError {
  override name = 'TeapotError';
  constructor() {
    super(418, 'TEAPOT', 'this service is a teapot');
  }
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An app with the handler and one route per kind of failure; `lines` collects its JSON log lines. */
async function build(opts: ErrorHandlerOptions = {}): Promise<{ app: FastifyInstance; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const server = Fastify({
    logger: { level: 'info', stream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } },
    ajv: { customOptions: { coerceTypes: false } },
  });
  await server.register(errorHandler, opts);
  server.get('/dependency', async () => {
    throw new DependencyUnavailableError('redis', 'connection is end');
  });
  server.get('/missing', async () => {
    throw new NotFoundError("run 'r-1'");
  });
  server.get('/teapot', async () => {
    throw new TeapotError();
  });
  server.get('/dependency-raw', async () => {
    throw new DependencyUnavailableError('questdb', 'connect ECONNREFUSED 10.1.2.3:8812 (user admin)', { cause: new Error('x') });
  });
  server.get('/dependency-sql', async () => {
    throw new DependencyUnavailableError('questdb', 'table does not exist [table=secret_runs] in SELECT * FROM secret_runs');
  });
  server.get('/plain-503', async () => {
    throw Object.assign(new Error('timeout, query aborted [fd=4242, runtime=60004ms, timeout=60000ms]'), { statusCode: 503 });
  });
  server.get('/crash', async () => {
    throw new Error('SELECT secret FROM job_events failed');
  });
  server.post(
    '/amount',
    { schema: { body: { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } } } },
    async () => ({ ok: true }),
  );
  server.get('/limit', { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer' } } } } }, async () => ({
    ok: true,
  }));
  await server.ready();
  app = server;
  return { app: server, lines };
}

describe('errorHandler', () => {
  it('answers 503 with the reason naming the dependency', async () => {
    const { app } = await build();
    const res = await app.inject({ url: '/dependency' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ statusCode: 503, code: 'DEPENDENCY_UNAVAILABLE', message: 'redis unavailable: not connected' });
  });

  it("never echoes the dependency's own error text: fixed words to the client, the detail to the log", async () => {
    const { app, lines } = await build();
    const raw = await app.inject({ url: '/dependency-raw' });
    expect(raw.statusCode).toBe(503);
    expect(raw.json()).toEqual({ statusCode: 503, code: 'DEPENDENCY_UNAVAILABLE', message: 'questdb unavailable: connection refused' });
    const sqlText = await app.inject({ url: '/dependency-sql' });
    expect(sqlText.json()).toEqual({ statusCode: 503, code: 'DEPENDENCY_UNAVAILABLE', message: 'questdb unavailable: unexpected error' });
    const other = await app.inject({ url: '/plain-503' });
    expect(other.json()).toMatchObject({ statusCode: 503, message: 'query timed out' });
    for (const res of [raw, sqlText, other]) expect(res.body).not.toMatch(/10\.1\.2\.3|8812|admin|secret|SELECT|fd=|4242/);
    const logged = lines.filter((l) => l.msg === 'dependency unavailable').map((l) => l.detail);
    expect(logged).toEqual([
      'connect ECONNREFUSED 10.1.2.3:8812 (user admin)',
      'table does not exist [table=secret_runs] in SELECT * FROM secret_runs',
      'timeout, query aborted [fd=4242, runtime=60004ms, timeout=60000ms]',
    ]);
  });

  it('answers an HttpError with its status, code and message', async () => {
    const { app } = await build();
    expect((await app.inject({ url: '/missing' })).json()).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: "run 'r-1' not found" });
    const teapot = await app.inject({ url: '/teapot' });
    expect(teapot.statusCode).toBe(418);
    expect(teapot.json()).toEqual({ statusCode: 418, code: 'TEAPOT', message: 'this service is a teapot' });
  });

  it('names the part and the field of a schema violation', async () => {
    const { app } = await build();
    const body = await app.inject({ method: 'POST', url: '/amount', payload: { amount: '12' } });
    expect(body.statusCode).toBe(400);
    expect(body.json()).toEqual({ statusCode: 400, code: 'FST_ERR_VALIDATION', message: 'body/amount must be number' });
    const query = await app.inject({ url: '/limit?limit=ten' });
    expect(query.json()).toMatchObject({ statusCode: 400, message: 'querystring/limit must be integer' });
  });

  it('answers anything else with a generic 500: no message, stack or SQL', async () => {
    const { app, lines } = await build();
    const res = await app.inject({ url: '/crash' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
    expect(res.body).not.toMatch(/SELECT|at |\.ts/);
    // The log keeps what the response hides.
    const logged = lines.find((l) => l.msg === 'request failed');
    expect(logged).toMatchObject({ level: 50, url: '/crash', err: { message: 'SELECT secret FROM job_events failed' } });
    expect(JSON.stringify(logged)).toContain('error-handler.test.ts');
  });

  it('answers an unknown route with a 404 naming method and path, without the query', async () => {
    const { app } = await build();
    const res = await app.inject({ method: 'DELETE', url: '/nowhere?token=x' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: 'no route DELETE /nowhere' });
  });

  it('adds reqId to its log lines only when asked (requests without a child logger)', async () => {
    const plain = await build();
    await plain.app.inject({ url: '/dependency' });
    const warnPlain = plain.lines.filter((l) => l.msg === 'dependency unavailable');
    // Fastify's per-request child logger binds reqId here; the handler adds none of its own.
    expect(warnPlain).toHaveLength(1);
    expect(warnPlain[0]).toMatchObject({
      level: 40,
      err: 'redis unavailable: not connected',
      detail: 'connection is end',
      reqId: expect.any(String),
    });
    await plain.app.close();

    const withIds = await build({ logRequestId: true });
    await withIds.app.inject({ url: '/crash' });
    expect(withIds.lines.find((l) => l.msg === 'request failed')).toMatchObject({ reqId: expect.any(String), url: '/crash' });
  });
});

describe('publicReason', () => {
  it.each([
    ['connect ECONNREFUSED 127.0.0.1:6379', 'connection refused'],
    ['ECONNREFUSED connect ECONNREFUSED ::1:8812', 'connection refused'],
    ['timeout exceeded when trying to connect', 'no connection in time'],
    ['Connection terminated due to connection timeout', 'no connection in time'],
    ['timeout, query aborted [fd=12, runtime=60004ms, timeout=60000ms]', 'query timed out'],
    ['Connection terminated unexpectedly', 'connection lost'],
    ['read ECONNRESET', 'connection lost'],
    ['Connection is closed.', 'connection lost'],
    ['connection is reconnecting', 'not connected'],
    ['queue depth: redis connection is wait', 'not connected'],
    ['Reached the max retries per request limit (which is 1).', 'not connected'],
    ["OOM command not allowed when used memory > 'maxmemory'.", 'out of memory (maxmemory reached, writes refused)'],
    ['getaddrinfo ENOTFOUND questdb.internal', 'host not found'],
    ['password authentication failed for user "admin"', 'authentication failed'],
    ['no answer within 3000 ms', 'timed out'],
    ['the new run did not become visible in time', 'the new run did not become visible in time'],
    ['schema not migrated yet', 'schema not migrated yet'],
    ['table does not exist [table=runs]', 'unexpected error'],
    ['relation at 10.0.0.1 port 99', 'unexpected error'],
    ['SELECT * FROM job_events WHERE x = 1', 'unexpected error'],
  ])('%s → %s', (raw, shown) => {
    expect(publicReason(raw)).toBe(shown);
  });
});
