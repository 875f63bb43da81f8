/**
 * `npm run bench:worker`: how fast one worker process drains a prefilled queue, queuescope's
 * worker (`startWorkers` from services/worker, no-op handler) versus a bare BullMQ `Worker`,
 * alternating (bare, queuescope, bare, …), never both at once. Each side runs in a child process
 * of its own (bench/lib/drain-worker.ts), so it never shares an event loop with this driver.
 *
 * A round: prefill N jobs into a paused queue, start the worker and wait until it is connected,
 * then resume the queue. The drain time is measured on Redis's clock, from TIME just before the
 * resume to the id of the last `completed` entry in the queue's events stream, so neither the
 * worker's start-up nor this driver's polling falls into it. Also prints the worker's CPU per job.
 * Target (DESIGN "Performance budget"): median ratio ≥ 0.95.
 *
 * Options: --jobs 50000 --concurrency 50 --rounds 3
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { queueKeys } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import { Command } from 'commander';
import type { Redis } from 'ioredis';
import { startCpuWindow } from './lib/cpu.js';
import { fmt, median } from './lib/numbers.js';
import { connect, deleteNamespace, waitForDrain } from './lib/redis.js';
import { spawnScript } from '../test/support/processes.js';
import { processEnv, stopProcess } from './lib/stacks.js';
import type { ServiceProcess } from '../test/support/processes.js';

const opts = new Command('bench:worker')
  .option('--jobs <n>', 'jobs per drain', Number, 50_000)
  .option('--concurrency <n>', 'worker concurrency', Number, 50)
  .option('--rounds <n>', 'rounds per side', Number, 3)
  .parse()
  .opts<{ jobs: number; concurrency: number; rounds: number }>();

type Side = 'bare' | 'queuescope';
const SIDES: readonly Side[] = ['bare', 'queuescope'];
const redis = connect(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

interface Drain {
  jobsPerSec: number;
  /** CPU time of the worker process per job, µs. */
  cpuUsPerJob: number;
}

async function prefillPaused(queue: Queue): Promise<void> {
  await queue.pause();
  for (let i = 0; i < opts.jobs; i += 1000) {
    const chunk = Array.from({ length: Math.min(1000, opts.jobs - i) }, (_, k) => ({
      name: 'charge',
      data: { runId: 'bench', input: { i: i + k } },
      opts: { removeOnComplete: true },
    }));
    await queue.addBulk(chunk);
  }
}

/** Spawn the worker of `side` and resolve once it printed `ready`. */
async function startWorker(side: Side, namespace: string): Promise<ServiceProcess> {
  const proc = spawnScript('bench/lib/drain-worker.ts', {
    ...processEnv(),
    DRAIN_SIDE: side,
    DRAIN_NS: namespace,
    DRAIN_CONCURRENCY: String(opts.concurrency),
  });
  const deadline = Date.now() + 60_000;
  while (!/^ready$/m.test(proc.output())) {
    if (proc.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${side} worker did not start:\n${proc.output().slice(-3000)}`);
    await sleep(50);
  }
  return proc;
}

async function redisNowMs(r: Redis): Promise<number> {
  const [seconds, micros] = await r.time();
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

/** ms part of the id of the newest `completed` entry of an events stream. */
async function lastCompletedMs(r: Redis, stream: string): Promise<number> {
  const entries = await r.xrevrange(stream, '+', '-', 'COUNT', 1000);
  const last = entries.find(([, fields]) => fields[0] === 'event' && fields[1] === 'completed');
  if (!last) throw new Error(`no completed entry among the last 1000 of ${stream}`);
  return Number(last[0].split('-')[0]);
}

async function drainRound(side: Side): Promise<Drain> {
  const namespace = `bd-${randomUUID().slice(0, 8)}`;
  const prefix = queueKeys(namespace, 'payment').bullPrefix;
  const queue = new Queue('payment', { connection: redis, prefix });
  let worker: ServiceProcess | undefined;
  try {
    await prefillPaused(queue);
    worker = await startWorker(side, namespace);
    await sleep(1000);
    // The queue is paused, so the worker must not have taken anything yet.
    const waiting = await queue.count();
    if (waiting !== opts.jobs) throw new Error(`${waiting} of ${opts.jobs} jobs waiting before the resume: did the pause not hold?`);
    const cpu = startCpuWindow([{ label: side, pid: worker.child.pid! }]);
    const started = await redisNowMs(redis);
    await queue.resume();
    await waitForDrain(redis, [{ prefix, name: 'payment' }], { everyMs: 20 });
    const report = cpu.stop();
    const seconds = ((await lastCompletedMs(redis, queueKeys(namespace, 'payment').events)) - started) / 1000;
    const cpuSeconds = (report.shares[0]!.percent / 100) * report.seconds;
    return { jobsPerSec: opts.jobs / seconds, cpuUsPerJob: (cpuSeconds * 1e6) / opts.jobs };
  } finally {
    if (worker) await stopProcess(worker);
    await queue.close();
    await deleteNamespace(redis, namespace);
  }
}

const line = (side: Side, d: Drain): string => `${side} ${fmt(d.jobsPerSec)} jobs/s (${fmt(d.cpuUsPerJob, 1)} µs CPU per job)`;

console.log(`drain ${opts.jobs} prefilled no-op jobs, one worker process, concurrency ${opts.concurrency}, ${opts.rounds} rounds per side`);
const ratios: number[] = [];
const drains: Record<Side, Drain[]> = { bare: [], queuescope: [] };
for (let round = 1; round <= opts.rounds; round++) {
  for (const side of SIDES) drains[side].push(await drainRound(side));
  const [b, q] = [drains.bare.at(-1)!, drains.queuescope.at(-1)!];
  ratios.push(q.jobsPerSec / b.jobsPerSec);
  console.log(`round ${round}/${opts.rounds}: ${line('bare', b)}, ${line('queuescope', q)}, ratio ${fmt(ratios.at(-1), 3)}`);
}
for (const side of SIDES)
  console.log(
    `median ${side}: ${fmt(median(drains[side].map((d) => d.jobsPerSec)))} jobs/s, ${fmt(median(drains[side].map((d) => d.cpuUsPerJob)), 1)} µs CPU per job`,
  );
await redis.quit();
console.log(`ratio queuescope/bare: drain jobs/s ${fmt(median(ratios), 3)} (target ≥ 0.95)`);
process.exit(0);
