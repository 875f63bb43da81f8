/**
 * The two stacks the benchmarks compare, started as fresh processes in a fresh namespace:
 *
 * - `queuescope`: collector, N worker processes and the producer (services/*, spawned as the e2e
 *   tests do), writing to the shared QuestDB;
 * - `bare`: the yardstick, bench/bare/producer.ts + N × bench/bare/worker.ts: Fastify + Queue.add
 *   and plain BullMQ workers with the same queues, job options and simulated work, no collector.
 *
 * `startStack` returns once the producer answers and every queue has all its workers connected,
 * plus a short settle, so start-up never falls into a measured window. Redis and QuestDB are
 * shared and keep running between rounds (restarting them per round would measure their warm-up).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { QUEUE_NAMES, parseConfig, queueKeys, type Config } from '@queuescope/contracts';
import type { Redis } from 'ioredis';
import { freePort, spawnScript, spawnService, waitForHttp, type ServiceProcess } from '../../test/support/processes.js';
import { startCpuWindow, type CpuReport, type Watched } from './cpu.js';
import { deleteNamespace, redisPid, startCommandWindow, waitForWorkers, type CommandDelta } from './redis.js';

export type Side = 'queuescope' | 'bare';

export interface StackProcess {
  label: string;
  group?: string;
  proc: ServiceProcess;
}

interface StackBase {
  namespace: string;
  /** Producer origin. */
  url: string;
  /** BullMQ prefix and name of each queue the producer feeds. */
  queues: { prefix: string; name: string }[];
  processes: StackProcess[];
  /** Stop every process (SIGTERM, SIGKILL after a grace), then delete the namespace's keys. */
  stop: () => Promise<void>;
}

export interface BareStack extends StackBase {
  side: 'bare';
}

export interface QueuescopeStack extends StackBase {
  side: 'queuescope';
  collectorUrl: string;
  config: Config;
}

export type Stack = BareStack | QueuescopeStack;

export interface StackOptions {
  workers: number;
  redis: Redis;
  /** Extra environment for every process of the stack (e.g. queue profiles). */
  env?: Record<string, string>;
  /** Quiet time after start-up, before anything is measured, ms. @defaultValue 2000 */
  settleMs?: number;
}

/** The environment without unset variables, as child processes take it. */
export function processEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}

export function startStack(side: 'queuescope', opts: StackOptions): Promise<QueuescopeStack>;
export function startStack(side: Side, opts: StackOptions): Promise<Stack>;
export function startStack(side: Side, opts: StackOptions): Promise<Stack> {
  return side === 'queuescope' ? startQueuescope(opts) : startBare(opts);
}

async function startQueuescope(opts: StackOptions): Promise<QueuescopeStack> {
  const namespace = `bq-${randomUUID().slice(0, 8)}`;
  const [producerPort, collectorPort] = [await freePort(), await freePort()];
  const env = {
    ...processEnv(),
    ...opts.env,
    QS_NAMESPACE: namespace,
    PRODUCER_PORT: String(producerPort),
    COLLECTOR_PORT: String(collectorPort),
    LOG_LEVEL: 'warn',
  };
  const config = parseConfig(env);
  const processes: StackProcess[] = [];
  const stack: QueuescopeStack = {
    side: 'queuescope',
    namespace,
    url: `http://127.0.0.1:${producerPort}`,
    collectorUrl: `http://127.0.0.1:${collectorPort}`,
    config,
    queues: QUEUE_NAMES.map((name) => ({ prefix: queueKeys(namespace, name).bullPrefix, name })),
    processes,
    // The collector goes last, so it is there while the others' final events are written.
    stop: () => stopProcesses(processes, (p) => p.label === 'collector', opts.redis, namespace),
  };
  await startingOrCleanUp(stack, async () => {
    processes.push({ label: 'collector', proc: spawnService('collector', env) });
    await waitForHttp(`${stack.collectorUrl}/readyz`, processes[0]!.proc);
    for (let i = 1; i <= opts.workers; i++) processes.push({ label: `worker ${i}`, group: 'workers', proc: spawnService('worker', env) });
    processes.push({ label: 'producer', proc: spawnService('producer', env) });
    await waitForHttp(`${stack.url}/readyz`, processes.at(-1)!.proc);
    await waitForWorkers(opts.redis, stack.queues, opts.workers);
    await sleep(opts.settleMs ?? 2000);
  });
  return stack;
}

async function startBare(opts: StackOptions): Promise<BareStack> {
  const namespace = `bb-${randomUUID().slice(0, 8)}`;
  const port = await freePort();
  const env = { ...processEnv(), ...opts.env, BARE_NS: namespace, BARE_PORT: String(port) };
  const processes: StackProcess[] = [];
  const stack: BareStack = {
    side: 'bare',
    namespace,
    url: `http://127.0.0.1:${port}`,
    queues: QUEUE_NAMES.map((name) => ({ prefix: `{${namespace}:${name}}`, name })),
    processes,
    stop: () => stopProcesses(processes, () => false, opts.redis, namespace),
  };
  await startingOrCleanUp(stack, async () => {
    for (let i = 1; i <= opts.workers; i++)
      processes.push({ label: `bare worker ${i}`, group: 'bare workers', proc: spawnScript('bench/bare/worker.ts', env) });
    processes.push({ label: 'bare producer', proc: spawnScript('bench/bare/producer.ts', env) });
    await waitForHttp(`${stack.url}/readyz`, processes.at(-1)!.proc);
    await waitForWorkers(opts.redis, stack.queues, opts.workers);
    await sleep(opts.settleMs ?? 2000);
  });
  return stack;
}

/** Run `start`; if it fails, stop what it started and rethrow. */
async function startingOrCleanUp(stack: Stack, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (err) {
    await stack.stop().catch(() => undefined);
    throw err;
  }
  for (const p of stack.processes) {
    // A process dying mid-round would silently lower that side's throughput: say so loudly.
    void p.proc.exited.then((code) => {
      if (!stopping.has(p.proc))
        console.error(`\n${stack.side} ${p.label} exited (${code}) during the benchmark:\n${p.proc.output().slice(-2000)}`);
    });
  }
}

const stopping = new WeakSet<ServiceProcess>();

/** SIGTERM `processes` (those matching `last` after the others), SIGKILL any still there after 20 s, then delete the namespace. */
async function stopProcesses(
  processes: readonly StackProcess[],
  last: (p: StackProcess) => boolean,
  redis: Redis,
  namespace: string,
): Promise<void> {
  const stopAll = (ps: readonly StackProcess[]): Promise<unknown> => Promise.all(ps.map((p) => stopProcess(p.proc)));
  await stopAll(processes.filter((p) => !last(p)));
  await stopAll(processes.filter(last));
  await deleteNamespace(redis, namespace);
}

export async function stopProcess(proc: ServiceProcess, graceMs = 20_000): Promise<void> {
  stopping.add(proc);
  const killer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.kill('SIGTERM');
  clearTimeout(killer);
}

/** Pids of the QuestDB JVM(s) on this machine (`pgrep -f io.questdb`); empty when none runs. */
export function questdbPids(): number[] {
  try {
    return execFileSync('pgrep', ['-f', 'io.questdb'])
      .toString()
      .trim()
      .split('\n')
      .map(Number)
      .filter((pid) => pid > 0 && pid !== process.pid);
  } catch {
    return [];
  }
}

/** Every process whose CPU a round reports: the stack's own, QuestDB, Redis and this process (the load generator). */
export async function watchedProcesses(stack: Stack, redis: Redis): Promise<Watched[]> {
  return [
    ...stack.processes.map((p) => ({ label: p.label, pid: p.proc.child.pid!, ...(p.group ? { group: p.group } : {}) })),
    ...questdbPids().map((pid) => ({ label: 'questdb', group: 'questdb', pid })),
    { label: 'redis', pid: await redisPid(redis) },
    { label: 'load generator', pid: process.pid },
  ];
}

/** Register a run with the collector (as the CLI does), so its events show on the dashboard. */
export async function createRun(
  stack: QueuescopeStack,
  body: { name: string; scenario?: string; engine?: string; config?: Record<string, unknown> },
): Promise<string> {
  const res = await fetch(`${stack.collectorUrl}/api/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`creating a run answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export async function finishRun(stack: QueuescopeStack, runId: string): Promise<void> {
  await fetch(`${stack.collectorUrl}/api/v1/runs/${encodeURIComponent(runId)}/finish`, { method: 'POST' });
}

export interface Measured<T> {
  value: T;
  cpu: CpuReport;
  commands: CommandDelta[];
}

/** Run `work` (the load phase) with CPU and Redis commandstats windows around exactly it. */
export async function measure<T>(stack: Stack, redis: Redis, work: () => Promise<T>): Promise<Measured<T>> {
  const watched = await watchedProcesses(stack, redis);
  const commandWindow = await startCommandWindow(redis);
  const cpuWindow = startCpuWindow(watched);
  const value = await work();
  const cpu = cpuWindow.stop();
  return { value, cpu, commands: await commandWindow.stop() };
}
