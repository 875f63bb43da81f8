/**
 * k6's handleSummary data → the run's `ClientSummary`, converted by the runner before it is sent
 * to the collector (which accepts only that shape). The fixture is a summary in k6's legacy
 * handleSummary format (k6 1.x and 2.x), recorded as data because k6 cannot run here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromK6Summary, type K6SummaryData } from '../src/k6/summary.js';

const k6Summary = JSON.parse(readFileSync(new URL('./fixtures/k6-summary.json', import.meta.url), 'utf8')) as K6SummaryData;

describe('k6 summary → client summary', () => {
  it('reads requests, rate, errors, duration percentiles and every threshold', () => {
    expect(fromK6Summary(k6Summary)).toEqual({
      source: 'k6',
      requests: 1200,
      accepted: null,
      errors: 2,
      timeouts: null,
      reqPerSec: 59.96,
      p50Ms: 3.5,
      p95Ms: 9.75,
      p99Ms: 31.2,
      maxMs: 88.4,
      thresholds: {
        'http_req_failed: rate<0.05': true,
        'http_req_duration: p(95)<500': true,
        'http_req_duration: p(99)<1000': true,
        'http_req_duration{queue:webhook}: p(95)<1000': true,
      },
    });
  });

  it('reports a failed threshold as false', () => {
    const failed = structuredClone(k6Summary);
    failed.metrics!.http_req_failed!.thresholds = { 'rate<0.05': { ok: false } };
    expect(fromK6Summary(failed).thresholds).toMatchObject({ 'http_req_failed: rate<0.05': false });
  });

  it('gives zeros and nulls for a summary without HTTP metrics (k6 stopped before any request)', () => {
    expect(fromK6Summary({})).toEqual({
      source: 'k6',
      requests: 0,
      accepted: null,
      errors: 0,
      timeouts: null,
      reqPerSec: 0,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
      maxMs: null,
      thresholds: {},
    });
  });
});
