import { HttpError } from '@queuescope/service-kit';

/**
 * The producer's own errors; the shared ones (DependencyUnavailableError, NotFoundError) and the
 * one error handler that maps them all to HTTP live in @queuescope/service-kit.
 */

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
