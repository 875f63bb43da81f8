/**
 * Issue 5, in real headless Chromium (playwright-core + Debian's chromium): the live page changes
 * every second during a load test and lags the newest stored event by at most 2 s; the runs, run
 * and compare pages render real runs (the compare page marks the queue made slower as worse);
 * no console errors; ten dashboards cost the collector no more SQL than one; a screenshot of every
 * page goes to test-results/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, launchChromium } from '../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getScenario, scaleStages } from '../../loadtest/scenarios/index.js';
import type { LoadSecond } from '@queuescope/contracts';
import { runScenario } from '../../loadtest/src/engine/index.js';
import { uniqueRunId } from '../support/env.js';
import { waitFor } from '../support/processes.js';
import { pollQuery, questdbClient } from '../support/questdb.js';
import { startStack, type TestStack } from '../support/stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = `${ROOT}test-results/screenshots`;
const FAST = {
  QUEUE_PAYMENT_LATENCY: 'uniform:5:15',
  QUEUE_NOTIFICATION_LATENCY: 'uniform:5:15',
  QUEUE_WEBHOOK_LATENCY: 'uniform:5:15',
  QUEUE_WEBHOOK_CONCURRENCY: '16',
};

describe.skipIf(!hasChromium() || !existsSync(`${ROOT}web/dist/index.html`))('dashboard in headless Chromium', () => {
  let stack: TestStack;
  let browser: Browser;
  let db: pg.Client;
  const consoleErrors: string[] = [];
  const runA = uniqueRunId('dash-a');
  const runB = uniqueRunId('dash-b');

  const open = async (hash: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`${hash}: ${m.text()}`));
    page.on('pageerror', (e) => consoleErrors.push(`${hash}: ${e.message}`));
    await page.goto(`${stack.collectorUrl}/${hash}`);
    return page;
  };

  const load = async (runId: string, seconds: number): Promise<void> => {
    const created = await fetch(`${stack.collectorUrl}/api/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: runId, name: runId, scenario: 'smoke', engine: 'builtin' }),
    });
    expect(created.status).toBe(201);
    const scenario = { ...scaleStages(getScenario('smoke'), { durationMs: seconds * 1000, vus: 10 }), thinkTimeMs: { min: 20, max: 60 } };
    const perSecond: LoadSecond[] = [];
    await runScenario({ baseUrl: stack.producerUrl, runId, scenario, onSecond: (s) => perSecond.push(s) });
    const stored = await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}/load-metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'builtin', seconds: perSecond }),
    });
    expect(stored.status).toBe(202);
    expect((await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}/finish`, { method: 'POST' })).status).toBe(200);
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // The live chart's lag behind the newest stored event is bounded by the tick (1 s) plus what one
    // commit brings at once: commit every 500 ms here, so the 2 s bound below measures the tick path
    // and not the default 1 s commit interval (which trades freshness for QuestDB's CPU).
    stack = await startStack({ ...FAST, COLLECTOR_FLUSH_INTERVAL_MS: '500' }, 1);
    db = await questdbClient(stack.config);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await db?.end();
  });

  it('live page: numbers change every second during a load test and the latency chart is at most 2 s behind the newest stored event', async () => {
    const page = await open('#/live');
    const loading = load(runA, 14);
    await page.waitForSelector('qs-live-page >> text=jobs/s', { timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 5000));
    // Playwright's CSS locators pierce open shadow roots; innerText of the host alone would not.
    const text = async () => (await page.locator('qs-live-page .stats').allInnerTexts()).join('\n');
    const before = await text();
    await new Promise((r) => setTimeout(r, 2000));
    const after = await text();
    expect(after).not.toBe(before);
    // Lag: newest second with a latency point in the page's frame vs the newest stored finished job.
    const lags: number[] = [];
    for (let i = 0; i < 4; i++) {
      const chartTs = await page.evaluate(() => {
        const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
        const frame = (
          doc.querySelector('qs-live-page') as { live: { frame?: { ts: number[]; queues: Record<string, { p95: (number | null)[] }> } } }
        ).live.frame;
        if (!frame) return null;
        let newest: number | null = null;
        for (const q of Object.values(frame.queues)) q.p95.forEach((v, i) => v !== null && (newest = Math.max(newest ?? 0, frame.ts[i]!)));
        return newest;
      });
      const { rows } = await db.query<{ newest: Date }>(`SELECT max(ts) AS newest FROM job_events WHERE event IN ('completed', 'failed')`);
      const stored = Math.floor(rows[0]!.newest.getTime() / 1000) * 1000;
      expect(chartTs).not.toBeNull();
      lags.push(stored - chartTs!);
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(Math.max(...lags), `lags ${lags.join(', ')} ms`).toBeLessThanOrEqual(2000);
    await page.screenshot({ path: `${SHOTS}/live.png`, fullPage: true });
    await page.close();
    await loading;
  });

  it('ten open dashboards do not raise the collector’s SQL query rate', async () => {
    const rate = async (): Promise<number> => {
      const read = async () =>
        Number(/queuescope_live_sql_queries_total (\d+)/.exec(await (await fetch(`${stack.collectorUrl}/metrics`)).text())?.[1] ?? NaN);
      const start = await read();
      await new Promise((r) => setTimeout(r, 4000));
      return ((await read()) - start) / 4;
    };
    const one = await open('#/live');
    await new Promise((r) => setTimeout(r, 2000));
    const single = await rate();
    const more = await Promise.all(Array.from({ length: 9 }, () => open('#/live')));
    await new Promise((r) => setTimeout(r, 2000));
    const ten = await rate();
    for (const p of [one, ...more]) await p.close();
    expect(single).toBeGreaterThan(0);
    expect(ten).toBeLessThanOrEqual(single + 7 / 4);
  });

  it('runs, run and compare pages render real runs; the slower queue is marked worse', async () => {
    // Run B: the same load with the webhook handler made ~20× slower.
    await Promise.all(stack.procs.filter((p) => p.child.spawnargs.join(' ').includes('worker')).map((p) => p.kill('SIGTERM')));
    stack.addWorkers(1, { QUEUE_WEBHOOK_LATENCY: 'uniform:200:300' });
    await new Promise((r) => setTimeout(r, 3000));
    await load(runB, 10);
    for (const runId of [runA, runB]) {
      await waitFor(
        `all jobs of ${runId} stored`,
        async () => {
          const s = (await (await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}/summary`)).json()) as {
            jobs: number;
            queues: { completed: number; failed: number }[];
          };
          return s.jobs > 0 && s.queues.reduce((n, q) => n + q.completed + q.failed, 0) === s.jobs;
        },
        60_000,
        500,
      );
    }
    await pollQuery(
      db,
      `SELECT count() AS n FROM runs WHERE id = $1 AND status = 'finished'`,
      [runB],
      (r) => Number((r[0] as { n: number }).n) === 1,
    );

    const runs = await open('#/runs');
    await runs.waitForSelector(`qs-runs-page >> text=${runB}`);
    expect((await runs.locator('qs-runs-page table').allInnerTexts()).join('\n')).toContain(runA);
    await runs.screenshot({ path: `${SHOTS}/runs.png`, fullPage: true });
    await runs.close();

    const run = await open(`#/runs/${runB}`);
    await run.waitForSelector('qs-run-page >> text=Diagnosis');
    await run.waitForSelector('qs-run-page qs-summary-table');
    const runText = (await run.locator('qs-run-page p').allInnerTexts()).join('\n');
    expect(runText).toMatch(/Overall SLO verdict/);
    expect(await run.locator('qs-run-page qs-chart').count()).toBeGreaterThanOrEqual(5);
    await run.screenshot({ path: `${SHOTS}/run.png`, fullPage: true });
    await run.close();

    const compare = await open(`#/compare?a=${runA}&b=${runB}`);
    await compare.waitForSelector('qs-compare-page qs-delta-table');
    type Cell = { textContent: string | null };
    type Row = { querySelectorAll(s: string): Iterable<Cell> };
    const rows = await compare.locator('qs-delta-table').evaluate((el) => {
      const root = (el as unknown as { shadowRoot: { querySelectorAll(s: string): Iterable<Row> } | null }).shadowRoot;
      return [...(root?.querySelectorAll('tbody tr') ?? [])].map((tr) =>
        [...tr.querySelectorAll('th, td')].map((c) => c.textContent?.trim() ?? ''),
      );
    });
    const webhookP95 = rows.find((r) => r[0] === 'webhook' && r[1] === 'latency_p95_ms');
    expect(webhookP95?.[6]).toMatch(/worse/);
    await compare.screenshot({ path: `${SHOTS}/compare.png`, fullPage: true });
    await compare.close();
  });

  it('the live WebSocket answers a malformed subscription from a browser with an error frame and keeps serving the others', async () => {
    const watcher = await open('#/live');
    await watcher.waitForSelector('qs-live-page >> text=jobs/s', { timeout: 20_000 });
    const newestTs = () =>
      watcher.evaluate(() => {
        const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
        return (doc.querySelector('qs-live-page') as { live: { frame?: { ts: number[] } } }).live.frame?.ts.at(-1) ?? 0;
      });
    const before = await newestTs();
    const probe = await open('#/runs');
    const reply = await probe.evaluate(
      async (url) => {
        const Ws = (
          globalThis as unknown as {
            WebSocket: new (u: string) => {
              onopen: () => void;
              onmessage: (e: { data: string }) => void;
              send(d: string): void;
              close(): void;
            };
          }
        ).WebSocket;
        return new Promise<string>((resolve) => {
          const ws = new Ws(url);
          ws.onopen = () => ws.send('{"type":"subscribe","runId":"x\' OR \'1\'=\'1"}');
          ws.onmessage = (e) => {
            const m = JSON.parse(e.data) as { type: string; message?: string };
            if (m.type === 'error') {
              ws.close();
              resolve(m.message ?? '');
            }
          };
        });
      },
      `${stack.collectorUrl.replace('http', 'ws')}/api/v1/live`,
    );
    expect(reply).toMatch(/invalid subscribe message/);
    await waitFor('the other dashboard keeps getting ticks', async () => (await newestTs()) > before, 10_000, 250);
    await probe.close();
    await watcher.close();
  });

  it('no errors in the browser console on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
