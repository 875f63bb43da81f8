import { mergeFrames } from '@queuescope/contracts/live';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { api } from './client.js';
import type { LiveFrame, LiveMessage } from './live-types.js';

/** History the browser keeps, ms; older seconds are dropped on each merge (the server's backfill covers the same). */
export const LIVE_WINDOW_MS = 5 * 60_000;
/** Reconnect backoff after a close: 0.5 s doubling up to this, ms. */
const MAX_BACKOFF_MS = 5000;

/** What a page listens to; empty = every queue and every run (the server's default, no message sent). */
export interface LiveFilter {
  queues?: string[];
  runId?: string;
}

export type LiveStatus = 'connecting' | 'open' | 'reconnecting';

type Listener = { message(m: LiveMessage): void; status(s: LiveStatus): void };

/**
 * One WebSocket per filter per page, shared by every controller with that filter (refcounted):
 * opened by the first `join`, closed by the last `leave`, reopened with backoff after a close.
 */
class SharedSocket {
  private ws: WebSocket | undefined;
  private readonly listeners = new Set<Listener>();
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  status: LiveStatus = 'connecting';

  constructor(
    private readonly filter: LiveFilter,
    private readonly onEmpty: () => void,
  ) {}

  join(listener: Listener): void {
    this.listeners.add(listener);
    listener.status(this.status);
    if (!this.ws && this.timer === undefined) this.open();
  }

  leave(listener: Listener): void {
    this.listeners.delete(listener);
    if (this.listeners.size > 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const ws = this.ws;
    this.ws = undefined;
    ws?.close(1000, 'page left');
    this.onEmpty();
  }

  private setStatus(status: LiveStatus): void {
    this.status = status;
    for (const l of this.listeners) l.status(status);
  }

  private open(): void {
    this.timer = undefined;
    const ws = new WebSocket(api.liveUrl());
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      if (this.filter.queues || this.filter.runId) ws.send(JSON.stringify({ type: 'subscribe', ...this.filter }));
      this.setStatus('open');
    };
    ws.onmessage = (e: MessageEvent<string>) => {
      let message: LiveMessage;
      try {
        message = JSON.parse(e.data) as LiveMessage;
      } catch {
        message = { type: 'error', message: 'the live stream sent a message that is not JSON' };
      }
      for (const l of this.listeners) l.message(message);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return; // closed on purpose by leave()
      this.ws = undefined;
      this.setStatus('reconnecting');
      this.timer = setTimeout(() => this.open(), Math.min(500 * 2 ** this.retry++, MAX_BACKOFF_MS));
    };
  }
}

const sockets = new Map<string, SharedSocket>();

function socketFor(filter: LiveFilter): SharedSocket {
  const key = JSON.stringify([filter.runId ?? null, filter.queues ?? null]);
  let socket = sockets.get(key);
  if (!socket) {
    socket = new SharedSocket(filter, () => sockets.delete(key));
    sockets.set(key, socket);
  }
  return socket;
}

/**
 * Gives its host the live stream (STYLE R13: I/O in a controller, never a socket per component).
 * `frame` is the server's backfill with every later tick merged in by `ts` (equal seconds replaced,
 * newer appended, older than LIVE_WINDOW_MS dropped): placement only, no value is computed.
 */
export class LiveController implements ReactiveController {
  /** The merged window, or undefined until the backfill arrives. */
  frame: LiveFrame | undefined;
  /** The server's latest error message, cleared by the next frame. */
  error: string | undefined;
  status: LiveStatus = 'connecting';

  private socket: SharedSocket | undefined;
  private readonly listener: Listener = {
    message: (m) => {
      if (m.type === 'error') this.error = m.message;
      else {
        this.frame =
          m.type === 'backfill' || !this.frame
            ? m.frame
            : mergeFrames(this.frame, m.frame, (m.frame.ts.at(-1) ?? Date.now()) - LIVE_WINDOW_MS);
        this.error = undefined;
      }
      this.host.requestUpdate();
    },
    status: (s) => {
      this.status = s;
      this.host.requestUpdate();
    },
  };

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly filter: LiveFilter = {},
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.socket = socketFor(this.filter);
    this.socket.join(this.listener);
  }

  hostDisconnected(): void {
    this.socket?.leave(this.listener);
    this.socket = undefined;
  }
}
