import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from './http-errors.js';

/** 401: the request needs `Authorization: Bearer <token>` and has none, another scheme, or a wrong token. */
export class UnauthorizedError extends HttpError {
  override name = 'UnauthorizedError';
  constructor(message: string) {
    super(401, 'UNAUTHORIZED', message);
  }
}

/** 403: the request is authenticated or needs no token, but its origin may not do this (a foreign page's WebSocket). */
export class ForbiddenError extends HttpError {
  override name = 'ForbiddenError';
  constructor(message: string) {
    super(403, 'FORBIDDEN', message);
  }
}

/**
 * What an `Authorization` header holds: the token of a `Bearer` credential (RFC 6750: the scheme is
 * case-insensitive, one or more spaces, then one b64token); `scheme` when it holds another scheme or
 * a malformed Bearer credential; `missing` when there is none.
 */
export function parseBearer(header: string | undefined): { token: string } | 'missing' | 'scheme' {
  if (header === undefined || header.trim() === '') return 'missing';
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return match ? { token: match[1]! } : 'scheme';
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * A comparer against `expected` that takes the same time whatever `given` is: both sides are
 * hashed to 32 bytes first, so neither the length nor a common prefix of the secret shows in the
 * timing (timingSafeEqual itself requires equal lengths).
 */
export function tokenMatcher(expected: string): (given: string) => boolean {
  const want = digest(expected);
  return (given) => timingSafeEqual(want, digest(given));
}

/** GET, HEAD and OPTIONS read; every other method (POST, PUT, PATCH, DELETE, and any custom one) writes. */
export const isWrite = (method: string): boolean => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';

/**
 * Whether a browser page from `origin` may open a WebSocket on the server the request reached:
 * the same host (the `Host` header, default ports ignored, any scheme so a TLS-terminating proxy
 * in front still counts as same origin) or one of `allowed` (scheme://host[:port]). `null` and
 * anything that is not an http(s) URL are foreign.
 */
export function isAllowedOrigin(origin: string, host: string | undefined, allowed: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (allowed.some((a) => safeOrigin(a) === url.origin)) return true;
  if (!host) return false;
  try {
    return new URL(`${url.protocol}//${host}`).host === url.host;
  } catch {
    return false;
  }
}

const safeOrigin = (value: string): string | null => {
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
};

export interface BearerAuthOptions {
  /** The token every guarded request must carry; null turns the plugin off (a loopback-only service, run-server.ts). */
  token: string | null;
  /** Name of the variable that sets the token, for the 401 message, e.g. `QS_API_TOKEN`. */
  variable: string;
  /** GET routes (route patterns, e.g. `/api/v1/live`) that need the token too; every write under `/api/` always does. */
  guardedGets?: readonly string[];
  /**
   * Other places a guarded GET may carry the token (a WebSocket subprotocol, a cookie): a browser
   * cannot set headers on a WebSocket. Never used for writes, so a cookie cannot authorise a
   * cross-site form post.
   */
  otherCredentials?: (request: FastifyRequest) => readonly string[];
}

/**
 * Bearer-token authentication (issue 10): an `onRequest` hook, so a refused request is answered
 * before its body is read and nothing it carries is stored or enqueued. Register it before the
 * routes. The token is compared in constant time and never logged (logger.ts redacts the headers).
 */
export default fp<BearerAuthOptions>(
  async (app: FastifyInstance, opts: BearerAuthOptions) => {
    if (opts.token === null) return;
    const matches = tokenMatcher(opts.token);
    const guardedGets = new Set(opts.guardedGets ?? []);
    app.addHook('onRequest', async (request, reply) => {
      // The matched route's pattern, not the raw URL: a percent-encoded or doubled-slash spelling of
      // a guarded path routes to the same handler and must not slip past. Unknown routes: the raw path.
      const route = request.routeOptions.url ?? request.url.split('?')[0]!;
      const write = isWrite(request.method) && route.startsWith('/api/');
      const guardedGet = !write && request.method === 'GET' && guardedGets.has(route);
      if (!write && !guardedGet) return;

      const parsed = parseBearer(request.headers.authorization);
      const candidates =
        typeof parsed === 'object' ? [parsed.token] : guardedGet && opts.otherCredentials ? opts.otherCredentials(request) : [];
      // Every candidate is compared, so the time taken does not tell which one matched.
      let ok = false;
      for (const candidate of candidates) ok = matches(candidate) || ok;
      if (ok) return;

      const offered = candidates.length > 0;
      reply.header('www-authenticate', offered ? 'Bearer realm="queuescope", error="invalid_token"' : 'Bearer realm="queuescope"');
      if (offered) throw new UnauthorizedError('invalid token');
      if (parsed === 'scheme')
        throw new UnauthorizedError('the Authorization header must use the Bearer scheme: Authorization: Bearer <token>');
      throw new UnauthorizedError(`this request needs the ${opts.variable} token: send Authorization: Bearer <token>`);
    });
  },
  { name: 'bearer-auth', fastify: '5.x' },
);
