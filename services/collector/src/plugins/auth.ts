import type { Config } from '@queuescope/contracts';
import { bearerAuth, ForbiddenError, HttpError, isAllowedOrigin } from '@queuescope/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** The live WebSocket's route: guarded like a write, since it streams everything the collector sees. */
export const LIVE_PATH = '/api/v1/live';
/** The subprotocol the server selects; a browser offering a token must offer this one too. */
export const LIVE_PROTOCOL = 'queuescope';
/**
 * A token offered as a WebSocket subprotocol: this prefix plus the token in base64url without
 * padding. A subprotocol must be an HTTP token (RFC 6455 §4.1), which `/` and `=` of a token are not;
 * base64url's alphabet is. (Kubernetes names its own the same way.)
 */
export const TOKEN_PROTOCOL_PREFIX = 'base64url.bearer.';
/** The cookie a client may carry the token in instead (`SameSite=Strict; Path=/api`), read for the live WebSocket only. */
export const TOKEN_COOKIE = 'qs_token';

/** Tokens offered in a `Sec-WebSocket-Protocol` header (`queuescope, base64url.bearer.<b64>`). */
export function protocolTokens(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))
    .map((p) => Buffer.from(p.slice(TOKEN_PROTOCOL_PREFIX.length), 'base64url').toString('utf8'));
}

/** The `qs_token` values of a `Cookie` header (percent-decoded when a client encoded them). */
export function cookieTokens(header: string | undefined): string[] {
  if (!header) return [];
  return header.split(';').flatMap((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== TOKEN_COOKIE) return [];
    const value = pair.slice(eq + 1).trim();
    try {
      return [decodeURIComponent(value)];
    } catch {
      return [value];
    }
  });
}

/**
 * `handleProtocols` of the WebSocket server: `queuescope` when offered, else the first offered
 * protocol that is not a token (a token is never echoed back in the response), else none.
 */
export function selectProtocol(protocols: Set<string>): string | false {
  if (protocols.has(LIVE_PROTOCOL)) return LIVE_PROTOCOL;
  for (const p of protocols) if (!p.startsWith(TOKEN_PROTOCOL_PREFIX)) return p;
  return false;
}

const otherCredentials = (request: FastifyRequest): string[] => [
  ...protocolTokens(request.headers['sec-websocket-protocol']),
  ...cookieTokens(request.headers.cookie),
];

/**
 * The collector's access rules (issue 10). Every write route and the live WebSocket need
 * `QS_API_TOKEN` when it is set (the WebSocket also takes it as a subprotocol or the `qs_token`
 * cookie, since a browser cannot set headers on one). Read routes stay open. A page's WebSocket
 * must come from the collector's own origin or `QS_ALLOWED_ORIGINS`, token or not: that stops a
 * foreign site from riding a user's cookie (cross-site WebSocket hijacking); a client without
 * `Origin` is not a browser and passes. Both checks are `onRequest` hooks, which run before
 * @fastify/websocket upgrades the connection; register this plugin before the routes.
 */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const { allowedOrigins } = opts.config.auth;
    app.addHook('onRequest', async (request) => {
      // Only the live route is a WebSocket: an upgrade anywhere else (the dashboard's `/*` would
      // otherwise accept it and close it at once) is a 404, not a 101.
      const isUpgrade = request.headers.upgrade?.toLowerCase() === 'websocket';
      if (isUpgrade && request.routeOptions.url !== LIVE_PATH)
        throw new HttpError(404, 'NOT_FOUND', `no WebSocket here: the live stream is ${LIVE_PATH}`);
      if (request.method !== 'GET' || request.routeOptions.url !== LIVE_PATH) return;
      const origin = request.headers.origin;
      if (origin === undefined) return;
      if (!isAllowedOrigin(origin, request.headers.host, allowedOrigins))
        throw new ForbiddenError(
          'this origin may not open the live stream: use the collector’s own origin, or add it to QS_ALLOWED_ORIGINS',
        );
    });
    await app.register(bearerAuth, {
      token: opts.config.auth.collectorToken,
      variable: 'QS_API_TOKEN',
      guardedGets: [LIVE_PATH],
      otherCredentials,
    });
    // An upgrade refused here (401, 403) never reaches @fastify/websocket's own onRequest hook, so
    // its onResponse does not close the socket either: Node leaves an upgrade request's socket to
    // whoever handles it, and it would stay open (half-open, holding `server.close()`) after the
    // answer. An accepted upgrade is hijacked and never gets here.
    app.addHook('onResponse', async (request) => {
      if (request.headers.upgrade !== undefined) request.raw.socket?.destroy();
    });
  },
  { name: 'auth' },
);
