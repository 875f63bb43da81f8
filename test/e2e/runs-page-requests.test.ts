/**
 * Issue 11 item 3, in real headless Chromium: the runs page makes one API request for the list,
 * whatever the number of runs (`GET /api/v1/runs` carries each run's jobs and verdicts), and shows
 * what that one answer says. The collector runs in-process on the real Redis and QuestDB and
 * serves the built dashboard (web/dist).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Run } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../services/collector/test/helper.js';
import { FAILING, HEALTHY, finishedRunWith } from '../../services/collector/test/routes/run-fixture.js';
import { hasChromium, launchChromium } from '../support/browser.js';
import { testConfig, uniqueRunId } from '../support/env.js';
import { questdbClient } from '../support/questdb.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { config } = testConfig();
/** Runs without events on top of the two with events: more runs must not mean more requests. */
const EMPTY_RUNS = 8;

describe.skipIf(!hasChromium() || !existsSync(`${ROOT}web/dist/index.html`))('runs page in headless Chromium', () => {
  let app: FastifyInstance;
  let db: pg.Client;
  let browser: Browser;
  let url: string;
  let passing: Run;
  let failing: Run;
  const empty: string[] = [];

  beforeAll(async () => {
    app = await build(config);
    db = await questdbClient(config);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    passing = await finishedRunWith(app, db, uniqueRunId('page-pass'), [HEALTHY]);
    failing = await finishedRunWith(app, db, uniqueRunId('page-fail'), [HEALTHY, FAILING]);
    for (let i = 0; i < EMPTY_RUNS; i++) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name: uniqueRunId('page-empty') } });
      empty.push(res.json<Run>().name);
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await db?.end();
  });

  it('loads the list of runs, their jobs and verdicts with exactly one API request', async () => {
    const page = await browser.newPage();
    const api: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/api/')) api.push(`${r.method()} ${u.pathname}${u.search}`);
    });
    page.on('websocket', (ws) => api.push(`WS ${new URL(ws.url()).pathname}`));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

    await page.goto(`${url}/#/runs`);
    await page.waitForSelector(`qs-runs-page >> text=${failing.name}`);
    await page.waitForLoadState('networkidle');
    // Anything a fan-out would still fetch after the list has had time to start.
    await new Promise((r) => setTimeout(r, 1500));

    const rows = page.locator('qs-run-table tbody tr');
    expect(await rows.count()).toBeGreaterThanOrEqual(EMPTY_RUNS + 2);
    expect(api).toEqual(['GET /api/v1/runs?limit=50&offset=0']);
    expect(errors).toEqual([]);

    // What the one answer says is on the page: jobs and the worst and per-queue verdicts.
    const text = async (name: string) => (await page.locator('qs-run-table tbody tr', { hasText: name }).innerText()).replace(/\s+/g, ' ');
    expect(await text(failing.name)).toMatch(/80 ✖ fail notification: ✔ pass webhook: ✖ fail/);
    expect(await text(passing.name)).toMatch(/40 ✔ pass notification: ✔ pass/);
    expect(await text(empty[0]!)).toMatch(/0 – no data/);
    await page.close();
  });
});
