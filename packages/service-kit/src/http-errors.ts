/**
 * HTTP error types of the Fastify services, mapped to responses in one place: the error handler
 * in `error-handler.ts` (STYLE R6). A service's own errors (an unknown queue, a reused
 * idempotency key) extend these in that service's `src/errors.ts`.
 */

/** An error that becomes a response with this `statusCode` and machine-readable `code`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What a dependency's own error text means, in words a client may read. Driver messages hold
 * hosts, ports, users, file descriptors and SQL (`connect ECONNREFUSED 10.0.0.5:6379`, `timeout,
 * query aborted [fd=…]`), so they are never sent on: the first pattern that matches names the
 * reason instead. Order matters: the specific before the general.
 */
const KNOWN_REASONS: readonly [RegExp, string][] = [
  [/OOM command not allowed|used memory > 'maxmemory'/i, 'out of memory (maxmemory reached, writes refused)'],
  [/\bREADONLY\b/, 'read-only replica'],
  [/\bLOADING\b/, 'loading its dataset'],
  [/\bMISCONF\b/, 'cannot persist to disk (MISCONF)'],
  [/\bNOAUTH\b|\bWRONGPASS\b|authentication|invalid username\/password/i, 'authentication failed'],
  [/ECONNREFUSED|connection refused/i, 'connection refused'],
  [/ENOTFOUND|EAI_AGAIN|getaddrinfo/i, 'host not found'],
  [/timeout exceeded when trying to connect|terminated due to connection timeout|connect ETIMEDOUT/i, 'no connection in time'],
  [/timeout, query aborted|statement timeout|query read timeout|query timed out/i, 'query timed out'],
  [/cancelled by user|canceling statement|query cancelled/i, 'query cancelled'],
  [/no answer within|timed out|ETIMEDOUT|Command timed out/i, 'timed out'],
  [/ECONNRESET|EPIPE|socket hang up|Connection terminated|not queryable|Connection is closed|Stream isn't writeable/i, 'connection lost'],
  [/MaxRetriesPerRequest|max retries per request|connection is (wait|connecting|connect|reconnecting|close|end)\b/i, 'not connected'],
];

/** A caller's own plain reason: words, digits and light punctuation; no `:` `/` `=` `@` `[` quotes, so no address, path or SQL. */
const PLAIN_REASON = /^[A-Za-z][A-Za-z0-9 ,.'()-]{0,119}$/;
/** Digits with dots, as in an IP address or a version: never passed on. */
const DOTTED_NUMBER = /\d+\.\d+\.\d+/;

/**
 * The part of a 503 message a client sees: a known driver error named in fixed words (ioredis'
 * `connection is reconnecting` too: `not connected`), a caller's plain sentence as it is (`the new
 * run did not become visible in time`), anything else `unexpected error` (the detail goes to the
 * server log only).
 */
export function publicReason(reason: string): string {
  for (const [pattern, text] of KNOWN_REASONS) if (pattern.test(reason)) return text;
  return PLAIN_REASON.test(reason) && !DOTTED_NUMBER.test(reason) ? reason : 'unexpected error';
}

/**
 * 503: a dependency (Redis, QuestDB) cannot serve the request right now; nothing was acknowledged.
 * The message names the dependency and a reason safe to show ({@link publicReason}); `detail`
 * keeps the dependency's own text for the server log, never for the response.
 */
export class DependencyUnavailableError extends HttpError {
  override name = 'DependencyUnavailableError';
  /** The reason as a client may read it (the message is `<dependency> unavailable: <reason>`). */
  readonly reason: string;
  /** The reason as given (it may hold hosts, users or SQL): logged, never sent. */
  readonly detail: string;
  constructor(
    readonly dependency: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    const shown = publicReason(reason);
    super(503, 'DEPENDENCY_UNAVAILABLE', `${dependency} unavailable: ${shown}`);
    this.reason = shown;
    this.detail = reason;
    if (options && 'cause' in options) this.cause = options.cause;
  }
}

/** 404: a resource named in the path does not exist; `what` names it, e.g. `run 'r-1'`. */
export class NotFoundError extends HttpError {
  override name = 'NotFoundError';
  constructor(what: string) {
    super(404, 'NOT_FOUND', `${what} not found`);
  }
}
