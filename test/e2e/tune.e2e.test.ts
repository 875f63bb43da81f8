/**
 * Issue 12, "Done when": `npm run loadtest -- --tune` against real processes, Redis and QuestDB.
 *
 * 1. webhook under-provisioned: 2 worker processes × 1 slot with a fixed 120 ms handler serve at
 *    most 2/0.12 ≈ 17 jobs/s. The light scenario shrunk to 24 s at 70 VUs (think time 200–800 ms,
 *    ≈ 1.9 iterations/s per VU, 20 % webhook) sends webhook ≈ 27 jobs/s while it holds its peak:
 *    a backlog builds and the first run fails webhook's SLO. Tune must raise webhook's slots at
 *    run time (same worker pids), wait for the backlog, and the second run must pass: exit 0, the
 *    change recorded in QuestDB.
 * 2. webhook slow by itself: a 1500 ms handler (SLO p95 1000 ms) with 20 slots and little load is
 *    the `running` cause: tune must change nothing, say why, and exit 1.
 */
import type { RunSummary } from '@queuescope/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST_QUEUES } from '../support/env.js';
import { waitFor } from '../support/processes.js';
import { pollQuery, questdbClient } from '../support/questdb.js';
import { startStack, type TestStack } from '../support/stack.js';
import { concurrencyOf, runIdsOf, runLoadtest } from '../support/tune.js';

const WORKERS = 2;

async function summaryOf(stack: TestStack, runId: string): Promise<RunSummary> {
  return (await (await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}/summary`)).json()) as RunSummary;
}

/** Every started worker process reports `queue` (the reports come every few seconds). */
async function waitForWorkers(stack: TestStack, count: number): Promise<void> {
  await waitFor('every worker reports webhook', async () => (await concurrencyOf(stack, 'webhook')).workers.length === count, 20_000, 250);
}

describe('npm run loadtest -- --tune', () => {
  let stack: TestStack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('raises an under-provisioned queue at run time, re-runs, passes and exits 0', async () => {
    stack = await startStack(
      { ...FAST_QUEUES, QUEUE_WEBHOOK_CONCURRENCY: '1', QUEUE_WEBHOOK_LATENCY: 'fixed:120', QUEUE_WEBHOOK_FAILURE_RATE: '0' },
      WORKERS,
    );
    await waitForWorkers(stack, WORKERS);
    const before = await concurrencyOf(stack, 'webhook');
    const stackPids = new Set(stack.procs.map((p) => p.child.pid));
    const workerPids = before.workers.map((w) => w.pid).sort();
    expect(before).toMatchObject({ concurrency: 1, source: 'profile' });
    expect(workerPids.filter((pid) => stackPids.has(pid))).toHaveLength(WORKERS);
    expect(before.workers.map((w) => w.concurrency)).toEqual([1, 1]);

    const { code, out } = await runLoadtest(stack, ['--scenario', 'light', '--duration', '24s', '--vus', '70', '--tune']);
    const [first, second, ...more] = runIdsOf(out);
    expect(first, out).toBeDefined();
    expect(second, out).toBeDefined();
    expect(more, out).toEqual([]);

    // The first run fails webhook's SLO; the diagnosis' cause and the applied change are printed.
    const s1 = await summaryOf(stack, first!);
    expect(s1.queues.find((q) => q.queue === 'webhook')?.slo.verdict, out).toBe('fail');
    expect(out).toMatch(/webhook — cause waiting: set webhook 1 → \d+ per process/);

    // The same worker processes now run more slots: no restart.
    const after = await concurrencyOf(stack, 'webhook');
    expect(after.source).toBe('setting');
    expect(after.concurrency, out).toBeGreaterThan(1);
    expect(after.workers.map((w) => w.pid).sort()).toEqual(workerPids);
    expect(after.workers.every((w) => w.concurrency === after.concurrency)).toBe(true);
    for (const p of stack.procs) expect(p.child.exitCode, `process ${p.child.pid} exited:\n${p.output()}`).toBeNull();
    expect(out).toContain(`webhook 1 → ${after.concurrency} per process`);

    // The second run passes, and says what it is.
    const s2 = await summaryOf(stack, second!);
    expect(s2.verdict, out).toBe('pass');
    expect(s2.run.config?.tune).toEqual({ round: 2, previousRunId: first, changes: [`webhook 1 → ${after.concurrency} per process`] });
    expect(s1.run.config?.tune).toEqual({ round: 1 });
    expect(out).toContain(`${stack.collectorUrl}/#/compare?a=${first}&b=${second}`);
    expect(out).toMatch(/Verdicts: run ✖ FAIL → ✔ pass/);

    // The change is a row in QuestDB: who, when, old → new, tagged with the diagnosed run.
    const db = await questdbClient(stack.config);
    try {
      const rows = await pollQuery<{
        queue: string;
        old_concurrency: number;
        new_concurrency: number;
        actor: string;
        run_id: string;
        reason: string;
      }>(
        db,
        'SELECT queue, old_concurrency, new_concurrency, actor, run_id, reason FROM concurrency_changes WHERE namespace = $1',
        [stack.config.namespace],
        (r) => r.length > 0,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        queue: 'webhook',
        old_concurrency: 1,
        new_concurrency: after.concurrency,
        actor: 'tune',
        run_id: first,
      });
      expect(rows[0]!.reason).toMatch(/slots in total ÷ 2 worker processes/);
    } finally {
      await db.end();
    }
    expect(code, out).toBe(0);
  });

  it('changes nothing when the handler itself is slow (running), says why and exits 1', async () => {
    stack = await startStack(
      { ...FAST_QUEUES, QUEUE_WEBHOOK_LATENCY: 'fixed:1500', QUEUE_WEBHOOK_CONCURRENCY: '20', QUEUE_WEBHOOK_FAILURE_RATE: '0' },
      1,
    );
    await waitForWorkers(stack, 1);
    const { code, out } = await runLoadtest(stack, ['--scenario', 'smoke', '--duration', '8s', '--tune', '--max-rounds', '3']);
    const runs = runIdsOf(out);
    expect(runs, out).toHaveLength(1);
    expect(out).toMatch(/webhook — cause running: no change \(running\)/);
    expect(out).toMatch(/the handler itself is slow/);
    expect(out).toMatch(/Tune changes nothing/);

    const setting = await concurrencyOf(stack, 'webhook');
    expect(setting).toMatchObject({ concurrency: 20, source: 'profile' });
    expect(setting.workers.map((w) => w.concurrency)).toEqual([20]);
    const changes = (await (await fetch(`${stack.collectorUrl}/api/v1/runs/${runs[0]}/concurrency-changes`)).json()) as {
      changes: unknown[];
    };
    expect(changes.changes).toEqual([]);
    const db = await questdbClient(stack.config);
    try {
      const rows = await db.query('SELECT count() AS n FROM concurrency_changes WHERE namespace = $1', [stack.config.namespace]);
      expect(rows.rows[0]).toEqual({ n: 0 });
    } finally {
      await db.end();
    }
    expect(code, out).toBe(1);
  });
});
