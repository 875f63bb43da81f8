/**
 * `npm run bench:summary`: what an answer costs over a run of many stored events (issue 13).
 *
 * Writes two synthetic runs of `--events` events each through ILP (three queues; every job added →
 * active → completed, one in ten retried once; each run's events start when it is created, ~10k
 * events/s), waits until QuestDB's per-second views hold them, then times through the collector's
 * own routes (in-process, `inject`):
 * - the run summary (`GET /api/v1/runs/:id/summary`), `--repeat` times;
 * - the compare of the two runs (`GET /api/v1/compare`);
 * - a one-hour latency time series at a 1 s step (`GET /api/v1/timeseries`);
 * - the live tick's queries over its 5 s window, once when 1 million events are stored and once
 *   when everything is, to show that its cost does not grow with history.
 * Also prints `EXPLAIN` of the summary's histogram query. Never gates anything; the last line is
 * `summary over <n> events: median <ms> ms`.
 *
 * Options: --events 10000000 --repeat 10
 */
import { randomUUID } from 'node:crypto';
import { parseConfig } from '@queuescope/contracts';
import { Command } from 'commander';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import pg from 'pg';
import app from '../services/collector/src/app.js';
import { newestEventTs, queueSeconds, workerSeconds } from '../services/collector/src/db/queries/live.js';
import { fmt, median, percentile } from './lib/numbers.js';
import { writeRun } from './lib/synthetic.js';

const opts = new Command('bench:summary')
  .option('--events <n>', 'events in each of the two runs', Number, 10_000_000)
  .option('--repeat <n>', 'timed requests per measurement', Number, 10)
  .parse()
  .opts<{ events: number; repeat: number }>();

const LIVE_WINDOW_MS = 5000;

const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>;
const config = parseConfig({ ...env, QS_NAMESPACE: `bench-${randomUUID().slice(0, 8)}`, LOG_LEVEL: 'warn' });
const server = Fastify({ logger: false });
await server.register(fp(app), { config, samplers: false });
await server.ready();
const db = new pg.Client({ ...config.questdb.pg });
await db.connect();
const count = async (text: string, params: unknown[]): Promise<number> =>
  Number((await db.query<{ n: string }>(text, params)).rows[0]?.n ?? 0);

/** Time `n` calls of `work` after 2 warm-ups; ms. */
async function timed(n: number, work: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n + 2; i++) {
    const t = performance.now();
    await work();
    if (i >= 2) times.push(performance.now() - t);
  }
  return times;
}

async function get(server: FastifyInstance, url: string): Promise<string> {
  const res = await server.inject({ url });
  if (res.statusCode !== 200) throw new Error(`${url} → ${res.statusCode} ${res.body.slice(0, 300)}`);
  return res.body;
}

const line = (label: string, times: number[]): string =>
  `${label.padEnd(44)} median ${fmt(median(times))} ms  p95 ${fmt(percentile(times, 0.95))} ms  (${times.length} requests)`;

/** Wait until job_events and the per-second counts view both hold `rows` events of `runId`. */
async function visible(runId: string, rows: number): Promise<void> {
  for (;;) {
    const [raw, view] = await Promise.all([
      count('SELECT count() AS n FROM job_events WHERE run_id = $1', [runId]),
      count('SELECT sum(n) AS n FROM event_counts_1s WHERE run_id = $1', [runId]),
    ]);
    process.stdout.write(`\r  visible: ${raw} rows, ${view} in the views of ${rows}   `);
    if (raw >= rows && view >= rows) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  process.stdout.write('\n');
}

/** The live tick's event queries over the 5 s ending at `endMs` (the run filter of a dashboard watching it). */
async function liveTick(runId: string, endMs: number): Promise<number[]> {
  const kdb = server.db;
  const w = { from: new Date(endMs - LIVE_WINDOW_MS).toISOString(), to: new Date(endMs).toISOString(), runId };
  return timed(opts.repeat, async () => {
    await Promise.all([queueSeconds(kdb, w), workerSeconds(kdb, w), newestEventTs(kdb, w)]);
  });
}

const runs = [`bench-a-${randomUUID()}`, `bench-b-${randomUUID()}`];
const starts: number[] = [];
const ends: number[] = [];
const results: string[] = [];
let tickAt1M: number[] | undefined;

for (const [i, runId] of runs.entries()) {
  const created = await server.inject({
    method: 'POST',
    url: '/api/v1/runs',
    payload: { id: runId, name: `summary benchmark ${i === 0 ? 'A' : 'B'}` },
  });
  if (created.statusCode !== 201) throw new Error(created.body);
  starts.push(Date.parse((JSON.parse(created.body) as { startedAt: string }).startedAt) * 1000);
  console.log(`writing ${opts.events} events for run ${runId} …`);
  const t = performance.now();
  const lastTs = await writeRun(config.questdb.ilpConf, runId, opts.events, starts[i]!, async (written, last) => {
    process.stdout.write(`\r  written ${written}   `);
    if (i === 0 && !tickAt1M && written >= 1_000_000) {
      await visible(runId, written);
      tickAt1M = await liveTick(runId, last / 1000);
    }
  });
  ends.push(lastTs);
  console.log(
    `\n  wrote in ${((performance.now() - t) / 1000).toFixed(1)} s; events span ${new Date(starts[i]! / 1000).toISOString()} .. ${new Date(lastTs / 1000).toISOString()}`,
  );
  await visible(runId, opts.events);
  const finished = await server.inject({ method: 'POST', url: `/api/v1/runs/${runId}/finish` });
  if (finished.statusCode !== 200) throw new Error(finished.body);
}

const [a, b] = runs as [string, string];
const stored = await count('SELECT count() AS n FROM job_events', []);
console.log(`job_events holds ${stored} rows in all`);

const explain = await db.query<{ QUERY_PLAN: string }>(
  // EXPLAIN takes no bind variables for the window; the two timestamps are ours, not input.
  `EXPLAIN SELECT queue, b, sum(n) AS n, min(lo) AS lo, max(hi) AS hi FROM latency_hist_1s WHERE run_id = $1 AND ts >= '${new Date(starts[0]! / 1000 - 60_000).toISOString()}' AND ts <= '${new Date(ends[0]! / 1000 + 600_000).toISOString()}' GROUP BY queue, b`,
  [a],
);
console.log(`EXPLAIN (the summary's histogram scan):\n${explain.rows.map((r) => `  ${Object.values(r)[0]}`).join('\n')}`);

let body = '';
const summary = await timed(opts.repeat, async () => {
  body = await get(server, `/api/v1/runs/${a}/summary`);
});
const jobs = (JSON.parse(body) as { queues: { jobs: number }[] }).queues.reduce((n, q) => n + q.jobs, 0);
results.push(line(`summary (${jobs} jobs)`, summary));
results.push(
  line('compare of the two runs', await timed(opts.repeat, async () => void (await get(server, `/api/v1/compare?a=${a}&b=${b}`)))),
);
const hourFrom = new Date(Math.floor(starts[0]! / 1000 / 1000) * 1000 - 300_000);
const hour = `from=${encodeURIComponent(hourFrom.toISOString())}&to=${encodeURIComponent(new Date(hourFrom.getTime() + 3600_000).toISOString())}`;
results.push(
  line(
    'timeseries latency, 1 h at 1 s (all runs)',
    await timed(opts.repeat, async () => void (await get(server, `/api/v1/timeseries?metric=latency&step=1s&${hour}`))),
  ),
);
results.push(
  line(
    'timeseries throughput, 1 h at 1 s (all runs)',
    await timed(opts.repeat, async () => void (await get(server, `/api/v1/timeseries?metric=throughput&step=1s&${hour}`))),
  ),
);
if (tickAt1M) results.push(line('live tick, 1 000 000 events stored', tickAt1M));
results.push(line(`live tick, ${stored} events stored`, await liveTick(b, ends[1]! / 1000)));

console.log(results.join('\n'));
await db.end();
await server.close();
console.log(`summary over ${opts.events} events: median ${fmt(median(summary))} ms`);
process.exit(0);
