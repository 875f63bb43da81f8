/**
 * Issue 11, item 6 ("the newcomer's path"), with real processes and headless Chromium: in a copy of
 * the working tree without web/dist — what a fresh clone has — `npm run stack` (infra/scripts/stack.sh)
 * builds the dashboard, saying so, and serves it at `/` with charts and without one failing request
 * (favicon included); the worker chart lists the stack's own worker processes; a dashboard rebuilt
 * while the collector runs is served by that same collector; a source newer than the build makes
 * the next `npm run stack` rebuild. The copy lives in a temporary directory, so the repository's
 * own web/dist (used by other tests) is never touched, and the stack gets a QuestDB of its own, as
 * a newcomer's machine has: on the suite's shared one, the workers of earlier tests fill the Live
 * page's last five minutes, and the busiest ten of them push this stack's two into "+N others".
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, launchChromium } from '../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv, uniqueRunId } from '../support/env.js';
import { freePort, waitFor } from '../support/processes.js';
import { sendJobs } from '../support/stack.js';
import { PrivateQuestdb } from '../support/questdb-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FAST = {
  QUEUE_PAYMENT_LATENCY: 'uniform:5:15',
  QUEUE_NOTIFICATION_LATENCY: 'uniform:5:15',
  QUEUE_WEBHOOK_LATENCY: 'uniform:5:15',
};
const WORKER_CHART = 'qs-live-page qs-chart[label^="Jobs finished per worker"]';

/** The working tree as a fresh clone has it (tracked and new files, nothing ignored), node_modules linked. */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qs-fresh-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT }).toString().split('\0');
  for (const file of files) {
    if (!file || !existsSync(join(ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  for (const modules of ['node_modules', 'web/node_modules', 'services/collector/node_modules']) {
    if (existsSync(join(ROOT, modules))) symlinkSync(join(ROOT, modules), join(dir, modules));
  }
  return dir;
}

/** `npm run stack` as a newcomer runs it, in `cwd`, with its output kept for assertions. */
class StackProcess {
  readonly child: ChildProcess;
  private out = '';
  readonly exited: Promise<unknown>;

  constructor(cwd: string, env: Record<string, string>) {
    this.child = spawn('bash', ['infra/scripts/stack.sh', '--workers', '2'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) stream.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
  }

  output(): string {
    return this.out;
  }

  async waitFor(text: string | RegExp, timeoutMs: number): Promise<void> {
    await waitFor(
      `stack output ${String(text)}; so far:\n${this.out.slice(-3000)}`,
      () => {
        if (this.child.exitCode !== null) throw new Error(`stack exited (${this.child.exitCode}):\n${this.out.slice(-3000)}`);
        return typeof text === 'string' ? this.out.includes(text) : text.test(this.out);
      },
      timeoutMs,
      250,
    );
  }

  /** Pids of its children running `services/<name>/src/main.ts`. */
  childPids(name: string): number[] {
    const ps = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(this.child.pid)]).toString();
    return ps
      .split('\n')
      .filter((l) => l.includes(`services/${name}/src/main.ts`))
      .map((l) => Number(l.trim().split(/\s+/)[0]));
  }

  /** SIGTERM (the stack stops its children in order), then wait for the exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

describe.skipIf(!hasChromium())('npm run stack on a fresh clone', () => {
  let dir: string;
  let stack: StackProcess;
  let browser: Browser;
  let collectorUrl: string;
  let producerUrl: string;
  let env: Record<string, string>;
  let questdb: PrivateQuestdb | undefined;
  /** Every request of every page that failed or answered >= 400, and console errors. */
  const failures: string[] = [];

  const open = async (path: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('requestfailed', (r) => failures.push(`${r.method()} ${r.url()} failed: ${r.failure()?.errorText}`));
    page.on('response', (r) => r.status() >= 400 && failures.push(`${r.request().method()} ${r.url()} answered ${r.status()}`));
    page.on('console', (m) => m.type() === 'error' && failures.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
    await page.goto(`${collectorUrl}${path}`);
    return page;
  };

  beforeAll(async () => {
    dir = freshCopy();
    const [producerPort, collectorPort] = [await freePort(), await freePort()];
    questdb = await PrivateQuestdb.start();
    env = testEnv({
      ...FAST,
      PRODUCER_PORT: String(producerPort),
      COLLECTOR_PORT: String(collectorPort),
      QUESTDB_HTTP: questdb.http,
      QUESTDB_PG: questdb.pg,
    });
    collectorUrl = `http://127.0.0.1:${collectorPort}`;
    producerUrl = `http://127.0.0.1:${producerPort}`;
    stack = new StackProcess(dir, env);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await questdb?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds the missing dashboard with a progress line, then serves it at / with charts and no failing request', async () => {
    expect(existsSync(join(dir, 'web/dist'))).toBe(false);
    await stack.waitFor('[stack] building the dashboard (web/dist is missing)', 30_000);
    await stack.waitFor(/\[stack\] dashboard built in [\d.]+ s/, 120_000);
    await stack.waitFor('queuescope is up', 90_000);
    expect(existsSync(join(dir, 'web/dist/index.html'))).toBe(true);

    const index = await fetch(`${collectorUrl}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await index.text())?.[1];
    expect(asset).toBeDefined();
    expect((await fetch(`${collectorUrl}${asset}`)).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const favicon = await fetch(`${collectorUrl}/favicon.ico`);
    expect(favicon.status).toBe(200);
    expect(favicon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);

    const loading = sendJobs(
      producerUrl,
      uniqueRunId('fresh'),
      { payment: 60, notification: 60, webhook: 60 },
      { clients: 4, ratePerSec: 30 },
    );
    const page = await open('/#/live');
    await page.waitForSelector('qs-live-page >> text=jobs/s', { timeout: 30_000 });
    await page.waitForSelector('qs-live-page qs-chart canvas', { timeout: 10_000 });
    expect(await page.locator('qs-live-page qs-chart').count()).toBeGreaterThanOrEqual(3 * 5 + 3);
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('/favicon.svg');

    // The worker chart: the stack's two worker processes, each by host:pid, and at most 10 + "+N others".
    const workers = stack.childPids('worker');
    expect(workers).toHaveLength(2);
    const legend = async (): Promise<string[]> =>
      (await page.locator(`${WORKER_CHART} .u-legend .u-label`).allInnerTexts()).filter((l) => /:\d+$|^\+\d+ others$/.test(l));
    await waitFor(
      `worker chart legend lists pids ${workers.join(', ')}`,
      async () => {
        const pids = (await legend()).map((l) => Number(/:(\d+)$/.exec(l)?.[1]));
        return workers.every((p) => pids.includes(p));
      },
      60_000,
      500,
    );
    expect((await legend()).length).toBeLessThanOrEqual(11);
    const result = await loading;
    expect(result.statuses.every((s) => s === 202)).toBe(true);
    await page.close();
    expect(failures).toEqual([]);
  });

  it('serves a dashboard rebuilt while the collector runs, without restarting it', async () => {
    const [collector] = stack.childPids('collector');
    expect(collector).toBeDefined();
    const before = await (await fetch(`${collectorUrl}/`)).text();
    const oldCss = /href="(\/assets\/[^"]+\.css)"/.exec(before)?.[1];
    expect(oldCss).toBeDefined();

    const marker = `rebuilt-${Date.now()}`;
    const html = join(dir, 'web/index.html');
    writeFileSync(html, readFileSync(html, 'utf8').replace('<title>queuescope</title>', `<title>queuescope ${marker}</title>`));
    const css = join(dir, 'web/src/styles/tokens.css');
    writeFileSync(css, `${readFileSync(css, 'utf8')}\n.${marker} { outline: 1px solid red; }\n`);
    execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: dir, stdio: 'ignore' });

    const after = await fetch(`${collectorUrl}/`);
    expect(after.status).toBe(200);
    const text = await after.text();
    expect(text).toContain(marker);
    const newCss = /href="(\/assets\/[^"]+\.css)"/.exec(text)?.[1];
    expect(newCss).toBeDefined();
    expect(newCss).not.toBe(oldCss);
    expect((await fetch(`${collectorUrl}${newCss}`)).status).toBe(200);
    expect((await fetch(`${collectorUrl}${oldCss}`)).status).toBe(404);

    const page = await open('/#/live');
    await page.waitForSelector('qs-live-page >> text=jobs/s', { timeout: 30_000 });
    // The page in the browser is the new build: its stylesheet is the new one, with the new rule.
    expect(await page.locator('link[rel="stylesheet"]').getAttribute('href')).toBe(newCss);
    const hasRule = await page.evaluate((m) => {
      const doc = (globalThis as unknown as { document: { styleSheets: Iterable<{ cssRules: Iterable<{ cssText: string }> }> } }).document;
      return [...doc.styleSheets].some((sheet) => [...sheet.cssRules].some((r) => r.cssText.includes(m)));
    }, marker);
    expect(hasRule).toBe(true);
    await page.close();
    expect(stack.childPids('collector')).toEqual([collector]);
    expect(failures).toEqual([]);
  });

  it('the next npm run stack rebuilds a dashboard older than its sources', async () => {
    await stack.stop();
    const main = join(dir, 'web/src/main.ts');
    const later = new Date(Date.now() + 60_000);
    utimesSync(main, later, later);
    stack = new StackProcess(dir, env);
    await stack.waitFor('[stack] building the dashboard (web/src/main.ts changed since the last build)', 30_000);
    await stack.waitFor('queuescope is up', 180_000);
    expect((await fetch(`${collectorUrl}/`)).status).toBe(200);
  });
});
