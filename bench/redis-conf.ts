/**
 * `npm run bench:redis-conf`: what each setting of infra/redis.conf costs, measured side by side.
 *
 * For each setting, two redis-server processes run at once: `ours` (infra/redis.conf as shipped)
 * and `without` (the same file with that one setting put back to Redis's default, on the command
 * line). Rounds alternate between them (ours, without, ours, …), each round a fresh queuescope
 * stack (collector, producer, workers) on that Redis, driven by the extreme scenario (peak 1000
 * VUs, built-in engine) scaled to --duration. The ratio ours/without of accepted req/s is printed
 * per round, and its median per setting, with the Redis CPU share of the load phase.
 *
 * A ratio near 1 means the setting costs nothing measurable; below 1, what it costs.
 * Options: --duration 15s --rounds 2 --workers 5 --only appendfsync
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import type { Redis } from 'ioredis';
import { getScenario, scaleStages } from '../loadtest/scenarios/index.js';
import { parseDuration } from '../loadtest/src/duration.js';
import { runScenario, type EngineResult } from '../loadtest/src/engine/index.js';
import { freePort } from '../test/support/processes.js';
import { fmt, median } from './lib/numbers.js';
import { connect } from './lib/redis.js';
import { createRun, finishRun, measure, startStack } from './lib/stacks.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** One setting of infra/redis.conf and the command-line arguments that put it back to Redis's default. */
interface Setting {
  name: string;
  ours: string;
  without: string;
  revert: string[];
}

const SETTINGS: readonly Setting[] = [
  {
    name: 'appendonly',
    ours: 'appendonly yes, appendfsync everysec',
    without: 'appendonly no (Redis default; no persistence with save "")',
    revert: ['--appendonly', 'no'],
  },
  {
    name: 'appendfsync',
    ours: 'appendfsync everysec',
    without: 'appendfsync always (fsync before each reply)',
    revert: ['--appendfsync', 'always'],
  },
  {
    name: 'save',
    ours: 'save "" (no RDB snapshots; the AOF persists)',
    without: 'save 3600 1 300 100 60 10000 (Redis default: fork a snapshot every 60 s under load)',
    revert: ['--save', '3600 1 300 100 60 10000'],
  },
  {
    name: 'maxmemory',
    ours: 'maxmemory 2gb, noeviction',
    without: 'maxmemory 0 (Redis default: no ceiling)',
    revert: ['--maxmemory', '0'],
  },
];

const opts = new Command('bench:redis-conf')
  .option('--duration <d>', 'load phase of each round (the extreme scenario scaled to it)', parseDuration, 15_000)
  .option('--rounds <n>', 'rounds per side and setting', Number, 2)
  .option('--workers <n>', 'worker processes per stack', Number, 5)
  .option('--only <setting>', `one setting (${SETTINGS.map((s) => s.name).join(', ')})`)
  .parse()
  .opts<{ duration: number; rounds: number; workers: number; only?: string }>();

interface RedisServer {
  url: string;
  client: Redis;
  child: ChildProcess;
  dir: string;
}

/** redis-server with infra/redis.conf and `args` on a free port, data in a scratch directory. */
async function startRedis(label: string, args: readonly string[]): Promise<RedisServer> {
  const port = await freePort();
  const dir = `${ROOT}.data/bench-redis/${label}-${port}`;
  mkdirSync(dir, { recursive: true });
  const child = spawn('redis-server', [`${ROOT}infra/redis.conf`, '--port', String(port), '--dir', dir, ...args], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const client = connect(url);
  // Refused until the server listens, and once more when it stops: expected, not news.
  client.on('error', () => undefined);
  for (let i = 0; ; i++) {
    try {
      await client.ping();
      break;
    } catch (err) {
      if (i > 100) throw new Error(`redis-server ${label} did not answer on ${port}`, { cause: err });
      await sleep(100);
    }
  }
  return { url, client, child, dir };
}

async function stopRedis(r: RedisServer): Promise<void> {
  r.client.disconnect();
  r.child.kill('SIGTERM');
  await new Promise((resolve) => (r.child.exitCode !== null ? resolve(undefined) : r.child.once('exit', resolve)));
  rmSync(r.dir, { recursive: true, force: true });
}

const acceptedPerSec = (r: EngineResult): number => r.accepted / (r.durationMs / 1000);

async function round(redis: RedisServer, label: string): Promise<{ reqPerSec: number; redisCpu: number; p99: number | null }> {
  const stack = await startStack('queuescope', { workers: opts.workers, redis: redis.client, env: { REDIS_URL: redis.url } });
  try {
    const runId = await createRun(stack, { name: `bench redis-conf ${label}`, scenario: 'extreme', engine: 'builtin' });
    const scenario = scaleStages(getScenario('extreme'), { durationMs: opts.duration });
    const { value, cpu } = await measure(stack, redis.client, () => runScenario({ baseUrl: stack.url, runId, scenario }));
    await finishRun(stack, runId);
    const redisCpu = cpu.shares.find((s) => s.label === 'redis')?.percent ?? NaN;
    return { reqPerSec: acceptedPerSec(value), redisCpu, p99: value.p99Ms };
  } finally {
    await stack.stop();
  }
}

const chosen = SETTINGS.filter((s) => !opts.only || s.name === opts.only);
if (chosen.length === 0) throw new Error(`--only: unknown setting '${opts.only}'`);
console.log(
  `infra/redis.conf, one setting at a time: ours vs that setting at Redis's default, alternating, ${opts.rounds} rounds each, ` +
    `extreme scenario scaled to ${opts.duration / 1000} s, ${opts.workers} workers`,
);
const results: string[] = [];
for (const setting of chosen) {
  const ours = await startRedis(`${setting.name}-ours`, []);
  const without = await startRedis(`${setting.name}-without`, setting.revert);
  const ratios: number[] = [];
  try {
    for (let i = 1; i <= opts.rounds; i++) {
      const a = await round(ours, `${setting.name} ours ${i}`);
      const b = await round(without, `${setting.name} without ${i}`);
      ratios.push(a.reqPerSec / b.reqPerSec);
      console.log(
        `${setting.name} round ${i}: ours ${fmt(a.reqPerSec)} req/s (p99 ${fmt(a.p99, 1)} ms, redis cpu ${fmt(a.redisCpu)} %)  ` +
          `without ${fmt(b.reqPerSec)} req/s (p99 ${fmt(b.p99, 1)} ms, redis cpu ${fmt(b.redisCpu)} %)  ratio ${fmt(ratios.at(-1), 3)}`,
      );
    }
  } finally {
    await stopRedis(ours);
    await stopRedis(without);
  }
  results.push(
    `${setting.name.padEnd(12)} ${setting.ours} vs ${setting.without}: ratio ${fmt(median(ratios), 3)} (rounds ${ratios.map((r) => fmt(r, 3)).join(' ')})`,
  );
}
console.log(`\nmedian ratio of accepted req/s, ours/without:\n${results.join('\n')}`);
process.exit(0);
