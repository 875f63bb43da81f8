import pTimeout, { TimeoutError } from 'p-timeout';

export { TimeoutError };

/**
 * `work`, or a rejection with a `TimeoutError` after `ms` milliseconds: `${what}: no answer within
 * ${ms} ms` (without `what`: `no answer within ${ms} ms`). The timer is cleared as soon as `work`
 * settles. `work` itself is not cancelled: give the underlying client its own timeout where it has
 * one (ioredis `commandTimeout`, an AbortSignal for fetch).
 */
export function withTimeout<T>(work: PromiseLike<T>, ms: number, what?: string): Promise<T> {
  const message = `${what ? `${what}: ` : ''}no answer within ${ms} ms`;
  return pTimeout(work, { milliseconds: ms, message });
}

/** `work`'s value, or `fallback` if `work` has not settled within `ms` milliseconds (timer cleared either way). */
export function withTimeoutOr<T, F>(work: PromiseLike<T>, ms: number, fallback: F): Promise<T | F> {
  return pTimeout<T | F>(work, { milliseconds: ms, fallback: () => fallback });
}
