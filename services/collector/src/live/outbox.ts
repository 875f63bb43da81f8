import type { LiveMessage } from '@queuescope/contracts';
import type { LiveCounters } from './limits.js';

/** What a live frame needs of a WebSocket (`ws`'s WebSocket has it). */
export interface LiveSocket {
  readonly readyState: number;
  readonly OPEN: number;
  /** Bytes queued but not yet written to the network. */
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code: number, reason: string): void;
}

/** A frame to a dashboard: a live message, or an error about its last message. */
export type OutboundMessage = LiveMessage | { type: 'error'; message: string };

/** RFC 6455 "Try Again Later": the server is overloaded; the dashboard reconnects later. */
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** RFC 6455 "Policy Violation": the client broke a rule (too many subscribe messages). */
export const CLOSE_POLICY_VIOLATION = 1008;

/**
 * Serialized text of each message object. The ticker hands every subscriber with the same filter
 * the same message object, so a frame is serialized once per filter, not once per dashboard.
 */
const encoded = new WeakMap<object, { text: string; bytes: number }>();
function encode(message: OutboundMessage): { text: string; bytes: number } {
  let out = encoded.get(message);
  if (!out) {
    const text = JSON.stringify(message);
    out = { text, bytes: Buffer.byteLength(text) };
    encoded.set(message, out);
  }
  return out;
}

/**
 * Backpressure on every frame of one WebSocket: nothing is queued past `maxBuffered` bytes
 * (COLLECTOR_WS_MAX_BUFFERED_BYTES). A tick that does not fit is skipped (the next one re-sends
 * its seconds); a backfill or an error that does not fit closes the socket with 1013, since the
 * dashboard cannot draw without it and server memory must not grow for a slow reader.
 */
export class Outbox {
  constructor(
    private readonly socket: LiveSocket,
    private readonly maxBuffered: number,
    private readonly counters: LiveCounters,
  ) {}

  /** Send `message` if it fits; false when it was skipped or the socket was closed instead. */
  readonly send = (message: OutboundMessage): boolean => {
    if (this.socket.readyState !== this.socket.OPEN) return false;
    const { text, bytes } = encode(message);
    if (this.socket.bufferedAmount + bytes > this.maxBuffered) {
      if (message.type === 'tick') {
        this.counters.skippedTicks++;
        return false;
      }
      this.counters.refused.buffer++;
      this.socket.close(CLOSE_TRY_AGAIN_LATER, `send buffer full (COLLECTOR_WS_MAX_BUFFERED_BYTES=${this.maxBuffered})`);
      return false;
    }
    this.socket.send(text);
    return true;
  };
}
