/**
 * `npm run bench:questdb`: what storing the capture's rows costs QuestDB, per setting, measured side
 * by side. For each variant, in alternating rounds, a private QuestDB (test/support/questdb-server.ts)
 * gets the collector's schema and then the capture's write pattern — `--rate` job_events rows per
 * second in one commit every `--interval` ms — for `--duration`; its CPU (utime + stime of the JVM,
 * % of one core) is read over the load and over `--idle` seconds of idleness after it, and the lag
 * from the last commit until its rows are visible in the counts view. Variants:
 * - `defaults`: QuestDB's own settings, with the per-second views;
 * - `ours`: infra/questdb/server.conf, with the views (what `npm run stack` runs);
 * - `ours, no views`: infra/questdb/server.conf without the views (the cost of pre-aggregating).
 *
 * Options: --rate 12000 --interval 500 --duration 20s --idle 10s --rounds 2
 */
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import type { JobEvent } from '@queuescope/contracts';
import pg from 'pg';
import { QuestdbWriter } from '../services/collector/src/capture/questdb-writer.js';
import { parseDuration } from '../loadtest/src/duration.js';
import { SCHEMA_STATEMENTS } from '../services/collector/src/db/schema.js';
import { PrivateQuestdb } from '../test/support/questdb-server.js';
import { processTicks } from './lib/cpu.js';
import { fmt, median } from './lib/numbers.js';
import { syntheticRows, toJobEvent } from './lib/synthetic.js';

const opts = new Command('bench:questdb')
  .option('--rate <n>', 'job_events rows per second', Number, 12_000)
  .option('--interval <ms>', 'time between commits, ms', Number, 500)
  .option('--duration <d>', 'load per round', parseDuration, 20_000)
  .option('--idle <d>', 'idle time measured after the load', parseDuration, 10_000)
  .option('--rounds <n>', 'rounds per variant', Number, 2)
  .parse()
  .opts<{ rate: number; interval: number; duration: number; idle: number; rounds: number }>();

interface Variant {
  name: string;
  conf: string | null | undefined;
  views: boolean;
}
const VARIANTS: Variant[] = [
  { name: 'defaults', conf: null, views: true },
  { name: 'ours', conf: undefined, views: true },
  { name: 'ours, no views', conf: undefined, views: false },
];

interface Round {
  loadCpu: number;
  idleCpu: number;
  visibleLagMs: number;
}

const ticksPerSecond = 100;
const cpuPercent = (pid: number, from: number, seconds: number): number => ((processTicks(pid)! - from) * 100) / ticksPerSecond / seconds;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function round(variant: Variant): Promise<Round> {
  const qdb = await PrivateQuestdb.start({ conf: variant.conf });
  try {
    const db = new pg.Client({ host: '127.0.0.1', port: qdb.pgPort, user: 'admin', password: 'quest', database: 'qdb' });
    db.on('error', () => undefined); // the server is destroyed in `finally`, maybe under an open client
    await db.connect();
    for (const statement of SCHEMA_STATEMENTS) {
      if (!variant.views && /MATERIALIZED VIEW/.test(statement)) continue;
      await db.query(statement);
    }
    const writer = QuestdbWriter.create(`http::addr=${qdb.http};`);
    const runId = `cost-${randomUUID()}`;
    // 3.2 rows per synthetic job: one job every 1e6 / (rate / 3.2) µs of event time.
    const rows = syntheticRows(runId, Date.now() * 1000, Math.round(1e6 / (opts.rate / 3.2)));
    const perCommit = Math.round((opts.rate * opts.interval) / 1000);
    await sleep(3000); // let startup work settle
    const pid = qdb.pid!;
    const start = processTicks(pid)!;
    const t0 = performance.now();
    let written = 0;
    while (performance.now() - t0 < opts.duration) {
      const due = t0 + (written / perCommit + 1) * opts.interval;
      const batch: JobEvent[] = [];
      for (let i = 0; i < perCommit; i++) batch.push(toJobEvent(runId, rows.next().value!));
      await writer.write(batch);
      written += perCommit;
      await sleep(Math.max(0, due - performance.now()));
    }
    const loadCpu = cpuPercent(pid, start, (performance.now() - t0) / 1000);
    const lastCommit = performance.now();
    const table = variant.views ? 'event_counts_1s' : 'job_events';
    const countSql = variant.views
      ? 'SELECT sum(n) AS n FROM event_counts_1s WHERE run_id = $1'
      : 'SELECT count() AS n FROM job_events WHERE run_id = $1';
    for (;;) {
      const n = Number((await db.query<{ n: string }>(countSql, [runId])).rows[0]?.n ?? 0);
      if (n >= written) break;
      if (performance.now() - lastCommit > 60_000) throw new Error(`${table} did not show ${written} rows within 60 s (has ${n})`);
      await sleep(50);
    }
    const visibleLagMs = performance.now() - lastCommit;
    const idleStart = processTicks(pid)!;
    await sleep(opts.idle);
    const idleCpu = cpuPercent(pid, idleStart, opts.idle / 1000);
    writer.close();
    await db.end();
    return { loadCpu, idleCpu, visibleLagMs };
  } finally {
    await qdb.destroy();
  }
}

console.log(
  `QuestDB cost: ${opts.rate} rows/s, one commit per ${opts.interval} ms, ${opts.duration / 1000} s per round, ${opts.rounds} rounds per variant, alternating`,
);
const results = new Map<string, Round[]>(VARIANTS.map((v) => [v.name, []]));
for (let r = 1; r <= opts.rounds; r++) {
  for (const variant of VARIANTS) {
    const result = await round(variant);
    results.get(variant.name)!.push(result);
    console.log(
      `round ${r}/${opts.rounds} ${variant.name.padEnd(15)} cpu under load ${fmt(result.loadCpu, 1)} %  idle ${fmt(result.idleCpu, 1)} %  rows visible ${fmt(result.visibleLagMs)} ms after the last commit`,
    );
  }
}
console.log('medians:');
for (const [name, rounds] of results) {
  console.log(
    `  ${name.padEnd(15)} cpu under load ${fmt(median(rounds.map((x) => x.loadCpu)), 1)} %  idle ${fmt(median(rounds.map((x) => x.idleCpu)), 1)} %  visible after ${fmt(median(rounds.map((x) => x.visibleLagMs)))} ms`,
  );
}
process.exit(0);
