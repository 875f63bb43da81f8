import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { api } from './client.js';
import type { LiveFrame, LiveMessage } from './live-types.js';

/** History kept in the browser, ms (the server's backfill covers the same). */
const WINDOW_MS = 5 * 60_000;

/** Merge `delta` into `base` by ts: equal seconds are replaced, newer appended, older than the window dropped (bookkeeping only). */
function merge(base: LiveFrame | undefined, delta: LiveFrame): LiveFrame {
  if (!base) return delta;
  const keepFrom = (delta.ts.at(-1) ?? Date.now()) - WINDOW_MS;
  const ts = [...new Set([...base.ts, ...delta.ts])].filter((t) => t >= keepFrom).sort((a, b) => a - b);
  const bi = new Map(base.ts.map((t, i) => [t, i]));
  const di = new Map(delta.ts.map((t, i) => [t, i]));
  const pick = (b: (number | null)[] | undefined, d: (number | null)[] | undefined) =>
    ts.map((t) => (di.has(t) ? (d?.[di.get(t)!] ?? null) : bi.has(t) ? (b?.[bi.get(t)!] ?? null) : null));
  const queues: LiveFrame['queues'] = {};
  for (const q of new Set([...Object.keys(base.queues), ...Object.keys(delta.queues)])) {
    const b = base.queues[q];
    const d = delta.queues[q];
    queues[q] = {
      throughput: pick(b?.throughput, d?.throughput),
      p50: pick(b?.p50, d?.p50),
      p95: pick(b?.p95, d?.p95),
      p99: pick(b?.p99, d?.p99),
      waitP95: pick(b?.waitP95, d?.waitP95),
      retries: pick(b?.retries, d?.retries),
      failures: pick(b?.failures, d?.failures),
      depth: pick(b?.depth, d?.depth),
    };
  }
  const workers: LiveFrame['workers'] = {};
  for (const w of new Set([...Object.keys(base.workers), ...Object.keys(delta.workers)])) workers[w] = pick(base.workers[w], delta.workers[w]);
  const markers = new Map([...base.runMarkers, ...delta.runMarkers].filter((m) => m.ts >= keepFrom).map((m) => [`${m.runId}/${m.kind}`, m]));
  return {
    ts,
    queues,
    workers,
    redis: { opsPerSec: pick(base.redis.opsPerSec, delta.redis.opsPerSec), usedMemoryBytes: pick(base.redis.usedMemoryBytes, delta.redis.usedMemoryBytes), pingMs: pick(base.redis.pingMs, delta.redis.pingMs) },
    activeRun: delta.activeRun,
    runMarkers: [...markers.values()].sort((a, b) => a.ts - b.ts),
    slo: delta.slo,
    newestEventTs: delta.newestEventTs ?? base.newestEventTs,
  };
}

/** The one WebSocket of the page; controllers join and leave it (refcounted). */
class SharedSocket {
  private ws: WebSocket | undefined;
  private readonly listeners = new Set<(m: LiveMessage) => void>();
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  join(listener: (m: LiveMessage) => void): void {
    this.listeners.add(listener);
    if (!this.ws) this.open();
  }

  leave(listener: (m: LiveMessage) => void): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0) {
      clearTimeout(this.timer);
      this.ws?.close();
      this.ws = undefined;
    }
  }

  private open(): void {
    const ws = new WebSocket(api.liveUrl());
    this.ws = ws;
    ws.onopen = () => (this.retry = 0);
    ws.onmessage = (e) => {
      const message = JSON.parse(String(e.data)) as LiveMessage;
      for (const l of this.listeners) l(message);
    };
    ws.onclose = () => {
      if (this.ws !== ws || this.listeners.size === 0) return;
      this.ws = undefined;
      // Reconnect by itself after a collector restart, backing off to 5 s.
      this.timer = setTimeout(() => this.listeners.size > 0 && this.open(), Math.min(500 * 2 ** this.retry++, 5000));
    };
  }
}

const shared = new SharedSocket();

/** Gives its host the latest live frame (STYLE R13: I/O in a controller, one shared socket). */
export class LiveController implements ReactiveController {
  frame: LiveFrame | undefined;
  error: string | undefined;
  connected = false;
  private readonly listener = (m: LiveMessage): void => {
    if (m.type === 'error') this.error = m.message;
    else {
      this.frame = m.type === 'backfill' ? m.frame : merge(this.frame, m.frame);
      this.connected = true;
    }
    this.host.requestUpdate();
  };

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    shared.join(this.listener);
  }

  hostDisconnected(): void {
    shared.leave(this.listener);
  }
}
