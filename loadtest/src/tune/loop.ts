import type { TuneRound } from '@queuescope/contracts';
import { runOnce, type RunContext, type RunOutcome } from '../run.js';
import { applyChanges, waitDrained } from './apply.js';
import { CpuSampler, type CpuLoad } from './cpu.js';
import { describeChange, planTune } from './plan.js';
import { formatCompare, formatCpu, formatPlan, stopReason } from './report.js';
import { planSettings, readSettings, servingConfig } from './settings.js';

export interface TuneOptions {
  /** Tune rounds: each diagnoses the last run, applies what can help, and runs the scenario again. */
  maxRounds: number;
  /** Print what would change after the first run, change nothing. */
  dryRun: boolean;
  /** Name of the first run; later rounds append ` (tune round N)`. */
  name: string;
  /** Queues the runs load. */
  queues: readonly string[];
  /** Workers and slots per process from the runner's config, when the collector does not report them. */
  fallback: { workers: number; concurrency: Record<string, number> };
  /** The dashboard's compare page of two runs. */
  compareUrl: (a: string, b: string) => string;
}

/** One run with the workers' CPU sampled during its load. */
async function sampledRun(
  ctx: RunContext,
  opts: TuneOptions,
  name: string,
  tune: TuneRound,
): Promise<RunOutcome & { cpu: CpuLoad | null }> {
  const serving = servingConfig(await readSettings(ctx.collector, opts.queues), opts.fallback);
  const sampler = new CpuSampler(ctx.collector, opts.queues);
  let cpu: CpuLoad | null = null;
  const outcome = await runOnce(ctx, {
    name,
    ...serving,
    tune,
    duringLoad: {
      start: () => sampler.start(),
      stop: async () => {
        cpu = await sampler.stop();
      },
    },
  });
  return { ...outcome, cpu };
}

/**
 * `loadtest --tune`: run the scenario, diagnose it, apply each failing queue's recommendation that
 * can help (honesty rules in plan.ts), wait until every worker runs it and the backlog drained, run
 * the scenario again, print the compare; repeat while a queue fails and a change is still made, up
 * to `maxRounds`. Returns the exit code of the last run (0 pass, 1 fail; 2 error, 130 interrupted).
 */
export async function runTune(ctx: RunContext, opts: TuneOptions): Promise<number> {
  const { collector, log } = ctx;
  let last = await sampledRun(ctx, opts, opts.name, { round: 1 });
  for (let round = 1; round <= opts.maxRounds; round++) {
    if (last.code !== 0 && last.code !== 1) return last.code;
    log('');
    log(`Tune round ${round} of ${opts.maxRounds}, after run ${last.run.id}:`);
    if (last.summary.verdict !== 'fail') {
      log(stopReason(last.summary, null));
      return last.code;
    }
    const diagnosis = await collector.diagnosis(last.run.id);
    const settings = await readSettings(collector, opts.queues);
    const plan = planTune({ queues: diagnosis.queues, settings: planSettings(settings), cpu: last.cpu });
    log(formatCpu(last.cpu));
    log(formatPlan(plan, opts.dryRun));
    if (plan.changes.length === 0) {
      log(stopReason(last.summary, plan));
      return last.code;
    }
    if (opts.dryRun) {
      log(
        `Dry run: nothing changed. Without --dry-run, tune would apply ${plan.changes.map(describeChange).join(', ')} and run the scenario again.`,
      );
      return last.code;
    }
    await applyChanges(collector, plan.changes, last.run.id, log);
    const queues = last.summary.queues.map((q) => q.queue);
    const left = await waitDrained(collector, queues, new Date(), log, ctx.drainTimeoutMs, ctx.signal);
    if (ctx.signal.aborted) return 130;
    if (left.length)
      log(`the backlog of ${left.join(', ')} did not drain within ${ctx.drainTimeoutMs / 1000} s: the next run starts behind it`);
    else log(`no job waiting in ${queues.join(', ')} (queue depth sampled after the change): running the scenario again`);
    log('');
    const next = await sampledRun(ctx, opts, `${opts.name} (tune round ${round + 1})`, {
      round: round + 1,
      previousRunId: last.run.id,
      changes: plan.changes.map(describeChange),
    });
    if (next.code === 0 || next.code === 1) {
      log('');
      log(formatCompare(await collector.compare(last.run.id, next.run.id), opts.compareUrl(last.run.id, next.run.id)));
    }
    last = next;
  }
  if (last.summary.verdict === 'fail')
    log(`\nStill failing after ${opts.maxRounds} tune round${opts.maxRounds === 1 ? '' : 's'} (--max-rounds).`);
  return last.code;
}
