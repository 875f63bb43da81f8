import type { ClientSummary } from '@queuescope/contracts';

/** The parts of k6's handleSummary `data` we read (legacy summary shape, k6 1.x and 2.x). */
export interface K6SummaryData {
  metrics?: Record<string, { type?: string; values?: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
}

/**
 * k6's end-of-test summary → the run's client summary, the shape the collector accepts
 * (`POST /api/v1/runs/:id/client-summary`): `http_reqs` count and rate (req/s), errors from the
 * `http_req_failed` rate, `http_req_duration` med/p(95)/p(99)/max (ms; null when k6 did not report
 * them), and every threshold as `"<metric>: <expression>" → passed`.
 */
export function fromK6Summary(data: K6SummaryData): ClientSummary {
  const m = data.metrics ?? {};
  const duration = m.http_req_duration?.values ?? {};
  const reqs = m.http_reqs?.values ?? {};
  const failedRate = m.http_req_failed?.values?.rate ?? 0;
  const requests = Math.round(reqs.count ?? 0);
  const thresholds: Record<string, boolean> = {};
  for (const [metric, def] of Object.entries(m)) {
    for (const [expr, result] of Object.entries(def.thresholds ?? {})) thresholds[`${metric}: ${expr}`] = result.ok;
  }
  const pick = (k: string): number | null => (typeof duration[k] === 'number' ? duration[k]! : null);
  return {
    source: 'k6',
    requests,
    accepted: null,
    errors: Math.round(requests * failedRate),
    timeouts: null,
    reqPerSec: reqs.rate ?? 0,
    p50Ms: pick('med'),
    p95Ms: pick('p(95)'),
    p99Ms: pick('p(99)'),
    maxMs: pick('max'),
    thresholds,
  };
}
