/**
 * Issue 10, "Done when": 200 WebSocket subscriptions for distinct runs and 10 slow exports at once
 * against a real collector process with its default limits. Memory stays bounded (VmRSS of the
 * process), the sockets beyond COLLECTOR_WS_MAX_CONNECTIONS are refused with 503 before the
 * upgrade, subscriptions beyond COLLECTOR_LIVE_MAX_FILTERS get an error frame, the exports beyond
 * COLLECTOR_EXPORT_CONCURRENCY get 429, and /readyz, the runs list and the ingest status keep
 * answering within 2 s each meanwhile.
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testConfig, uniqueRunId } from '../support/env.js';
import { freePort, spawnService, waitForHttp, type ServiceProcess } from '../support/processes.js';
import { pollQuery, questdbClient } from '../support/questdb.js';

/** Sockets opened at once, each subscribing to a run of its own. */
const SOCKETS = 200;
/** Exports fired at once. */
const EXPORTS = 10;
/** Rows of the exported run: ~40 MB of CSV, so an export whose client does not read stalls. */
const ROWS = 300_000;
/**
 * Every other route must answer within this, ms. Measured (same machine, 2026-12, moderate load from
 * other processes): slowest of ~10 requests each under the load 369–574 ms (/readyz), 166–468 ms
 * (runs list), 31–33 ms (ingest status); idle 5–405 ms.
 */
const ROUTE_BOUND_MS = 2000;
/**
 * Upper bound of the collector's resident memory during the test, bytes. Measured on the 2-core
 * development machine (Node 20 under tsx, 2026-12): 179–185 MB before the load, 204–218 MB peak
 * during it (the test prints both). The bound leaves room for noise, not for unbounded buffering:
 * ten 40 MB exports buffered in full would alone exceed it.
 */
const RSS_BOUND_BYTES = 320 * 1024 * 1024;

/** VmRSS of a process, bytes. */
function rss(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb) * 1024;
  } catch {
    return 0; // the process is gone: the test fails on its own assertions
  }
}

interface Socket {
  ws: WebSocket;
  /** HTTP status of a refused upgrade, or 101. */
  status: Promise<number>;
  errors: string[];
  backfills: number;
}

function open(url: string): Socket {
  const ws = new WebSocket(url);
  const socket: Socket = { ws, status: Promise.resolve(0), errors: [], backfills: 0 };
  socket.status = new Promise<number>((resolve) => {
    ws.on('open', () => resolve(101));
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('error', () => resolve(-1));
  });
  ws.on('message', (raw: Buffer) => {
    const m = JSON.parse(raw.toString()) as { type: string; message?: string };
    if (m.type === 'error') socket.errors.push(m.message ?? '');
    if (m.type === 'backfill') socket.backfills++;
  });
  return socket;
}

describe('200 live subscriptions and 10 slow exports at once', () => {
  const { config, env } = testConfig();
  const limits = config.collector.limits;
  let collector: ServiceProcess;
  let url: string;
  let db: pg.Client;
  let bigRun: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    collector = spawnService('collector', { ...env, COLLECTOR_PORT: String(port), COLLECTOR_HOST: '127.0.0.1' });
    await waitForHttp(`${url}/readyz`, collector);
    db = await questdbClient(config);
    const created = await fetch(`${url}/api/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: uniqueRunId('big-export') }),
    });
    const run = (await created.json()) as { id: string; startedAt: string };
    bigRun = run.id;
    const startUs = Date.parse(run.startedAt) * 1000;
    await db.query(
      `INSERT INTO job_events (ts, run_id, queue, event, job_id, job_name, attempt, worker)
       SELECT cast(${startUs} + x AS timestamp), '${bigRun}', 'export-load', 'added', 'job-' || x, 'bulk', 0, 'w:1' FROM long_sequence(${ROWS})`,
    );
    await pollQuery<{ n: number }>(db, 'SELECT count() AS n FROM job_events WHERE run_id = $1', [bigRun], (r) => r[0]?.n === ROWS, 60_000);
  });

  afterAll(async () => {
    await collector?.kill('SIGKILL');
    await db?.end();
  });

  it('keeps memory bounded, refuses what is over each limit as documented, and the other routes keep answering', async () => {
    const paths = ['/readyz', '/api/v1/runs?limit=20', '/api/v1/ingest/status'];
    /** Request each path once, asserting 200; keeps the slowest time per path in `into`, ms. */
    const timeRoutes = async (into: Record<string, number>): Promise<void> => {
      for (const path of paths) {
        const t = Date.now();
        const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        into[path] = Math.max(into[path] ?? 0, Date.now() - t);
        expect(res.status, path).toBe(200);
      }
    };
    // Without the load, for comparison in the printed numbers (a busy machine slows both).
    const idle: Record<string, number> = {};
    await timeRoutes(idle);

    const pid = collector.child.pid!;
    const before = rss(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 100);
    const sockets: Socket[] = [];
    const exports: Response[] = [];
    try {
      // 200 sockets at once; each that opens subscribes to a run of its own.
      sockets.push(...Array.from({ length: SOCKETS }, () => open(`${url.replace('http', 'ws')}/api/v1/live`)));
      const statuses = await Promise.all(sockets.map((s) => s.status));
      const opened = sockets.filter((_, i) => statuses[i] === 101);
      expect(opened).toHaveLength(limits.wsMaxConnections);
      expect(statuses.filter((s) => s === 503)).toHaveLength(SOCKETS - limits.wsMaxConnections);
      for (const s of opened) s.ws.send(JSON.stringify({ type: 'subscribe', runId: uniqueRunId('live-load') }));

      // 10 exports at once, none of them read: the first COLLECTOR_EXPORT_CONCURRENCY stall, the others get 429.
      exports.push(...(await Promise.all(Array.from({ length: EXPORTS }, () => fetch(`${url}/api/v1/runs/${bigRun}/events`)))));
      for (const r of exports.filter((x) => x.status !== 200 && x.status !== 429)) console.log(r.status, await r.text());
      expect(exports.map((r) => r.status).sort((x, y) => x - y)).toEqual([
        ...Array<number>(limits.exportConcurrency).fill(200),
        ...Array<number>(EXPORTS - limits.exportConcurrency).fill(429),
      ]);
      for (const r of exports.filter((x) => x.status === 429)) expect(r.headers.get('retry-after')).toBe('5');

      // For ~6 s under that load, every other route answers within the bound.
      const slowest: Record<string, number> = {};
      const until = Date.now() + 6000;
      while (Date.now() < until) {
        await timeRoutes(slowest);
        await new Promise((r) => setTimeout(r, 200));
      }
      console.log(`route ms, slowest of one idle request:`, idle, `slowest under load:`, slowest);
      for (const [path, ms] of Object.entries(slowest)) expect(ms, path).toBeLessThan(ROUTE_BOUND_MS);

      // Runs beyond COLLECTOR_LIVE_MAX_FILTERS got an error frame naming it, and kept streaming all runs.
      const refusedFilters = opened.filter((s) => s.errors.some((e) => e.includes(`COLLECTOR_LIVE_MAX_FILTERS=${limits.liveMaxFilters}`)));
      expect(refusedFilters.length).toBeGreaterThanOrEqual(limits.wsMaxConnections - limits.liveMaxFilters);
      expect(opened.every((s) => s.backfills >= 1)).toBe(true);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(Number(/^queuescope_live_filters (\d+)$/m.exec(metrics)?.[1])).toBeLessThanOrEqual(limits.liveMaxFilters);
      expect(metrics).toMatch(new RegExp(`^queuescope_live_connections ${limits.wsMaxConnections}$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^queuescope_exports_running ${limits.exportConcurrency}$`, 'm'));

      console.log(`collector VmRSS: ${(before / 2 ** 20).toFixed(0)} MB before, ${(peak / 2 ** 20).toFixed(0)} MB peak`);
      expect(peak).toBeLessThan(RSS_BOUND_BYTES);
    } finally {
      clearInterval(sampler);
      for (const s of sockets) s.ws.terminate();
      await Promise.all(exports.map((r) => r.body?.cancel().catch(() => undefined)));
    }
  });
});
