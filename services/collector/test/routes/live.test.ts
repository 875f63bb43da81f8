import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import type { LiveFrame } from '@queuescope/contracts';
import { useCollector } from '../helper.js';

const { config } = testConfig();

type Message = { type: 'backfill' | 'tick'; frame: LiveFrame } | { type: 'error'; message: string };

/** A test client: every message it got, and a way to wait for one. */
async function connect(
  app: FastifyInstance,
): Promise<{ ws: WebSocket; messages: Message[]; next: (pred: (m: Message) => boolean, timeoutMs?: number) => Promise<Message> }> {
  const messages: Message[] = [];
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
  const ws = await app.injectWS('/api/v1/live', {}, { onInit: (socket) => socket.on('message', onMessage) });
  const next = (pred: (m: Message) => boolean, timeoutMs = 10_000) =>
    new Promise<Message>((resolve, reject) => {
      const found = messages.find(pred);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error('no matching live message in time')), timeoutMs);
      waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  return { ws, messages, next };
}

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
