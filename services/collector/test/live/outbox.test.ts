import type { LiveFrame, LiveMessage } from '@queuescope/contracts';
import { describe, expect, it } from 'vitest';
import { LiveCounters, RateWindow } from '../../src/live/limits.js';
import { CLOSE_TRY_AGAIN_LATER, Outbox, type LiveSocket } from '../../src/live/outbox.js';

/** A socket whose send buffer we set: what `ws` reports as `bufferedAmount`. */
class FakeSocket implements LiveSocket {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  closedWith: { code: number; reason: string } | undefined;
  send(data: string): void {
    this.sent.push(data);
    this.bufferedAmount += Buffer.byteLength(data);
  }
  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }
}

const frame = (seconds: number): LiveFrame => ({
  ts: Array.from({ length: seconds }, (_, i) => i * 1000),
  queues: {},
  workers: {},
  redis: { opsPerSec: [], usedMemoryBytes: [], pingMs: [] },
  activeRun: null,
  runMarkers: [],
  slo: {},
  newestEventTs: null,
});
const message = (type: 'tick' | 'backfill', seconds: number): Extract<LiveMessage, { frame: LiveFrame }> => ({
  type,
  frame: frame(seconds),
});
const bytes = (m: object): number => Buffer.byteLength(JSON.stringify(m));

describe('Outbox: backpressure on every frame', () => {
  it('sends what fits, and never queues past the limit', () => {
    const socket = new FakeSocket();
    const small = message('tick', 1);
    const outbox = new Outbox(socket, bytes(small) * 2, new LiveCounters());
    expect(outbox.send(small)).toBe(true);
    expect(outbox.send(small)).toBe(true);
    expect(socket.sent).toEqual([JSON.stringify(small), JSON.stringify(small)]);
    expect(socket.bufferedAmount).toBe(bytes(small) * 2);
  });

  it('skips a tick that does not fit and keeps the socket; the next one goes once the buffer drained', () => {
    const socket = new FakeSocket();
    const counters = new LiveCounters();
    const tick = message('tick', 5);
    const outbox = new Outbox(socket, bytes(tick) + 10, counters);
    socket.bufferedAmount = 11;
    expect(outbox.send(tick)).toBe(false);
    expect(socket.sent).toEqual([]);
    expect(socket.closedWith).toBeUndefined();
    expect(counters.skippedTicks).toBe(1);
    socket.bufferedAmount = 0;
    expect(outbox.send(tick)).toBe(true);
  });

  it.each([
    ['backfill', message('backfill', 300)],
    ['error', { type: 'error' as const, message: 'x'.repeat(2000) }],
  ])('closes with 1013 naming the limit instead of queueing a %s that does not fit', (_what, m) => {
    const socket = new FakeSocket();
    const counters = new LiveCounters();
    const outbox = new Outbox(socket, 1000, counters);
    expect(outbox.send(m)).toBe(false);
    expect(socket.sent).toEqual([]);
    expect(socket.closedWith).toEqual({ code: CLOSE_TRY_AGAIN_LATER, reason: 'send buffer full (COLLECTOR_WS_MAX_BUFFERED_BYTES=1000)' });
    expect(counters.refused.buffer).toBe(1);
    // Closed: nothing more is sent, not even what would fit.
    expect(outbox.send({ type: 'error', message: 'x' })).toBe(false);
  });

  it('serializes one message object once, whatever the number of sockets it goes to', () => {
    const m = message('tick', 2);
    let calls = 0;
    const original = m.frame.ts;
    Object.defineProperty(m.frame, 'ts', {
      enumerable: true,
      get: () => {
        calls++;
        return original;
      },
    });
    for (let i = 0; i < 10; i++) new Outbox(new FakeSocket(), 1 << 20, new LiveCounters()).send(m);
    expect(calls).toBe(1);
  });
});

describe('RateWindow', () => {
  it('allows max events per window, sliding', () => {
    const w = new RateWindow(3, 60_000);
    expect([w.take(0), w.take(1000), w.take(2000), w.take(3000)]).toEqual([true, true, true, false]);
    expect(w.take(59_999)).toBe(false);
    expect(w.take(60_000)).toBe(true);
    expect(w.take(60_500)).toBe(false);
    expect(w.take(61_000)).toBe(true);
  });
});
