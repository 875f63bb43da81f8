/**
 * `npm run bench:extreme`: the extreme scenario (1000 VUs) on the built-in engine against
 * (1) the instrumented queuescope stack and (2) a bare Fastify + BullMQ stack (no events, no
 * QuestDB) with the same routes, worker count, concurrency and simulated work — side by side in
 * one run. Prints accepted req/s, HTTP p99, errors and timeouts of both and their ratio, and checks
 * that every request the instrumented producer accepted has a job with a full event history in
 * QuestDB under the run id. Never gates anything.
 *
 * Options: --duration 30s --workers 5
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@queuescope/contracts';
import { Command } from 'commander';
import pg from 'pg';
import { getScenario, scaleStages } from '../loadtest/scenarios/index.js';
import { parseDuration } from '../loadtest/src/duration.js';
import { runScenario, type EngineResult } from '../loadtest/src/engine/index.js';
import { freePort, spawnService, waitFor, waitForHttp, type ServiceProcess } from '../test/support/processes.js';

const opts = new Command('bench:extreme')
  .option('--duration <d>', 'scenario length', parseDuration, 30_000)
  .option('--workers <n>', 'worker processes', Number, 5)
  .parse()
  .opts<{ duration: number; workers: number }>();

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>;
const scenario = scaleStages(getScenario('extreme'), { durationMs: opts.duration });

function line(label: string, r: EngineResult): string {
  return `${label.padEnd(13)} accepted ${String(r.accepted).padStart(7)}  ${(r.accepted / (r.durationMs / 1000)).toFixed(0).padStart(6)} accepted req/s  p50 ${r.p50Ms?.toFixed(1)} ms  p99 ${r.p99Ms?.toFixed(1)} ms  errors ${r.errors}  timeouts ${r.timeouts}  4xx ${(r as EngineResult & { status4xx: number }).status4xx}  5xx ${(r as EngineResult & { status5xx: number }).status5xx}`;
}

async function instrumented(): Promise<{ result: EngineResult; runId: string; check: string }> {
  const [producerPort, collectorPort] = [await freePort(), await freePort()];
  const env = { ...baseEnv, QS_NAMESPACE: `bx-${randomUUID().slice(0, 8)}`, PRODUCER_PORT: String(producerPort), COLLECTOR_PORT: String(collectorPort), LOG_LEVEL: 'warn' };
  const config = parseConfig(env);
  const procs: ServiceProcess[] = [spawnService('collector', env)];
  await waitForHttp(`http://127.0.0.1:${collectorPort}/readyz`, procs[0]);
  for (let i = 0; i < opts.workers; i++) procs.push(spawnService('worker', env));
  procs.push(spawnService('producer', env));
  await waitForHttp(`http://127.0.0.1:${producerPort}/readyz`, procs.at(-1));
  await new Promise((r) => setTimeout(r, 3000));
  const collector = `http://127.0.0.1:${collectorPort}`;
  const run = (await (await fetch(`${collector}/api/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench extreme', scenario: 'extreme', engine: 'builtin', config: { workers: opts.workers } }) })).json()) as { id: string };
  const result = await runScenario({ baseUrl: `http://127.0.0.1:${producerPort}`, runId: run.id, scenario });
  await fetch(`${collector}/api/v1/runs/${run.id}/finish`, { method: 'POST' });
  const db = new pg.Client({ ...config.questdb.pg, types: { getTypeParser: (oid: number, f?: 'text' | 'binary') => (oid === 20 ? Number : pg.types.getTypeParser(oid, f as 'text')) } as pg.CustomTypesConfig });
  await db.connect();
  const count = async (sql: string): Promise<number> => Number((await db.query<{ n: number }>(sql, [run.id])).rows[0]?.n ?? 0);
  await waitFor('every accepted job finished and stored', async () => {
    const added = await count(`SELECT count() AS n FROM job_events WHERE run_id = $1 AND event = 'added'`);
    const done = await count(`SELECT count() AS n FROM job_events WHERE run_id = $1 AND event IN ('completed', 'failed')`);
    process.stdout.write(`\r  stored: ${added} added, ${done} finished of ${result.accepted} accepted   `);
    return added >= result.accepted && done >= result.accepted;
  }, 600_000, 2000);
  // Rows of one transaction become visible together, but a job's rows span transactions: settle.
  await new Promise((r) => setTimeout(r, 3000));
  const broken = await count(`SELECT count() AS n FROM (SELECT job_id, attempt, sum(CASE WHEN event = 'active' THEN 1 ELSE 0 END) AS a, sum(CASE WHEN event IN ('retried', 'completed', 'failed', 'stalled') THEN 1 ELSE 0 END) AS t FROM job_events WHERE run_id = $1 AND event != 'added' GROUP BY job_id, attempt) WHERE a != 1 OR t != 1`);
  const added = await count(`SELECT count() AS n FROM job_events WHERE run_id = $1 AND event = 'added'`);
  await db.end();
  await Promise.all(procs.map((p) => p.kill('SIGTERM')));
  return { result, runId: run.id, check: `${added} added rows for ${result.accepted} accepted requests; ${broken} attempts without exactly one active and one terminal row` };
}

async function bare(): Promise<EngineResult> {
  const port = await freePort();
  const env = { ...baseEnv, BARE_NS: `bare-${randomUUID().slice(0, 8)}`, BARE_PORT: String(port) };
  const start = (file: string) => spawn(process.execPath, ['--import', 'tsx', `${ROOT}bench/bare/${file}`], { env, stdio: 'ignore' });
  const procs = [start('producer.ts'), ...Array.from({ length: opts.workers }, () => start('worker.ts'))];
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, undefined);
  await new Promise((r) => setTimeout(r, 3000));
  const result = await runScenario({ baseUrl: `http://127.0.0.1:${port}`, runId: 'bare', scenario });
  for (const p of procs) p.kill('SIGTERM');
  return result;
}

console.log(`extreme scenario (peak 1000 VUs) for ${opts.duration / 1000} s, ${opts.workers} worker processes, built-in engine`);
const inst = await instrumented();
console.log(`\n${line('queuescope', inst.result)}\n  run ${inst.runId}: ${inst.check}`);
const b = await bare();
console.log(line('bare BullMQ', b));
const rate = (r: EngineResult) => r.accepted / (r.durationMs / 1000);
console.log(`ratio queuescope/bare: accepted req/s ${(rate(inst.result) / rate(b)).toFixed(3)}, HTTP p99 ${((inst.result.p99Ms ?? 0) / (b.p99Ms ?? 1)).toFixed(2)}×`);
process.exit(0);
