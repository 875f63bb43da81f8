/**
 * The collector's API token (QS_API_TOKEN) as the dashboard holds it: in sessionStorage, so it
 * lives as long as the tab and never leaves this origin except to the collector. The live stream
 * offers it as a WebSocket subprotocol (a browser cannot set headers on a WebSocket); REST reads
 * need none. `refused` is set when the collector turned the live stream down for want of it, which
 * is when the dashboard asks for it (qs-token-prompt).
 */

const KEY = 'qs_token';
/** The subprotocol the collector selects; offered with the token's own (services/collector/src/plugins/auth.ts). */
export const LIVE_PROTOCOL = 'queuescope';
const TOKEN_PROTOCOL_PREFIX = 'base64url.bearer.';

type Listener = () => void;
const listeners = new Set<Listener>();
let refused = false;

const notify = (): void => {
  for (const l of listeners) l();
};

function read(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: the prompt asks again on every load
  }
}

export const tokenStore = {
  get: (): string | null => read(),

  /** Store a token (the URL fragment's or the prompt's) and let every live socket retry with it. */
  set(token: string): void {
    try {
      sessionStorage.setItem(KEY, token);
    } catch {
      // storage disabled: nothing to keep; the sockets still retry now
    }
    refused = false;
    notify();
  },

  /** The collector refused the live stream with the current token (or without one). */
  refuse(): void {
    if (refused) return;
    refused = true;
    notify();
  },

  get refused(): boolean {
    return refused;
  },

  /** Called after every change of the token or of `refused`; returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** The token as a subprotocol: `base64url.bearer.` + base64url (no padding), since `/` and `=` may not appear in one. */
export function tokenProtocol(token: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(token)) binary += String.fromCharCode(byte);
  return TOKEN_PROTOCOL_PREFIX + btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
