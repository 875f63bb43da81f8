/** Errors the collector maps to HTTP in one place (plugins/errors.ts). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** 503: a dependency (Redis) cannot take the job right now; nothing was acknowledged. */
export class DependencyUnavailableError extends HttpError {
  override name = 'DependencyUnavailableError';
  constructor(dependency: string, reason: string) {
    super(503, 'DEPENDENCY_UNAVAILABLE', `${dependency} unavailable: ${reason}`);
  }
}

/** 404: a resource named in the path does not exist. */
export class NotFoundError extends HttpError {
  override name = 'NotFoundError';
  constructor(what: string) {
    super(404, 'NOT_FOUND', `${what} not found`);
  }
}
