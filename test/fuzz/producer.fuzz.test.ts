/**
 * Fuzzing the producer (issue 10, "Done when"): every route gets NUM_RUNS hostile requests, each
 * broken in at least one way; only 4xx comes back (401 for a write without its token), the
 * producer stays ready, and no job or event is added to its namespace.
 */
import { QUEUE_NAMES } from '@queuescope/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import app, { serverOptions } from '../../services/producer/src/app.js';
import { hostileString } from './arbitraries.js';
import { FuzzApp, NUM_RUNS, REQUEST_DEADLINE_MS, bounded, fuzzConfig, printTally, record } from './harness.js';
import type { FuzzTarget } from './requests.js';

const { config, producerToken, runIdPrefix } = fuzzConfig();

/** Queue names the producer does not serve, near misses included (it answers 404 UNKNOWN_QUEUE). */
const unknownQueue = fc
  .oneof(
    hostileString,
    fc.constantFrom(
      'Payment',
      'PAYMENT',
      'payment ',
      ' payment',
      'payment\u0000',
      'emails',
      'payments',
      'pаyment',
      'payment/jobs',
      'webhook\n',
    ),
    fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'length', '0'),
  )
  .filter((q) => !(QUEUE_NAMES as readonly string[]).includes(Buffer.from(q, 'utf8').toString('utf8')));

export const PRODUCER_TARGETS: readonly FuzzTarget[] = [
  {
    method: 'POST',
    url: '/api/v1/queues/:queue/jobs',
    mode: 'reject',
    auth: true,
    validParams: { queue: fc.constantFrom(...QUEUE_NAMES) },
    invalidParams: { queue: unknownQueue },
  },
  { method: 'POST', url: '/api/v1/payments', mode: 'reject', auth: true },
  { method: 'POST', url: '/api/v1/notifications', mode: 'reject', auth: true },
  { method: 'POST', url: '/api/v1/webhooks', mode: 'reject', auth: true },
  { method: 'GET', url: '/healthz', mode: 'open' },
  { method: 'GET', url: '/readyz', mode: 'open' },
];

describe(`fuzz: producer, ${NUM_RUNS} hostile requests per route`, () => {
  let fuzz: FuzzApp;
  beforeAll(async () => {
    fuzz = await FuzzApp.build({
      plugin: app,
      pluginOptions: { config },
      serverOptions: serverOptions(config),
      config,
      token: producerToken,
      runIdPrefix,
      authProbe: { method: 'POST', url: '/api/v1/queues/payment/jobs' },
    });
    await fuzz.takeBaseline();
  });
  afterAll(async () => {
    printTally(`producer, token ${fuzz?.ctx.authEnforced ? 'enforced' : 'NOT enforced'}`);
    await fuzz?.close();
  });

  it('every route the producer registers has a fuzz target', () => {
    expect(fuzz.coverage(PRODUCER_TARGETS)).toEqual({ untargeted: [], stale: [] });
  });

  for (const target of PRODUCER_TARGETS) {
    it(`${target.method} ${target.url}: ${NUM_RUNS} hostile requests answer ${target.mode === 'reject' ? '4xx' : '2xx-4xx, never 5xx'}; readyz stays 200; nothing enqueued`, async () => {
      await fuzz.fuzz(target);
    });
  }

  // Last: unlike the properties above, these requests are valid and may enqueue jobs.
  it('schema-valid but deeply nested job data (within the body limit) answers 202 or 4xx, never 5xx', async () => {
    const limit = config.producer.bodyLimit;
    const deep = fc
      .tuple(
        fc.integer({ min: 1, max: Math.floor((limit - 200) / 2) }),
        fc.constantFrom('array', 'object'),
        fc.constantFrom('jobs', 'webhooks'),
      )
      .map(([depth, kind, route]) => {
        const value = kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
        const payload =
          route === 'jobs'
            ? `{"name":"${config.namespace}","data":{"a":${value}}}`
            : `{"url":"https://example.com/h","event":"e","payload":{"a":${value}}}`;
        return { url: route === 'jobs' ? '/api/v1/queues/webhook/jobs' : '/api/v1/webhooks', payload, depth, kind };
      })
      .filter((r) => r.payload.length <= limit);
    await fc.assert(
      fc.asyncProperty(deep, async ({ url, payload, depth, kind }) => {
        const res = await bounded(
          fuzz.app.inject({
            method: 'POST',
            url,
            headers: { authorization: `Bearer ${producerToken}`, 'content-type': 'application/json' },
            payload,
          }),
          REQUEST_DEADLINE_MS,
          `${url} with ${kind} nesting ${depth} deep`,
        );
        record(`POST ${url} (valid, deep nesting)`, res.statusCode);
        expect(res.statusCode, `${url}, ${kind} nested ${depth} deep: ${res.body}`).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });
});
