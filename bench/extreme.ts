/**
 * `npm run bench:extreme`: the extreme scenario (peak 1000 VUs, built-in engine) against the
 * queuescope stack and the bare Fastify + BullMQ yardstick, alternating (queuescope, bare,
 * queuescope, bare, …), each round on fresh processes in a fresh namespace (bench/lib/stacks.ts).
 *
 * Per round: accepted req/s, HTTP p50/p99, errors, timeouts, 4xx/5xx; the CPU share of every
 * process during the load phase only (producer, workers, collector, QuestDB, Redis, this process
 * as the load generator); Redis's most expensive commands. A queuescope round then waits for its
 * jobs to finish and its rows to land and checks the capture invariants in QuestDB, all before
 * the next round starts, so a check never overlaps a load. The last line is the median of the
 * per-round ratios of accepted req/s (DESIGN "Performance budget": ≥ 0.75, aim 0.9).
 *
 * Before the first round, each side runs one short warm-up round that is not counted: the shared
 * QuestDB and Redis keep running between rounds, so without it the first queuescope round would
 * also pay for QuestDB's JIT compilation and first table writes (measured: 0.475 cold vs 0.590 warm
 * on the same machine, one round each).
 *
 * Options: --duration 30s --rounds 3 --workers 5 --warmup 10s (0 to skip)
 */
import { parseConfig } from '@queuescope/contracts';
import { Command } from 'commander';
import { getScenario, scaleStages } from '../loadtest/scenarios/index.js';
import { parseDuration } from '../loadtest/src/duration.js';
import { runScenario, type EngineResult } from '../loadtest/src/engine/index.js';
import { formatCpu, formatMedianCpu, type CpuReport } from './lib/cpu.js';
import { fmt, median } from './lib/numbers.js';
import { questdbClient, verifyRun, type RunCheck } from './lib/questdb.js';
import { connect, formatCommandDeltas, waitForDrain, type CommandDelta } from './lib/redis.js';
import { createRun, finishRun, measure, processEnv, startStack, type Side } from './lib/stacks.js';

const opts = new Command('bench:extreme')
  .option('--duration <d>', 'load phase of each round (the scenario scaled to it)', parseDuration, 30_000)
  .option('--rounds <n>', 'rounds per side', Number, 3)
  .option('--workers <n>', 'worker processes per stack', Number, 5)
  .option('--warmup <d>', 'uncounted warm-up round per side before the first round (0: none)', parseDuration, 10_000)
  .parse()
  .opts<{ duration: number; rounds: number; workers: number; warmup: number }>();

const SIDES: readonly Side[] = ['queuescope', 'bare'];
const config = parseConfig(processEnv());
const redis = connect(config.redisUrl);
const db = await questdbClient(config);
const scenario = scaleStages(getScenario('extreme'), { durationMs: opts.duration });

interface Round {
  side: Side;
  result: EngineResult;
  cpu: CpuReport;
  commands: CommandDelta[];
  drainMs: number;
  check?: RunCheck;
}

const acceptedPerSec = (r: EngineResult): number => r.accepted / (r.durationMs / 1000);
const unanswered = (r: EngineResult): number => r.errors + r.timeouts;

function resultLine(r: EngineResult): string {
  return (
    `accepted ${String(r.accepted).padStart(7)}  ${fmt(acceptedPerSec(r)).padStart(6)} req/s  p50 ${fmt(r.p50Ms, 1)} ms  p99 ${fmt(r.p99Ms, 1)} ms  ` +
    `errors ${r.errors}  timeouts ${r.timeouts}  4xx ${r.status4xx}  5xx ${r.status5xx}`
  );
}

async function runRound(side: Side, label: string): Promise<Round> {
  const stack = await startStack(side, { workers: opts.workers, redis });
  try {
    const runId =
      stack.side === 'queuescope'
        ? await createRun(stack, {
            name: `bench extreme ${label}`,
            scenario: 'extreme',
            engine: 'builtin',
            config: { workers: opts.workers, durationMs: opts.duration },
          })
        : `bare-${stack.namespace}`;
    const { value: result, cpu, commands } = await measure(stack, redis, () => runScenario({ baseUrl: stack.url, runId, scenario }));
    console.log(`${label} ${side.padEnd(10)} ${resultLine(result)}`);
    console.log(`  cpu % of one core: ${formatCpu(cpu)}`);
    console.log(`  redis commands by time: ${formatCommandDeltas(commands)}`);
    // Only queuescope's jobs must all finish (its exactly-once check reads them); the bare backlog is
    // deleted with the namespace when the stack stops, so no round inherits another's work.
    const drainMs = stack.side === 'queuescope' ? await waitForDrain(redis, stack.queues) : NaN;
    const round: Round = { side, result, cpu, commands, drainMs };
    if (stack.side === 'queuescope') {
      await finishRun(stack, runId);
      round.check = await verifyRun(
        db,
        {
          runId,
          namespace: stack.namespace,
          expected: { jobs: result.accepted, what: 'accepted requests' },
          unanswered: unanswered(result),
        },
        (line) => console.log(`  ${line}`),
      );
    }
    if (stack.side === 'queuescope') console.log(`  queues drained ${fmt(drainMs / 1000, 1)} s after the load`);
    return round;
  } finally {
    await stack.stop();
  }
}

function printSummary(rounds: readonly Round[]): void {
  console.log(`\nmedians over ${opts.rounds} rounds per side:`);
  for (const side of SIDES) {
    const mine = rounds.filter((r) => r.side === side);
    const results = mine.map((r) => r.result);
    const sum = (f: (r: EngineResult) => number): number => results.reduce((a, r) => a + f(r), 0);
    console.log(
      `${side.padEnd(10)} ${fmt(median(results.map(acceptedPerSec))).padStart(6)} accepted req/s  p50 ${fmt(median(results.map((r) => r.p50Ms ?? NaN)), 1)} ms  p99 ${fmt(median(results.map((r) => r.p99Ms ?? NaN)), 1)} ms  ` +
        `all rounds: errors ${sum((r) => r.errors)}  timeouts ${sum((r) => r.timeouts)}  4xx ${sum((r) => r.status4xx)}  5xx ${sum((r) => r.status5xx)}`,
    );
    console.log(`  cpu % of one core: ${formatMedianCpu(mine.map((r) => r.cpu))}`);
  }
  const checks = rounds.flatMap((r) => (r.check ? [r.check] : []));
  console.log(`QuestDB invariants: ${checks.filter((c) => c.ok).length} of ${checks.length} queuescope rounds ok`);
}

/** A short round of the same scenario whose numbers are not kept: warms the shared QuestDB and Redis. */
async function warmUp(side: Side): Promise<void> {
  const stack = await startStack(side, { workers: opts.workers, redis });
  try {
    const runId =
      stack.side === 'queuescope'
        ? await createRun(stack, { name: 'bench extreme warm-up', scenario: 'extreme', engine: 'builtin' })
        : `bare-${stack.namespace}`;
    const result = await runScenario({
      baseUrl: stack.url,
      runId,
      scenario: scaleStages(getScenario('extreme'), { durationMs: opts.warmup }),
    });
    console.log(`warm-up   ${side.padEnd(10)} ${resultLine(result)}  (not counted)`);
    if (stack.side === 'queuescope') await finishRun(stack, runId);
  } finally {
    await stack.stop();
  }
}

console.log(
  `extreme scenario (peak 1000 VUs) scaled to ${opts.duration / 1000} s per round, ${opts.rounds} rounds per side, ${opts.workers} worker processes, built-in engine`,
);
if (opts.warmup > 0) for (const side of SIDES) await warmUp(side);
const rounds: Round[] = [];
const ratios: number[] = [];
for (let i = 1; i <= opts.rounds; i++) {
  const qs = await runRound('queuescope', `round ${i}/${opts.rounds}`);
  const bare = await runRound('bare', `round ${i}/${opts.rounds}`);
  rounds.push(qs, bare);
  ratios.push(acceptedPerSec(qs.result) / acceptedPerSec(bare.result));
  console.log(`  round ${i} ratio queuescope/bare: ${fmt(ratios.at(-1), 3)}`);
}
printSummary(rounds);
await db.end();
await redis.quit();
console.log(`per-round ratios: ${ratios.map((r) => fmt(r, 3)).join(' ')}`);
console.log(`ratio queuescope/bare: accepted req/s ${fmt(median(ratios), 3)}`);
process.exit(0);
