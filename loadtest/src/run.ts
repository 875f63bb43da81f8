import { execFileSync } from 'node:child_process';
import type { LoadSecond, Run, RunSummary, TuneRound } from '@queuescope/contracts';
import { totalDurationMs, type Scenario } from '../scenarios/index.js';
import type { CollectorClient } from './collector-client.js';
import { runScenario } from './engine/index.js';
import { runK6 } from './k6/runner.js';
import { fromK6Summary } from './k6/summary.js';
import { Progress } from './report/progress.js';
import { formatSummary } from './report/summary-table.js';

/** Everything one run needs that does not change between the runs of a tune. */
export interface RunContext {
  collector: CollectorClient;
  producerUrl: string;
  /** The producer's `PRODUCER_API_TOKEN`, or null. */
  producerToken: string | null;
  engine: 'k6' | 'builtin';
  /** Scenario name as given, and the scenario after `--duration` / `--vus`. */
  scenarioName: string;
  scenario: Scenario;
  /** `--duration` and `--vus` as given (k6 scales the stages itself). */
  durationMs: number | undefined;
  vus: number | undefined;
  /** Longest wait for the run's jobs to finish and be stored after the load, ms. */
  drainTimeoutMs: number;
  /** Aborted on Ctrl-C: the load stops and the run is finished as aborted. */
  signal: AbortSignal;
  /** Progress bar on a TTY (the built-in engine only: k6 draws its own). */
  tty: boolean;
  log: (line: string) => void;
  /** The dashboard page of a run. */
  runUrl: (runId: string) => string;
}

/** What one run stores in its config beyond the scenario: who served it, and for tune, which round. */
export interface RunRequest {
  name: string;
  /** Worker processes and slots per process of each queue while the run lasts (the diagnosis reads them). */
  workers: number;
  concurrency: Record<string, number>;
  /** `tune: { round, previousRunId, changes }` in the run's config; absent for a plain run. */
  tune?: TuneRound;
  /** Started right before the load and stopped right after it (e.g. a CPU sampler). */
  duringLoad?: { start: () => void; stop: () => Promise<void> };
}

export interface RunOutcome {
  run: Run;
  summary: RunSummary;
  /** 0 pass, 1 fail or no data, 2 when k6 failed, 130 when interrupted. */
  code: number;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until every accepted job of the run finished and every stream entry is stored (or the drain timeout). */
async function waitForStored(ctx: RunContext, runId: string, accepted: number): Promise<RunSummary> {
  const { collector, log } = ctx;
  const deadline = Date.now() + ctx.drainTimeoutMs;
  let last = '';
  for (;;) {
    const [status, summary] = await Promise.all([collector.ingestStatus(), collector.summary(runId)]);
    const jobs = summary.queues.reduce((n, q) => n + q.jobs, 0);
    const finished = summary.queues.reduce((n, q) => n + q.completed + q.failed, 0);
    const drained = status.totals.unread === 0 && status.totals.pending === 0;
    if (drained && jobs >= accepted && finished >= jobs) return summary;
    const line = `waiting for the queues to drain: ${finished}/${jobs} jobs finished, ${accepted} accepted, ${status.totals.unread + status.totals.pending} stream entries not yet stored`;
    if (line !== last) log(line);
    last = line;
    if (Date.now() > deadline) {
      log(`drain timeout after ${ctx.drainTimeoutMs / 1000} s: reporting what is stored so far`);
      return summary;
    }
    await sleep(1000);
  }
}

/**
 * One run: create it on the collector, drive the load (k6 or the built-in engine) while storing
 * per-second client metrics, finish it, wait until its jobs are stored, print its summary with SLO
 * verdicts, and give the exit code its verdict calls for.
 */
export async function runOnce(ctx: RunContext, req: RunRequest): Promise<RunOutcome> {
  const { collector, scenario, engine, log } = ctx;
  const peakVus = Math.max(...scenario.stages.map((s) => s.target), scenario.startVUs);
  const run = await collector.createRun({
    name: req.name,
    scenario: ctx.scenarioName,
    engine,
    config: {
      vus: peakVus,
      durationMs: totalDurationMs(scenario),
      stages: scenario.stages,
      workers: req.workers,
      concurrency: req.concurrency,
      producerUrl: ctx.producerUrl,
      gitCommit: gitCommit(),
      node: process.version,
      ...(req.tune ? { tune: req.tune } : {}),
    },
  });
  log(
    `run ${run.id}: scenario ${ctx.scenarioName} (peak ${peakVus} VUs, ${(totalDurationMs(scenario) / 1000).toFixed(0)} s) on the ${engine} engine`,
  );

  // Per-second client metrics go to the collector every few seconds, and once more at the end.
  const pending: LoadSecond[] = [];
  let accepted = 0;
  const flush = async () => {
    const batch = pending.splice(0);
    if (batch.length)
      await collector.postLoadMetrics(run.id, engine, batch).catch((err: unknown) => log(`could not store load metrics: ${String(err)}`));
  };
  const flusher = setInterval(() => void flush(), 5000);
  const progress = new Progress(ctx.tty && engine === 'builtin', totalDurationMs(scenario));
  const onSecond = (s: LoadSecond) => {
    pending.push(s);
    accepted += s.accepted;
    progress.update(s);
  };

  let k6Code = 0;
  req.duringLoad?.start();
  try {
    if (engine === 'k6') {
      const result = await runK6({
        scenario: ctx.scenarioName,
        runId: run.id,
        baseUrl: ctx.producerUrl,
        durationMs: ctx.durationMs,
        vus: ctx.vus,
        signal: ctx.signal,
        onSecond,
      });
      k6Code = result.code;
      if (!result.summary) log('k6 wrote no summary: the run has no client summary');
      else
        await collector
          .postClientSummary(run.id, fromK6Summary(result.summary))
          .catch((err: unknown) => log(`could not store the k6 summary: ${String(err)}`));
    } else {
      const result = await runScenario({
        baseUrl: ctx.producerUrl,
        runId: run.id,
        token: ctx.producerToken,
        scenario,
        signal: ctx.signal,
        onSecond,
      });
      await collector.postClientSummary(run.id, {
        source: 'builtin',
        requests: result.requests,
        accepted: result.accepted,
        errors: result.errors,
        timeouts: result.timeouts,
        reqPerSec: result.reqPerSec,
        p50Ms: result.p50Ms,
        p95Ms: result.p95Ms,
        p99Ms: result.p99Ms,
        maxMs: result.maxMs,
      });
    }
  } finally {
    await req.duringLoad?.stop();
    clearInterval(flusher);
    progress.stop();
    await flush();
  }
  const interrupted = ctx.signal.aborted;
  await collector.finishRun(run.id, interrupted ? 'aborted' : 'finished');
  const summary = interrupted ? await collector.summary(run.id) : await waitForStored(ctx, run.id, accepted);
  log('');
  log(formatSummary(summary, ctx.runUrl(run.id)));
  if (interrupted) return { run, summary, code: 130 };
  if (k6Code !== 0 && k6Code !== 99) {
    log(`k6 exited with code ${k6Code}`);
    return { run, summary, code: 2 };
  }
  if (summary.verdict === 'no-data') log('No job reached the queues in this run: nothing to judge.');
  return { run, summary, code: summary.verdict === 'pass' ? 0 : 1 };
}
