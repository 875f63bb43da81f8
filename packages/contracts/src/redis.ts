/**
 * ioredis options by role (STYLE R9, bullmq docs/gitbook/guide/going-to-production.md).
 * Plain objects, so this package needs no Redis client; callers spread them into `new Redis(url, …)`.
 */
export type RedisRole = 'producer' | 'worker' | 'collector';

export interface RedisRoleOptions {
  maxRetriesPerRequest: number | null;
  enableOfflineQueue: boolean;
  connectTimeout: number;
  /** ms before the next reconnect attempt; ioredis calls it with the attempt number. */
  retryStrategy: (attempt: number) => number;
}

export function connectionFor(role: RedisRole): RedisRoleOptions {
  const retryStrategy = (attempt: number): number => Math.min(50 * 2 ** attempt, 2000);
  switch (role) {
    case 'producer':
      // Fail fast: an HTTP request must get a 503 within its timeout instead of hanging on a
      // dead Redis, so commands are not queued while offline and are retried once at most.
      return { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, retryStrategy };
    case 'worker':
    case 'collector':
      // Wait forever: BullMQ workers require `maxRetriesPerRequest: null`; a consumer that
      // waits through an outage resumes where it stopped instead of crashing.
      return { maxRetriesPerRequest: null, enableOfflineQueue: true, connectTimeout: 5000, retryStrategy };
  }
}
