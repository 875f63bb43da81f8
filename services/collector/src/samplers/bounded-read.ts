import { withTimeout } from '@queuescope/service-kit';
import type { RedisClient } from '@queuescope/service-kit';

/** Longest the Redis reads of one sampler tick may take; a slower read fails that tick only, ms. */
export const SAMPLE_TIMEOUT_MS = 2000;

/** `read()`, failing fast when `connection` is not up and failing after `timeoutMs`, naming `what`. */
export async function boundedRead<T>(
  what: string,
  connection: RedisClient,
  read: () => Promise<T>,
  timeoutMs = SAMPLE_TIMEOUT_MS,
): Promise<T> {
  // Commands sent while Redis is away wait in the offline queue; do not add one per second.
  if (connection.status !== 'ready') throw new Error(`${what}: redis connection is ${connection.status}`);
  try {
    return await withTimeout(read(), timeoutMs);
  } catch (err) {
    throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
