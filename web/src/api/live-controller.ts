import { mergeFrames } from '@queuescope/contracts/live';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { api } from './client.js';
import type { LiveFrame, LiveMessage } from './live-types.js';
import { LIVE_PROTOCOL, tokenProtocol, tokenStore } from './token.js';

/** History the browser keeps, ms; older seconds are dropped on each merge (the server's backfill covers the same). */
export const LIVE_WINDOW_MS = 5 * 60_000;
/** Reconnect backoff after a close: 0.5 s doubling up to this, ms. */
const MAX_BACKOFF_MS = 5000;

/** What a page listens to; empty = every queue and every run (the server's default, no message sent). */
export interface LiveFilter {
  queues?: string[];
  runId?: string;
}

/** `unauthorized`: the collector wants its API token (or another one); the socket waits for `tokenStore.set`. */
export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'unauthorized';

type Listener = { message(m: LiveMessage): void; status(s: LiveStatus): void };

/**
 * One WebSocket per filter per page, shared by every controller with that filter (refcounted):
 * opened by the first `join`, closed by the last `leave`, reopened with backoff after a close.
 * A socket refused for want of the token waits until a token is set, then opens at once.
 */
class SharedSocket {
  private ws: WebSocket | undefined;
  private readonly listeners = new Set<Listener>();
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private unsubscribeToken: (() => void) | undefined;
  /** Asking the collector why the socket was refused (client.ts `liveRefusesToken`). */
  private probing = false;
  status: LiveStatus = 'connecting';

  constructor(
    private readonly filter: LiveFilter,
    private readonly onEmpty: () => void,
  ) {}

  join(listener: Listener): void {
    this.listeners.add(listener);
    listener.status(this.status);
    this.unsubscribeToken ??= tokenStore.subscribe(() => this.onTokenChange());
    if (!this.ws && this.timer === undefined && !this.probing && this.status !== 'unauthorized') this.open();
  }

  leave(listener: Listener): void {
    this.listeners.delete(listener);
    if (this.listeners.size > 0) return;
    this.unsubscribeToken?.();
    this.unsubscribeToken = undefined;
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

  /** A new token: a socket that is not open tries it now instead of after its backoff. */
  private onTokenChange(): void {
    if (this.ws || this.probing || tokenStore.refused) return;
    clearTimeout(this.timer);
    this.retry = 0;
    this.setStatus('connecting');
    this.open();
  }

  private open(): void {
    this.timer = undefined;
    const token = tokenStore.get();
    // The collector selects `queuescope`; the token's protocol is how it reads the token.
    const ws = token ? new WebSocket(api.liveUrl(), [LIVE_PROTOCOL, tokenProtocol(token)]) : new WebSocket(api.liveUrl());
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
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
      const retry = (): void => {
        this.timer = setTimeout(() => this.open(), Math.min(500 * 2 ** this.retry++, MAX_BACKOFF_MS));
      };
      if (opened) return retry();
      // Refused before it opened: ask whether the token is the reason before retrying blindly.
      this.probing = true;
      void api.liveRefusesToken(token).then((refused) => {
        this.probing = false;
        if (this.listeners.size === 0 || this.ws) return;
        if (tokenStore.get() !== token) return this.open(); // a new token arrived meanwhile
        if (!refused) return retry();
        this.setStatus('unauthorized');
        tokenStore.refuse();
      });
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
