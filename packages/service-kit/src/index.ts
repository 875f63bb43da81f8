/**
 * @queuescope/service-kit: what the Fastify services (producer, collector) share and the browser
 * must never load. Wire types and config stay in @queuescope/contracts.
 */
export {
  default as bearerAuth,
  ForbiddenError,
  isAllowedOrigin,
  isWrite,
  parseBearer,
  tokenMatcher,
  UnauthorizedError,
  type BearerAuthOptions,
} from './auth.js';
export { DependencyUnavailableError, HttpError, NotFoundError } from './http-errors.js';
export { default as errorHandler, validationMessage, type ErrorHandlerOptions } from './error-handler.js';
export { loggerOptions, REDACTED_PATHS, type LoggerOptions } from './logger.js';
export { runServer, runService, type RunServerOptions, type RunServiceOptions } from './run-server.js';
export { TimeoutError, withTimeout, withTimeoutOr } from './timeout.js';
export {
  closeRedis,
  createRedis,
  duplicateRedis,
  isCluster,
  keySlot,
  masters,
  nodeAddress,
  nodeForKey,
  waitForReplicas,
  type RedisClient,
} from './redis.js';
