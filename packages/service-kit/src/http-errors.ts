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

/** 503: a dependency (Redis, QuestDB) cannot serve the request right now; nothing was acknowledged. */
export class DependencyUnavailableError extends HttpError {
  override name = 'DependencyUnavailableError';
  constructor(dependency: string, reason: string) {
    super(503, 'DEPENDENCY_UNAVAILABLE', `${dependency} unavailable: ${reason}`);
  }
}

/** 404: a resource named in the path does not exist; `what` names it, e.g. `run 'r-1'`. */
export class NotFoundError extends HttpError {
  override name = 'NotFoundError';
  constructor(what: string) {
    super(404, 'NOT_FOUND', `${what} not found`);
  }
}
