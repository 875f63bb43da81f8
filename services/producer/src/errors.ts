/** Errors the producer maps to HTTP in one place (plugins/errors.ts). */
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

/** 404: the queue in the path is not one this producer serves. */
export class UnknownQueueError extends HttpError {
  override name = 'UnknownQueueError';
  constructor(queue: string, known: readonly string[]) {
    super(404, 'UNKNOWN_QUEUE', `unknown queue '${queue}' (known: ${known.join(', ')})`);
  }
}

/** 422: an Idempotency-Key was reused with a different request body. */
export class IdempotencyConflictError extends HttpError {
  override name = 'IdempotencyConflictError';
  constructor() {
    super(422, 'IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key was already used with a different request body');
  }
}
