import { randomUUID } from 'node:crypto';
import { parseConfig, type Config } from '@queuescope/contracts';

/**
 * A config for one test file: the machine's environment (REDIS_URL, QUESTDB_* …) plus a unique
 * namespace, so its queues and streams are its own (STYLE R12), and any overrides.
 */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v;
  return { ...base, QS_NAMESPACE: `t-${randomUUID().slice(0, 8)}`, LOG_LEVEL: 'warn', ...overrides };
}

export function testConfig(overrides: Record<string, string> = {}): { config: Config; env: Record<string, string> } {
  const env = testEnv(overrides);
  return { config: parseConfig(env), env };
}

/** A run id nobody else uses, so QuestDB rows of this test are its own. */
export function uniqueRunId(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/** Queue profiles for tests that want every job done at once and none failing: 5 ms handlers, no failures. */
export const FAST_QUEUES: Record<string, string> = {
  QUEUE_PAYMENT_LATENCY: 'fixed:5',
  QUEUE_NOTIFICATION_LATENCY: 'fixed:5',
  QUEUE_WEBHOOK_LATENCY: 'fixed:5',
  QUEUE_PAYMENT_FAILURE_RATE: '0',
  QUEUE_NOTIFICATION_FAILURE_RATE: '0',
  QUEUE_WEBHOOK_FAILURE_RATE: '0',
};
