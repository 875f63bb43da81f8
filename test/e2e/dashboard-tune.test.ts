/**
 * Issue 12 points 1 and 3, in real headless Chromium: the run page of a `loadtest --tune` re-run
 * tells the tune story (round, the previous run and its verdicts → this run's, the applied changes,
 * a link to the comparison of the two runs), lists the concurrency changes (the one tune applied
 * between the rounds, tagged with the diagnosed run, and one made during the re-run) and draws them
 * as markers on the charts. A collector without the changes route (404) leaves the page whole.
 * Runs are made through the collector API with the config `loadtest --tune` stores, their events
 * written straight into QuestDB; the collector runs in-process on the real Redis and QuestDB, in a
 * namespace of its own (so the concurrency settings are this file's), and serves web/dist.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { concurrencyKeys, type ConcurrencyChanges, type Run } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertJobs, waitForRows, type JobSeries } from '../../services/collector/test/analytics/fixture.js';
import { build } from '../../services/collector/test/helper.js';
import { hasChromium, launchChromium } from '../support/browser.js';
import { testConfig, uniqueRunId } from '../support/env.js';
import { waitFor } from '../support/processes.js';
import { questdbClient } from '../support/questdb.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = `${ROOT}test-results/screenshots`;
const { config } = testConfig({
  QUEUE_WEBHOOK_CONCURRENCY: '1',
  QUEUE_WEBHOOK_SLO_P95_MS: '100',
  QUEUE_WEBHOOK_SLO_P99_MS: '200',
  QUEUE_WEBHOOK_SLO_ERROR_RATE: '0.05',
});

type Jobs = Omit<JobSeries, 'startMs' | 'stepMs'>;
const STEP_MS = 25;
const NOTIFICATIONS: Jobs = { queue: 'notification', n: 40, wait: '1', run: '5' };
/** Round 1: webhooks wait 300 ms for a slot, over the 100 ms p95 target. */
const SLOW_WEBHOOKS: Jobs = { queue: 'webhook', n: 40, wait: '300', run: '8' };
/** Round 2: the same webhooks start at once. */
const FAST_WEBHOOKS: Jobs = { queue: 'webhook', n: 40, wait: '2', run: '8' };
const APPLIED = 'webhook 1 → 3 per process';

/** A qs-chart as the page sees it (no DOM types in the test's compilation). */
interface BrowserChart {
  pending: boolean;
  data: unknown[][];
  shadowRoot: { querySelector(s: string): { getAttribute(a: string): string | null } | null };
}
interface ChartState {
  pending: boolean;
  points: number;
  drawn: number | null;
}

describe.skipIf(!hasChromium() || !existsSync(`${ROOT}web/dist/index.html`))('tune story on the run page in headless Chromium', () => {
  let app: FastifyInstance;
  let db: pg.Client;
  let browser: Browser;
  let url: string;
  let first: Run;
  let second: Run;

  const setConcurrency = async (concurrency: number, actor: string, runId: string, reason: string): Promise<void> => {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/queues/webhook/concurrency',
      payload: { concurrency, actor, runId, reason },
    });
    expect(res.statusCode, res.body).toBe(200);
  };

  /** A run created with `tune` in its config, holding `jobs` from its start on, and finished after them; `during` runs before the finish. */
  const tunedRun = async (tune: Record<string, unknown>, jobs: Jobs[], during?: (run: Run) => Promise<void>): Promise<Run> => {
    const id = uniqueRunId(`tune-${String(tune['round'])}`);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/runs',
      payload: { id, name: id, scenario: 'smoke', engine: 'builtin', config: { tune } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const run = created.json<Run>();
    const startMs = Date.parse(run.startedAt) + 100;
    let rows = 0;
    for (const s of jobs) rows += await insertJobs(db, run.id, { ...s, startMs, stepMs: STEP_MS });
    await waitForRows(db, run.id, rows);
    await during?.(run);
    // Finish after the last job's events, so the run's time range holds them all.
    const lastMs = startMs + Math.max(...jobs.map((s) => s.n)) * STEP_MS + 400;
    await new Promise((r) => setTimeout(r, Math.max(0, lastMs - Date.now())));
    const finished = await app.inject({ method: 'POST', url: `/api/v1/runs/${run.id}/finish` });
    expect(finished.statusCode).toBe(200);
    return finished.json<Run>();
  };

  const changesOf = async (runId: string): Promise<ConcurrencyChanges['changes']> =>
    (await app.inject({ method: 'GET', url: `/api/v1/runs/${runId}/concurrency-changes` })).json<ConcurrencyChanges>().changes;

  /** A page that records its API requests, failed responses and console errors. */
  const open = async (hash: string) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const failed: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/api/')) requests.push(`${r.method()} ${u.pathname}${u.search}`);
    });
    page.on('response', (r) => {
      if (r.status() < 400) return;
      const at = failed.push(`${r.status()} ${r.url()}`) - 1;
      void r.text().then(
        (body) => (failed[at] += ` ${body.slice(0, 300)}`),
        () => undefined,
      );
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    /** Waits for `locator`; on a timeout, says what the page asked for and what went wrong. */
    const show = (locator: Locator) =>
      locator.waitFor().catch((err: Error) => {
        throw new Error(`${err.message}\nAPI requests: ${requests.join(', ')}\nfailed: ${failed.join(', ')}\nerrors: ${errors.join(', ')}`);
      });
    return { page, requests, failed, errors, show, goto: () => page.goto(`${url}/${hash}`) };
  };

  /** What each chart of the run page holds: still loading, its points, and how many markers its last draw showed. */
  const charts = (page: Page): Promise<ChartState[]> =>
    page.locator('qs-run-page qs-chart').evaluateAll((els) =>
      (els as unknown as BrowserChart[]).map((el) => {
        const drawn = el.shadowRoot.querySelector('.plot')?.getAttribute('data-drawn-markers');
        return {
          pending: el.pending,
          points: el.data[0]?.length ?? 0,
          drawn: drawn === null || drawn === undefined ? null : Number(drawn),
        };
      }),
    );

  /** Waits until every chart has loaded and each one with data satisfies `ok`; returns the charts with data. */
  const chartsWithData = async (page: Page, ok: (drawn: number | null) => boolean): Promise<ChartState[]> => {
    let last: ChartState[] = [];
    await waitFor(
      'the charts to load and draw their markers',
      async () => {
        last = await charts(page);
        return last.length >= 7 && last.every((c) => !c.pending && (c.points === 0 || ok(c.drawn)));
      },
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
    return last.filter((c) => c.points > 0);
  };

  beforeAll(async () => {
    app = await build(config);
    db = await questdbClient(config);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    first = await tunedRun({ round: 1 }, [NOTIFICATIONS, SLOW_WEBHOOKS]);
    // What tune does between the rounds: the change is tagged with the run it diagnosed.
    await setConcurrency(3, 'tune', first.id, `loadtest --tune after run ${first.id}: wait p95 over target`);
    second = await tunedRun({ round: 2, previousRunId: first.id, changes: [APPLIED] }, [NOTIFICATIONS, FAST_WEBHOOKS], (run) =>
      setConcurrency(4, 'cli', run.id, 'one more slot by hand'),
    );
    // Rows of concurrency_changes are visible once QuestDB applied its WAL.
    await waitFor('both changes readable through the API', async () => {
      const [a, b] = await Promise.all([changesOf(first.id), changesOf(second.id)]);
      return a.some((c) => c.to === 3) && b.some((c) => c.to === 4);
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    // The namespace is this file's; leave no setting behind in Redis all the same.
    await app?.redis.del(concurrencyKeys(config.namespace, 'webhook').setting);
    await app?.close();
    await db?.end();
  });

  it('the re-run tells its tune story, lists both changes and draws them on every chart', async () => {
    const { page, requests, failed, errors, show, goto } = await open(`#/runs/${second.id}`);
    await goto();
    const story = page.locator('qs-run-page qs-tune-story');
    await show(story.locator('text=Tune round 2'));
    await story.locator('table').waitFor();
    // Playwright's CSS locators pierce shadow roots; innerText of a host alone would be empty.
    const text = (await story.locator('section').innerText()).replace(/\s+/g, ' ');
    expect(text).toContain(`Re-run of ${first.name} (round 1)`);
    expect(text).toMatch(/Overall SLO verdict: ✖ fail → ✔ pass/);
    expect(text).toMatch(/webhook ✖ fail p95 3\d\d ms ✔ pass p95 \d+(\.\d)? ms/);
    expect(text).toMatch(/notification ✔ pass p95 [\d.]+ ms ✔ pass p95 [\d.]+ ms/);
    expect(text).toContain(APPLIED);
    expect(await story.locator('a', { hasText: first.name }).getAttribute('href')).toBe(`#/runs/${first.id}`);
    expect(await story.locator('a', { hasText: 'Compare round 1 with round 2' }).getAttribute('href')).toBe(
      `#/compare?a=${first.id}&b=${second.id}`,
    );

    const list = page.locator('qs-run-page qs-concurrency-changes tbody tr');
    await list.first().waitFor();
    const rows = (await list.allInnerTexts()).map((r) => r.replace(/\s+/g, ' '));
    expect(
      rows.some((r) => /webhook 1 → 3 tune loadtest --tune after run/.test(r)),
      rows.join('\n'),
    ).toBe(true);
    expect(
      rows.some((r) => /webhook 3 → 4 cli one more slot by hand/.test(r)),
      rows.join('\n'),
    ).toBe(true);

    // Every time chart with data draws both: the between-round change on its left edge, the other in the run.
    const drawn = await chartsWithData(page, (n) => n !== null && n >= 2);
    expect(drawn.length, 'latency p95 and p99, throughput and wait at least').toBeGreaterThanOrEqual(4);
    expect(await page.locator('qs-run-page qs-chart').first().locator('li', { hasText: 'webhook 1→3' }).count()).toBe(1);

    await page.waitForLoadState('networkidle');
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}/run-tune-round-2.png`, fullPage: true });
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    // The diagnosis, the time series, and one request each for the changes, the previous summary and its changes.
    const extra = requests.filter((r) => !r.includes('/timeseries?'));
    expect(extra.sort()).toEqual(
      [
        `GET /api/v1/runs/${second.id}/diagnosis`,
        `GET /api/v1/runs/${second.id}/concurrency-changes`,
        `GET /api/v1/runs/${first.id}/summary`,
        `GET /api/v1/runs/${first.id}/concurrency-changes`,
      ].sort(),
    );
    await page.close();
  });

  it('round 1 says what it is and shows the change tune made after it ended', async () => {
    const { page, failed, errors, show, goto } = await open(`#/runs/${first.id}`);
    await goto();
    const story = page.locator('qs-run-page qs-tune-story');
    await show(story.locator('text=Tune round 1'));
    expect(await story.locator('section').innerText()).toContain('The first run of loadtest --tune');
    await page.locator('qs-run-page qs-concurrency-changes tbody tr', { hasText: '1 → 3' }).waitFor();
    expect((await chartsWithData(page, (n) => n !== null && n >= 1)).length).toBeGreaterThanOrEqual(4);
    await page.waitForLoadState('networkidle');
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a collector without the changes route (404) leaves the page whole: no list, no markers, no error', async () => {
    const { page, errors, show, goto } = await open(`#/runs/${second.id}`);
    await page.route('**/api/v1/runs/*/concurrency-changes', (route) =>
      route.fulfill({
        status: 404,
        contentType: 'application/json',
        body: JSON.stringify({ statusCode: 404, code: 'FST_ERR_NOT_FOUND', message: 'Route GET not found' }),
      }),
    );
    await goto();
    await show(page.locator('qs-run-page qs-tune-story >> text=Overall SLO verdict'));
    await page.waitForLoadState('networkidle');
    expect((await chartsWithData(page, (n) => n === 0)).length).toBeGreaterThanOrEqual(4);
    const headings = await page.locator('qs-run-page h2').allInnerTexts();
    expect(headings).toContain('Over time');
    expect(headings).not.toContain('Concurrency changes');
    expect((await page.locator('qs-run-page p').allInnerTexts()).filter((t) => /could not be loaded/.test(t))).toEqual([]);
    expect(await page.locator('qs-run-page qs-concurrency-changes tbody tr').count()).toBe(0);
    // Chromium logs each 404 response; nothing else may be logged.
    expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
    await page.close();
  });
});
