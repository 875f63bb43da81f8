/**
 * k6 script for every queuescope scenario, run unchanged with:
 *   [PRODUCER_API_TOKEN=…] k6 run loadtest/k6/run.ts -e BASE_URL=http://127.0.0.1:3000 -e RUN_ID=<id> -e SCENARIO=heavy \
 *     [-e SUMMARY_PATH=summary.json] [-e DURATION_MS=30000] [-e VUS=500] [--out json=results.json]
 * (`npm run loadtest` does this when k6 is on PATH, and stores the per-second stream and the
 * summary on the run.) Scenarios and SLO targets come from the same files the built-in engine and
 * the services read.
 */
import { sleep } from 'k6';
import http from 'k6/http';
import { textSummary } from 'https://jslib.k6.io/k6-summary/0.0.2/index.js';
import { ENDPOINTS, getScenario, pickEndpoint, scaleStages, type Endpoint } from '../scenarios/index.ts';
import { QUEUE_PROFILES } from '../../packages/contracts/src/queues.ts';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:3000';
const RUN_ID = __ENV.RUN_ID || '';
/**
 * The producer's token, when it has one. Read from the environment (k6 passes the system's
 * variables through `__ENV`; `npm run loadtest` spawns k6 with its own), not from `-e`, which would
 * show it in the process list.
 */
const TOKEN = __ENV.PRODUCER_API_TOKEN || '';
const HEADERS: Record<string, string> = {
  'Content-Type': 'application/json',
  'X-Run-Id': RUN_ID,
  ...(TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {}),
};
/** Where handleSummary writes k6's summary data as JSON; the runner reads it (loadtest/src/k6/runner.ts). */
const SUMMARY_PATH = __ENV.SUMMARY_PATH || '';
const scenario = scaleStages(getScenario(__ENV.SCENARIO || 'smoke'), {
  durationMs: __ENV.DURATION_MS ? Number(__ENV.DURATION_MS) : undefined,
  vus: __ENV.VUS ? Number(__ENV.VUS) : undefined,
});

/** Endpoint → queue, for per-queue thresholds mirroring the queue SLOs (HTTP side). */
const QUEUE_OF: Record<Endpoint, 'payment' | 'notification' | 'webhook'> = {
  payment: 'payment',
  notification: 'notification',
  webhook: 'webhook',
};

/** HTTP side of each queue's SLO (its job-latency targets applied to the enqueue request), plus < 5 % failed requests overall. */
const thresholds: Record<string, string[]> = { http_req_failed: ['rate<0.05'] };
for (const endpoint of Object.keys(QUEUE_OF) as Endpoint[]) {
  const slo = QUEUE_PROFILES[QUEUE_OF[endpoint]].slo;
  thresholds[`http_req_duration{queue:${QUEUE_OF[endpoint]}}`] = [`p(95)<${slo.p95Ms}`, `p(99)<${slo.p99Ms}`];
}

export const options = {
  scenarios: {
    [scenario.name]: {
      executor: 'ramping-vus',
      startVUs: scenario.startVUs,
      stages: scenario.stages,
      gracefulRampDown: '10s',
    },
  },
  thresholds,
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
  tags: { run_id: RUN_ID },
};

export default function (): void {
  const endpoint = pickEndpoint(scenario.mix, Math.random());
  const { path, body } = ENDPOINTS[endpoint];
  http.post(`${BASE_URL}${path}`, JSON.stringify(body(__ITER)), {
    headers: HEADERS,
    tags: { queue: QUEUE_OF[endpoint] },
  });
  sleep((scenario.thinkTimeMs.min + Math.random() * (scenario.thinkTimeMs.max - scenario.thinkTimeMs.min)) / 1000);
}

/**
 * Print k6's usual text summary and, with SUMMARY_PATH set, write the summary data there as JSON:
 * the runner converts it to the run's client summary (loadtest/src/k6/summary.ts) and stores it.
 */
export function handleSummary(data: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = { stdout: textSummary(data, { indent: ' ', enableColors: true }) };
  if (SUMMARY_PATH) out[SUMMARY_PATH] = JSON.stringify(data);
  return out;
}
