/**
 * `npm run bench:summary`: how fast `GET /api/v1/runs/:id/summary` answers over a run with one
 * million stored events (issue 3). Writes the events once through ILP (a synthetic run: three
 * queues, every job added → active → completed, some retried), then times the endpoint.
 *
 * Options: --events 1000000 --repeat 20
 */
import { randomUUID } from 'node:crypto';
import { Sender } from '@questdb/nodejs-client';
import { QUEUE_NAMES, parseConfig } from '@queuescope/contracts';
import { Command } from 'commander';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import pg from 'pg';
import app from '../services/collector/src/app.js';

const opts = new Command('bench:summary')
  .option('--events <n>', 'events in the run', Number, 1_000_000)
  .option('--repeat <n>', 'timed requests', Number, 20)
  .parse()
  .opts<{ events: number; repeat: number }>();

const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>;
const config = parseConfig({ ...env, QS_NAMESPACE: `bench-${randomUUID().slice(0, 8)}`, LOG_LEVEL: 'warn' });
const server = Fastify({ logger: false });
await server.register(fp(app), { config, samplers: false });
await server.ready();

const runId = `bench-summary-${randomUUID()}`;
const created = await server.inject({ method: 'POST', url: '/api/v1/runs', payload: { id: runId, name: 'summary benchmark' } });
if (created.statusCode !== 201) throw new Error(created.body);

console.log(`writing ${opts.events} events for run ${runId} …`);
const sender = await Sender.fromConfig(config.questdb.ilpConf);
const start = Date.now() * 1000;
let written = 0;
let job = 0;
const writeStarted = performance.now();
while (written < opts.events) {
  const queue = QUEUE_NAMES[job % 3]!;
  const jobId = `bench-${job}`;
  const enqueued = start + job * 50;
  const wait = (job * 7919) % 200;
  const run = 5 + ((job * 104729) % 300);
  const retried = job % 10 === 0;
  const rows: [string, number, number, Record<string, number>][] = [['added', 0, enqueued, {}], ['active', 1, enqueued + wait * 1000, { wait_ms: wait }]];
  if (retried) rows.push(['retried', 1, enqueued + (wait + run) * 1000, { run_ms: run }], ['active', 2, enqueued + (wait + run + 20) * 1000, {}]);
  const attempt = retried ? 2 : 1;
  const done = enqueued + (wait + run + (retried ? 20 + run : 0)) * 1000;
  rows.push(['completed', attempt, done, { run_ms: run, latency_ms: (done - enqueued) / 1000 }]);
  for (const [event, att, ts, fields] of rows) {
    const row = sender.table('job_events').symbol('run_id', runId).symbol('queue', queue).symbol('event', event).symbol('job_name', 'bench').symbol('worker', 'bench:1').stringColumn('job_id', jobId).intColumn('attempt', att);
    for (const [k, v] of Object.entries(fields)) row.floatColumn(k, v);
    await row.at(ts, 'us');
    written++;
  }
  job++;
  if (written % 50_000 < rows.length) await sender.flush();
}
await sender.flush();
await sender.close();
console.log(`wrote ${written} rows in ${((performance.now() - writeStarted) / 1000).toFixed(1)} s; waiting until all are visible …`);

const db = new pg.Client({ ...config.questdb.pg });
await db.connect();
for (;;) {
  const { rows } = await db.query<{ n: string }>(`SELECT count() AS n FROM job_events WHERE run_id = $1`, [runId]);
  if (Number(rows[0]!.n) >= written) break;
  await new Promise((r) => setTimeout(r, 500));
}
await db.end();

const times: number[] = [];
let body = '';
for (let i = 0; i < opts.repeat + 2; i++) {
  const t = performance.now();
  const res = await server.inject({ url: `/api/v1/runs/${runId}/summary` });
  const ms = performance.now() - t;
  if (res.statusCode !== 200) throw new Error(res.body);
  body = res.body;
  if (i >= 2) times.push(ms); // first two warm the JIT and QuestDB's page cache
}
times.sort((a, b) => a - b);
const jobs = (JSON.parse(body) as { queues: { jobs: number }[] }).queues.reduce((n, q) => n + q.jobs, 0);
console.log(
  JSON.stringify({ events: written, jobs, requests: times.length, medianMs: times[Math.floor(times.length / 2)], p95Ms: times[Math.floor(times.length * 0.95)] ?? times.at(-1), maxMs: times.at(-1) }, null, 2),
);
await server.close();
