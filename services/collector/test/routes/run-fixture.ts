/**
 * Finished runs with known events, made through the API (create, then finish) with their
 * `job_events` rows written straight into QuestDB (analytics/fixture.ts), for the route tests that
 * check a response against what the analytics compute.
 */
import type { Run } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { expect } from 'vitest';
import { insertJobs, waitForRows, type JobSeries } from '../analytics/fixture.js';

/** A run created and finished through the API, holding `jobs` (each series starts 5 s before the run, 50 ms apart). */
export async function finishedRunWith(
  app: FastifyInstance,
  client: pg.Client,
  name: string,
  jobs: Omit<JobSeries, 'startMs' | 'stepMs'>[],
): Promise<Run> {
  const created = await app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name } });
  expect(created.statusCode).toBe(201);
  const run = created.json<Run>();
  let rows = 0;
  for (const s of jobs) rows += await insertJobs(client, run.id, { ...s, startMs: Date.parse(run.startedAt) - 5000, stepMs: 50 });
  await waitForRows(client, run.id, rows);
  const finished = await app.inject({ method: 'POST', url: `/api/v1/runs/${run.id}/finish` });
  expect(finished.statusCode).toBe(200);
  return finished.json<Run>();
}

/** 40 healthy notifications (wait 1 ms, run 5 ms): every SLO check passes. */
export const HEALTHY: Omit<JobSeries, 'startMs' | 'stepMs'> = { queue: 'notification', n: 40, wait: '1', run: '5' };
/** 40 webhooks, 20 failed for good and 10 retried first: the error-rate check fails. */
export const FAILING: Omit<JobSeries, 'startMs' | 'stepMs'> = {
  queue: 'webhook',
  n: 40,
  wait: '2',
  run: '8',
  failed: 20,
  failError: `'downstream 503'`,
  retried: 10,
};

/** A valid `ClientSummary` (`POST /api/v1/runs/:id/client-summary`). */
export const CLIENT_SUMMARY = {
  source: 'builtin',
  requests: 10,
  accepted: 10,
  errors: 0,
  timeouts: 0,
  reqPerSec: 5,
  p50Ms: 1,
  p95Ms: 2,
  p99Ms: 3,
  maxMs: 4,
};
