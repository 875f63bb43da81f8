import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { api } from './client.js';
import { mergeFrames } from '@queuescope/contracts/live';
import type { LiveFrame, LiveMessage } from './live-types.js';

/** History kept in the browser, ms (the server's backfill covers the same). */
const WINDOW_MS = 5 * 60_000;

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
      this.frame = m.type === 'backfill' || !this.frame ? m.frame : mergeFrames(this.frame, m.frame, (m.frame.ts.at(-1) ?? Date.now()) - WINDOW_MS);
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
