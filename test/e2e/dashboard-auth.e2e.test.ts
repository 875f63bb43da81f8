/**
 * Issue 10, the token end to end: a real stack with QS_API_TOKEN and PRODUCER_API_TOKEN. The load
 * runner passes both (and stops before creating a run when the producer refuses its token); in
 * headless Chromium the dashboard opened with `#token=…` wipes the token from the URL and its Live
 * page receives frames and draws charts; opened without it, the page shows the token prompt instead
 * of failing silently, and the token typed there connects it; a wrong token is called refused.
 */
import { FAST_QUEUES } from '../support/env.js';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '@queuescope/contracts';
import { CHROMIUM, hasChromium, launchChromium } from '../support/browser.js';
import { waitFor } from '../support/processes.js';
import { startStack, type TestStack } from '../support/stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = `qs/${randomBytes(16).toString('base64')}`;
const PRODUCER_TOKEN = `pr-${randomBytes(16).toString('hex')}`;

const ready = hasChromium() && existsSync(`${ROOT}web/dist/index.html`);
const skipped = ready ? '' : ` — skipped: needs ${CHROMIUM} and a built dashboard (npm run build:web)`;

/** `npm run loadtest` (smoke, built-in engine) against the stack, with `env` on top of the stack's; its output so far, and its end. */
function runCli(
  stack: TestStack,
  env: Record<string, string>,
  args: string[] = [],
): { output: () => string; done: Promise<{ code: number; out: string }> } {
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', 'loadtest/src/cli.ts', '--scenario', 'smoke', '--duration', '8s', '--engine', 'builtin', ...args],
      ...['--producer-url', stack.producerUrl, '--collector-url', stack.collectorUrl],
    ],
    { cwd: ROOT, env: { ...stack.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { output: () => out, done: new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, out }))) };
}

/** The run id the load runner printed once it created its run. */
const RUN_LINE = /^run ([0-9a-f-]{36}):/m;

/** What the Live page's controller holds (public `live`, as dashboard.e2e.test.ts reads it). */
const liveState = (page: Page) =>
  page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
    const el = doc.querySelector('qs-live-page') as {
      live: {
        status: string;
        frame?: { ts: number[]; activeRun: { id: string } | null; queues: Record<string, { throughput: (number | null)[] }> };
      };
    } | null;
    const f = el?.live.frame;
    return {
      status: el?.live.status ?? null,
      frames: f ? f.ts.length : 0,
      newest: f?.ts.at(-1) ?? null,
      activeRun: f?.activeRun?.id ?? null,
      throughput: f ? Object.values(f.queues).reduce((n, q) => n + q.throughput.reduce<number>((m, v) => m + (v ?? 0), 0), 0) : 0,
    };
  });

describe.skipIf(!ready)(`dashboard and load runner with QS_API_TOKEN${skipped}`, () => {
  let stack: TestStack;
  let browser: Browser;

  /** A fresh browser context (empty sessionStorage) on the dashboard at `hash`. */
  const open = async (hash: string, errors?: string[]): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    if (errors) {
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
    }
    await page.goto(`${stack.collectorUrl}/${hash}`);
    return page;
  };

  beforeAll(async () => {
    stack = await startStack(
      { ...FAST_QUEUES, QS_API_TOKEN: TOKEN, PRODUCER_API_TOKEN: PRODUCER_TOKEN, COLLECTOR_FLUSH_INTERVAL_MS: '500' },
      1,
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('the stack refuses writes without the tokens (the fixture is what it claims)', async () => {
    expect((await fetch(`${stack.collectorUrl}/api/v1/runs`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${stack.producerUrl}/api/v1/payments`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${stack.collectorUrl}/api/v1/runs`)).status).toBe(200);
  });

  it('opened with #token=…: the token leaves the URL, the Live page receives frames of the running load test and draws its charts', async () => {
    const errors: string[] = [];
    const page = await open(`#token=${encodeURIComponent(TOKEN)}`, errors);
    const loading = runCli(stack, {}, ['--duration', '12s']);
    expect(await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe('#/live');

    let runId = '';
    await waitFor('the load runner creating its run', () => ((runId = RUN_LINE.exec(loading.output())?.[1] ?? ''), runId !== ''), 30_000);
    await waitFor(
      `the Live page showing run ${runId} as the active run, with jobs flowing`,
      async () => {
        const s = await liveState(page);
        return s.status === 'open' && s.activeRun === runId && s.throughput > 0;
      },
      40_000,
      500,
    );
    const newest = (await liveState(page)).newest;
    // uPlot draws into a canvas per chart; one chart per queue plus Redis and workers.
    expect(await page.locator('qs-live-page qs-chart canvas').count()).toBeGreaterThan(3);
    expect(await page.locator('qs-token-prompt').count()).toBe(0);

    const { code, out } = await loading.done;
    expect([0, 1], out).toContain(code);
    // Every request of the built-in engine carried the producer's token: all of them were accepted.
    const run = (await (await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}`)).json()) as Run;
    expect(run.status).toBe('finished');
    expect(run.clientSummary?.requests).toBeGreaterThan(0);
    expect(run.clientSummary?.accepted).toBe(run.clientSummary?.requests);
    // Ticks keep arriving after the load test ended.
    await waitFor('a newer live second', async () => ((await liveState(page)).newest ?? 0) > (newest ?? 0), 10_000, 500);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('opened without the token: the prompt shows instead of a silent failure; the token typed there connects the Live page', async () => {
    const page = await open('#/live');
    await page.locator('qs-token-prompt').getByText('needs its API token').waitFor({ timeout: 20_000 });
    expect((await liveState(page)).status).toBe('unauthorized');
    expect((await liveState(page)).frames).toBe(0);

    await page.locator('qs-token-prompt input').fill(TOKEN);
    await page.locator('qs-token-prompt button').click();
    await waitFor('the Live page connected with the typed token', async () => (await liveState(page)).frames > 0, 20_000, 250);
    expect((await liveState(page)).status).toBe('open');
    expect(await page.locator('qs-token-prompt').count()).toBe(0);
    // The token stays for the tab: a reload connects without asking.
    await page.reload();
    await waitFor('the reloaded Live page connected', async () => (await liveState(page)).frames > 0, 20_000, 250);
    expect(await page.locator('qs-token-prompt').count()).toBe(0);
    await page.context().close();
  });

  it('opened with a wrong token: the prompt says the token was refused', async () => {
    const page = await open(`#/live?token=${encodeURIComponent(`${TOKEN}x`)}`);
    await page.locator('qs-token-prompt').getByText('refused this API token').waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe('#/live');
    expect((await liveState(page)).frames).toBe(0);
    await page.context().close();
  });

  it('the load runner with a wrong producer token stops before creating a run (exit 2); with a wrong collector token it fails naming the variable', async () => {
    const name = `refused-${randomBytes(6).toString('hex')}`;
    const wrongProducer = await runCli(stack, { PRODUCER_API_TOKEN: `${PRODUCER_TOKEN}x` }, ['--name', name]).done;
    expect(wrongProducer.code, wrongProducer.out).toBe(2);
    expect(wrongProducer.out).toMatch(/refused the request \(401\): set PRODUCER_API_TOKEN/);
    expect(wrongProducer.out).not.toMatch(RUN_LINE);
    const wrongCollector = await runCli(stack, { QS_API_TOKEN: `${TOKEN}x` }, ['--name', name]).done;
    expect(wrongCollector.code, wrongCollector.out).toBe(2);
    expect(wrongCollector.out).toMatch(/401.*QS_API_TOKEN/);
    expect(wrongProducer.out + wrongCollector.out).not.toContain(TOKEN);
    const { runs } = (await (await fetch(`${stack.collectorUrl}/api/v1/runs?limit=100`)).json()) as { runs: { name: string }[] };
    expect(runs.map((r) => r.name)).not.toContain(name);
  });
});
