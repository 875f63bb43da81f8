import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import type { Config, LiveFrame } from '@queuescope/contracts';
import { useCollector } from '../helper.js';

const { config } = testConfig();

type Message = { type: 'backfill' | 'tick'; frame: LiveFrame } | { type: 'error'; message: string };

/**
 * A test client: every message it got, and a way to wait for one. Injected by default; over TCP
 * when the app listens (`tcp`), where closing takes its real course (an injected socket's server
 * side sees the close only when `ws` gives up waiting, 30 s later).
 */
async function connect(
  app: FastifyInstance,
  tcp = false,
): Promise<{
  ws: WebSocket;
  messages: Message[];
  next: (pred: (m: Message) => boolean, timeoutMs?: number) => Promise<Message>;
  closed: Promise<{ code: number; reason: string }>;
}> {
  const messages: Message[] = [];
  let onClose: (c: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClose = resolve));
  const waiters: { pred: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  const onMessage = (raw: Buffer): void => {
    const m = JSON.parse(raw.toString()) as Message;
    messages.push(m);
    for (const w of waiters.splice(0)) {
      if (w.pred(m)) w.resolve(m);
      else waiters.push(w);
    }
  };
  // Listen from the first frame on: a joining dashboard gets its backfill at once.
  const listen = (socket: WebSocket): void => {
    socket.on('message', onMessage);
    socket.on('close', (code: number, reason: Buffer) => onClose({ code, reason: reason.toString() }));
  };
  let ws: WebSocket;
  if (tcp) {
    const address = app.server.address() as { port: number };
    ws = new WebSocket(`ws://127.0.0.1:${address.port}/api/v1/live`);
    listen(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  } else {
    ws = await app.injectWS('/api/v1/live', {}, { onInit: listen });
  }
  const next = (pred: (m: Message) => boolean, timeoutMs = 10_000) =>
    new Promise<Message>((resolve, reject) => {
      const found = messages.find(pred);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error('no matching live message in time')), timeoutMs);
      waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  return { ws, messages, next, closed };
}

/** `config` with some collector limits replaced (also below the parser's minimums, to make a limit easy to reach). */
function withLimits(config: Config, limits: Partial<Config['collector']['limits']>): Config {
  return { ...config, collector: { ...config.collector, limits: { ...config.collector.limits, ...limits } } };
}

const errors = (c: { messages: Message[] }): string[] => c.messages.flatMap((m) => (m.type === 'error' ? [m.message] : []));

describe('GET /api/v1/live', () => {
  const collector = useCollector(config);

  it('sends a backfill of the last minutes, then a tick every second', async () => {
    const c = await connect(collector.app);
    const backfill = (await c.next((m) => m.type === 'backfill')) as { frame: LiveFrame };
    expect(backfill.frame.ts.length).toBeGreaterThanOrEqual(295);
    expect(Object.keys(backfill.frame.queues)).toEqual(expect.arrayContaining(['payment', 'notification', 'webhook']));
    expect(backfill.frame.slo.payment).toEqual(config.queues.payment.slo);
    const tick = (await c.next((m) => m.type === 'tick')) as { frame: LiveFrame };
    expect(tick.frame.ts.length).toBeGreaterThan(0);
    expect(tick.frame.ts.length).toBeLessThanOrEqual(6);
    c.ws.terminate();
  });

  it('shows a newly stored event within 2 s, for a run filter and a queue filter', async () => {
    const runId = uniqueRunId('live');
    const c = await connect(collector.app);
    c.ws.send(JSON.stringify({ type: 'subscribe', runId, queues: ['payment'] }));
    await c.next((m) => m.type === 'backfill' && Object.keys(m.frame.queues).join() === 'payment');
    const now = Date.now();
    const stored = await collector.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        events: [
          {
            ts: now * 1000,
            run_id: runId,
            queue: 'payment',
            event: 'completed',
            job_id: `j-${runId}`,
            job_name: 'charge',
            attempt: 1,
            worker: 'test:1',
            run_ms: 12,
            latency_ms: 42,
          },
        ],
      },
    });
    expect(stored.statusCode).toBe(202);
    const second = Math.floor(now / 1000) * 1000;
    const seen = (await c.next((m) => m.type === 'tick' && m.frame.queues.payment!.p95[m.frame.ts.indexOf(second)] === 42, 15_000)) as {
      frame: LiveFrame;
    };
    expect(seen.frame.queues.payment!.throughput[seen.frame.ts.indexOf(second)]).toBe(1);
    expect(Object.keys(seen.frame.queues)).toEqual(['payment']);
    expect(seen.frame.newestEventTs).toBe(now);
    c.ws.terminate();
  });

  it('answers a malformed subscription with an error frame and keeps serving that client and the others', async () => {
    const good = await connect(collector.app);
    const bad = await connect(collector.app);
    await bad.next((m) => m.type === 'backfill');
    for (const raw of [
      'not json',
      JSON.stringify({ type: 'subscribe', runId: "x' OR '1'='1" }),
      JSON.stringify({ type: 'unsubscribe' }),
      JSON.stringify({ type: 'subscribe', queues: 'payment' }),
    ]) {
      const before = bad.messages.length;
      bad.ws.send(raw);
      const error = await bad.next((m) => m.type === 'error' && bad.messages.indexOf(m) >= before);
      expect((error as { message: string }).message.length).toBeGreaterThan(0);
    }
    const ticksBefore = bad.messages.filter((m) => m.type === 'tick').length;
    await bad.next((m) => m.type === 'tick' && bad.messages.filter((x) => x.type === 'tick').indexOf(m) >= ticksBefore);
    await good.next((m) => m.type === 'tick');
    good.ws.terminate();
    bad.ws.terminate();
  });

  it('ten dashboards cost the same SQL per second as one', async () => {
    const measure = async (clients: number): Promise<number> => {
      const sockets = await Promise.all(Array.from({ length: clients }, () => connect(collector.app)));
      await Promise.all(sockets.map((s) => s.next((m) => m.type === 'backfill')));
      await new Promise((r) => setTimeout(r, 1200));
      const start = collector.app.ticker.sqlQueries;
      await new Promise((r) => setTimeout(r, 4000));
      const perSecond = (collector.app.ticker.sqlQueries - start) / 4;
      for (const s of sockets) s.ws.terminate();
      await new Promise((r) => setTimeout(r, 300));
      return perSecond;
    };
    const one = await measure(1);
    const ten = await measure(10);
    expect(one).toBeGreaterThan(0);
    // One tick per second whatever the audience: allow one tick of jitter over the 4 s window.
    expect(ten).toBeLessThanOrEqual(one + 7 / 4);
  });
});

describe('GET /api/v1/live: COLLECTOR_WS_MAX_CONNECTIONS', () => {
  const collector = useCollector(testConfig({ COLLECTOR_WS_MAX_CONNECTIONS: '2' }).config);
  beforeAll(async () => {
    await collector.app.listen({ port: 0, host: '127.0.0.1' });
  });

  it('refuses one connection more with 503 naming the limit before the upgrade, and admits it again once one closed', async () => {
    const a = await connect(collector.app, true);
    const b = await connect(collector.app, true);
    await expect(connect(collector.app, true)).rejects.toThrow(/503/);
    const refused = await collector.app.inject({ url: '/api/v1/live' });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json()).toEqual({
      statusCode: 503,
      code: 'TOO_MANY_CONNECTIONS',
      message: 'too many WebSocket connections (COLLECTOR_WS_MAX_CONNECTIONS=2)',
    });
    const metrics = (await collector.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^queuescope_live_connections 2$/m);
    expect(metrics).toMatch(/^queuescope_live_refused_total\{limit="connections"\} 2$/m);
    a.ws.close();
    await a.closed;
    await expect.poll(() => collector.app.liveCounters.open).toBe(1);
    const c = await connect(collector.app, true);
    await c.next((m) => m.type === 'backfill');
    b.ws.terminate();
    c.ws.terminate();
  });
});

describe('GET /api/v1/live: COLLECTOR_WS_MAX_SUBSCRIBES_PER_MINUTE', () => {
  const collector = useCollector(testConfig({ COLLECTOR_WS_MAX_SUBSCRIBES_PER_MINUTE: '3' }).config);
  beforeAll(async () => {
    await collector.app.listen({ port: 0, host: '127.0.0.1' });
  });

  it('answers one subscribe message more than allowed per minute with an error frame, then closes with 1008', async () => {
    const c = await connect(collector.app, true);
    const runId = uniqueRunId('rate');
    for (let i = 0; i < 3; i++) c.ws.send(JSON.stringify({ type: 'subscribe', runId }));
    // Malformed messages count too: they cost a parse each.
    c.ws.send('not json');
    const { code, reason } = await c.closed;
    expect(code).toBe(1008);
    expect(reason).toBe('too many subscribe messages (COLLECTOR_WS_MAX_SUBSCRIBES_PER_MINUTE=3)');
    expect(errors(c)).toEqual(['too many subscribe messages (COLLECTOR_WS_MAX_SUBSCRIBES_PER_MINUTE=3); closing']);
    await expect.poll(() => collector.app.liveCounters.open).toBe(0);
    expect(collector.app.ticker.subscriberCount).toBe(0);
  });
});

describe('GET /api/v1/live: COLLECTOR_LIVE_MAX_FILTERS', () => {
  const collector = useCollector(testConfig({ COLLECTOR_LIVE_MAX_FILTERS: '2' }).config);

  it('refuses a subscription that would add one run filter more with an error frame, and keeps the previous one', async () => {
    const [run1, run2, run3] = [uniqueRunId('f1'), uniqueRunId('f2'), uniqueRunId('f3')];
    const backfillOf = (c: Awaited<ReturnType<typeof connect>>, after: number) =>
      c.next((m) => m.type === 'backfill' && c.messages.indexOf(m) >= after);
    const a = await connect(collector.app);
    await a.next((m) => m.type === 'backfill');
    a.ws.send(JSON.stringify({ type: 'subscribe', runId: run1 }));
    await backfillOf(a, 1);
    const b = await connect(collector.app);
    await b.next((m) => m.type === 'backfill');
    b.ws.send(JSON.stringify({ type: 'subscribe', runId: run2 }));
    await backfillOf(b, 1);
    expect(collector.app.ticker.filterCount).toBe(2);

    // A third dashboard: all runs would be a third filter.
    const c = await connect(collector.app);
    const refused = await c.next((m) => m.type === 'error');
    const message = 'too many live filters: at most 2 runs are streamed at once (COLLECTOR_LIVE_MAX_FILTERS=2)';
    expect((refused as { message: string }).message).toContain(message);
    // A run already streamed costs nothing more: admitted.
    c.ws.send(JSON.stringify({ type: 'subscribe', runId: run1, queues: ['payment'] }));
    const joined = (await c.next((m) => m.type === 'backfill')) as { frame: LiveFrame };
    expect(Object.keys(joined.frame.queues)).toEqual(['payment']);
    // A new run is refused; the previous subscription keeps ticking.
    const before = c.messages.length;
    c.ws.send(JSON.stringify({ type: 'subscribe', runId: run3 }));
    const second = await c.next((m) => m.type === 'error' && c.messages.indexOf(m) >= before);
    expect((second as { message: string }).message).toContain('COLLECTOR_LIVE_MAX_FILTERS=2');
    const tick = (await c.next((m) => m.type === 'tick' && c.messages.indexOf(m) > before)) as { frame: LiveFrame };
    expect(Object.keys(tick.frame.queues)).toEqual(['payment']);
    expect(collector.app.ticker.filterCount).toBe(2);
    // Leaving the last subscriber of a filter frees it: b moves from run2 to run3.
    b.ws.send(JSON.stringify({ type: 'subscribe', runId: run3 }));
    await backfillOf(b, 2);
    expect(errors(b)).toEqual([]);
    const metrics = (await collector.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^queuescope_live_filters 2$/m);
    expect(metrics).toMatch(/^queuescope_live_refused_total\{limit="filters"\} 2$/m);
    for (const x of [a, b, c]) x.ws.terminate();
  });
});

describe('GET /api/v1/live: COLLECTOR_WS_MAX_BUFFERED_BYTES', () => {
  // Below the parser's 64 KiB minimum on purpose: a backfill (five minutes of columns) does not fit.
  const collector = useCollector(withLimits(testConfig().config, { wsMaxBufferedBytes: 4096 }));
  beforeAll(async () => {
    await collector.app.listen({ port: 0, host: '127.0.0.1' });
  });

  it('closes with 1013 instead of queueing a backfill that does not fit the send buffer', async () => {
    const c = await connect(collector.app, true);
    const { code, reason } = await c.closed;
    expect(code).toBe(1013);
    expect(reason).toBe('send buffer full (COLLECTOR_WS_MAX_BUFFERED_BYTES=4096)');
    expect(c.messages.filter((m) => m.type === 'backfill')).toEqual([]);
    await expect.poll(() => collector.app.liveCounters.open).toBe(0);
    expect(collector.app.liveCounters.refused.buffer).toBe(1);
  });
});
