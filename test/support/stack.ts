import { QUEUE_NAMES, type Config, type QueueName } from '@queuescope/contracts';
import { testConfig } from './env.js';
import { freePort, spawnService, waitForHttp, type ServiceProcess } from './processes.js';

/** A body each demo endpoint accepts. */
export const DEMO_REQUESTS: Record<QueueName, { path: string; body: object }> = {
  payment: { path: '/api/v1/payments', body: { amount: 10.5, currency: 'EUR', customerId: 'c-1' } },
  notification: { path: '/api/v1/notifications', body: { channel: 'email', to: 'a@example.com', message: 'hi' } },
  webhook: { path: '/api/v1/webhooks', body: { url: 'https://example.com/hook', event: 'order.created' } },
};

/**
 * `PRODUCER_API_TOKEN` of each running stack's producer, by URL: `sendJobs` and `runLoad` (load.ts)
 * send it on their own, so a test whose environment (or overrides) sets tokens needs no extra code.
 */
const producerTokens = new Map<string, string>();

/** The `Authorization` header a stack's producer at `producerUrl` needs; none when it has no token. */
export function producerAuth(producerUrl: string): Record<string, string> {
  const token = producerTokens.get(producerUrl);
  return token ? { authorization: `Bearer ${token}` } : {};
}

const bearer = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** Real collector, producer and worker processes on a unique namespace, as `npm run stack` runs them. */
export interface TestStack {
  env: Record<string, string>;
  config: Config;
  producerUrl: string;
  collectorUrl: string;
  /** `Authorization: Bearer <PRODUCER_API_TOKEN>` for writes to the producer, or `{}` when it has no token. */
  producerHeaders: Record<string, string>;
  /** `Authorization: Bearer <QS_API_TOKEN>` for writes to the collector, or `{}` when it has no token. */
  collectorHeaders: Record<string, string>;
  procs: ServiceProcess[];
  /** Start `n` more worker processes (optionally with extra env, e.g. other queue profiles). */
  addWorkers: (n: number, extraEnv?: Record<string, string>) => ServiceProcess[];
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

export async function startStack(overrides: Record<string, string>, workers: number): Promise<TestStack> {
  const [producerPort, collectorPort] = [await freePort(), await freePort()];
  const { config, env } = testConfig({ PRODUCER_PORT: String(producerPort), COLLECTOR_PORT: String(collectorPort), ...overrides });
  const producerUrl = `http://127.0.0.1:${producerPort}`;
  const collectorUrl = `http://127.0.0.1:${collectorPort}`;
  const procs: ServiceProcess[] = [];
  if (config.auth.producerToken) producerTokens.set(producerUrl, config.auth.producerToken);
  const addWorkers = (n: number, extraEnv: Record<string, string> = {}): ServiceProcess[] => {
    const started = Array.from({ length: n }, () => spawnService('worker', { ...env, ...extraEnv }));
    procs.push(...started);
    return started;
  };
  try {
    const collector = spawnService('collector', env);
    procs.push(collector);
    await waitForHttp(`${collectorUrl}/readyz`, collector);
    addWorkers(workers);
    const producer = spawnService('producer', env);
    procs.push(producer);
    await waitForHttp(`${producerUrl}/readyz`, producer);
  } catch (err) {
    // A stack that did not come up is killed here: its test fails, and nothing it started lives on
    // to write into the next test's (or the next run's) Redis and QuestDB.
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    producerTokens.delete(producerUrl);
    throw err;
  }
  return {
    env,
    config,
    producerUrl,
    collectorUrl,
    producerHeaders: bearer(config.auth.producerToken),
    collectorHeaders: bearer(config.auth.collectorToken),
    procs,
    addWorkers,
    stop: async (signal = 'SIGTERM') => {
      await Promise.all(procs.map((p) => p.kill(signal)));
      producerTokens.delete(producerUrl);
    },
  };
}

/**
 * POST `perQueue` jobs to each demo endpoint with `X-Run-Id: runId` from `clients` concurrent
 * clients (with the producer's token when the stack has one); optionally paced to `ratePerSec`
 * requests per second overall. Returns the accepted job ids per queue and every status code seen.
 */
export async function sendJobs(
  producerUrl: string,
  runId: string,
  perQueue: Partial<Record<QueueName, number>>,
  opts: { clients?: number; ratePerSec?: number } = {},
): Promise<{ accepted: Map<QueueName, string[]>; statuses: number[] }> {
  const work: QueueName[] = [];
  const counts = QUEUE_NAMES.map((q) => perQueue[q] ?? 0);
  for (let i = 0; i < Math.max(...counts); i++) for (const q of QUEUE_NAMES) if (i < (perQueue[q] ?? 0)) work.push(q);
  const accepted = new Map<QueueName, string[]>();
  const statuses: number[] = [];
  const started = Date.now();
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < work.length) {
      const index = next++;
      const queue = work[index]!;
      if (opts.ratePerSec) {
        const due = started + (index * 1000) / opts.ratePerSec;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      const res = await fetch(`${producerUrl}${DEMO_REQUESTS[queue].path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-run-id': runId, ...producerAuth(producerUrl) },
        body: JSON.stringify(DEMO_REQUESTS[queue].body),
      });
      statuses.push(res.status);
      const body = (await res.json()) as { jobId: string };
      if (res.status === 202) accepted.set(queue, [...(accepted.get(queue) ?? []), body.jobId]);
    }
  };
  await Promise.all(Array.from({ length: opts.clients ?? 50 }, client));
  return { accepted, statuses };
}
