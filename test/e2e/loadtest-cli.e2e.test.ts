/**
 * Issue 4: `npm run loadtest` exits 0 on a healthy run and non-zero when a queue breaches its SLO
 * on purpose (the webhook handler made slower than its p95 target through config).
 */
import { FAST_QUEUES } from '../support/env.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/stack.js';
import { runLoadtest } from '../support/tune.js';

const runCli = (stack: TestStack) => runLoadtest(stack, ['--scenario', 'smoke', '--duration', '6s']);

describe('npm run loadtest', () => {
  let stack: TestStack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('exits 0 on a healthy run and prints the summary with the dashboard URL', async () => {
    stack = await startStack(FAST_QUEUES, 1);
    const { code, out } = await runCli(stack);
    expect(out).toMatch(/SLO verdict: ✔ pass/);
    expect(out).toMatch(/client \(HTTP\)/);
    expect(out).toContain(`${stack.collectorUrl}/#/runs/`);
    expect(code, out).toBe(0);
  });

  it('exits 1 when a queue is made slower than its SLO', async () => {
    // webhook p95 target is 1000 ms; a 1500 ms handler breaches it on every job.
    stack = await startStack({ ...FAST_QUEUES, QUEUE_WEBHOOK_LATENCY: 'fixed:1500', QUEUE_WEBHOOK_CONCURRENCY: '20' }, 1);
    const { code, out } = await runCli(stack);
    expect(out).toMatch(/SLO verdict: ✖ FAIL/);
    expect(out).toMatch(/webhook[^\n]*✖ FAIL/);
    expect(code, out).toBe(1);
  });
});
