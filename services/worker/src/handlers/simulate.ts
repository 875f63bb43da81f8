import type { LatencyDistribution, QueueProfile } from '@queuescope/contracts';

/** z of the 99th percentile of the standard normal distribution. */
const Z99 = 2.3263478740408408;

/** A standard normal sample (Box–Muller). */
function normal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** One draw from `dist`, ms. */
export function sampleLatency(dist: LatencyDistribution, random: () => number = Math.random): number {
  switch (dist.kind) {
    case 'fixed':
      return dist.ms;
    case 'uniform':
      return dist.min + (dist.max - dist.min) * random();
    case 'lognormal': {
      const sigma = dist.median === dist.p99 ? 0 : Math.log(dist.p99 / dist.median) / Z99;
      return dist.median * Math.exp(sigma * normal(random));
    }
  }
}

/** Thrown by a simulated handler; BullMQ retries it while attempts remain. */
export class SimulatedFailureError extends Error {
  override name = 'SimulatedFailureError';
}

/**
 * Simulated work for one attempt of a job on a queue with `profile`: waits a latency drawn from
 * the profile's distribution, then fails with probability `profile.failureRate`.
 */
export async function simulateWork(profile: QueueProfile, signal?: AbortSignal): Promise<void> {
  const ms = sampleLatency(profile.latency);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  if (Math.random() < profile.failureRate) throw new SimulatedFailureError(`simulated downstream failure after ${ms.toFixed(1)} ms`);
}
