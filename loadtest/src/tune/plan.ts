import type { Cause, QueueDiagnosis } from '@queuescope/contracts';
import type { CpuLoad } from './cpu.js';

/**
 * What `loadtest --tune` does for each failing queue of a run, decided from its diagnosis and the
 * settings in force: raise the queue's slots per worker process, or refuse and say why. Pure: plain
 * data in, a plan out; every number it uses is the diagnosis' (SQL) or a worker's own report.
 *
 * Honesty rules (issue 12):
 * - only the `waiting` cause is fixed by more slots; `running` (the handler itself is slow),
 *   `retrying` (failures dominate) and `stalling` (dead workers, blocked event loops) are not;
 * - when the workers' CPU already fills the host's cores, more slots only queue up inside the
 *   process: refused as CPU-bound;
 * - a change never lowers the current value, and never exceeds WORKER_MAX_CONCURRENCY (the cap is
 *   shown).
 */

/** Share of the host's cores the workers' summed CPU must reach to count as CPU-bound. */
export const CPU_BOUND_SHARE = 0.8;

/** A queue's run-time concurrency as the collector reports it (`GET /api/v1/queues/:queue/concurrency`). */
export interface QueueSetting {
  /** Slots per worker process the workers are told to run now. */
  concurrency: number;
  /** WORKER_MAX_CONCURRENCY: the most a change may set. */
  max: number;
  /** Live worker processes of the queue (reported in the last 15 s). */
  workers: number;
}

export interface TuneInput {
  /** The run's diagnosis, worst queue first (`GET /api/v1/runs/:id/diagnosis` `queues`). */
  queues: readonly QueueDiagnosis[];
  /** Settings now, by queue; absent when the collector could not tell. */
  settings: Readonly<Record<string, QueueSetting | undefined>>;
  /** The workers' CPU during the run's load phase; null when no worker reported any. */
  cpu: CpuLoad | null;
}

/** Why tune leaves a failing queue alone. */
export type RefusalKind =
  'running' | 'retrying' | 'stalling' | 'no-cause' | 'no-number' | 'cpu-bound' | 'no-setting' | 'no-workers' | 'not-higher' | 'at-max';

interface PlanBase {
  queue: string;
  /** The dominant cause the diagnosis named; null when it named none. */
  cause: Cause | null;
  /** The conditions that raised it, in the diagnosis' words. */
  because: string[];
  /** One sentence a person reads: what tune does and why, or why not. */
  reason: string;
}

/** Raise the queue's slots per process from `from` to `to`. */
export interface ApplyPlan extends PlanBase {
  action: 'apply';
  from: number;
  to: number;
  /** The diagnosis' c*: slots in total across every worker process. */
  recommendedTotal: number;
  /** ⌈c* / workers⌉, before the cap. */
  recommendedPerProcess: number;
  /** Live worker processes the total is divided by. */
  workers: number;
  /** WORKER_MAX_CONCURRENCY when the recommendation exceeded it and was capped; else null. */
  cappedAt: number | null;
}

/** Leave the queue as it is. */
export interface RefusePlan extends PlanBase {
  action: 'refuse';
  kind: RefusalKind;
}

export type QueuePlan = ApplyPlan | RefusePlan;

export interface TunePlan {
  /** One entry per failing queue, worst first. */
  queues: QueuePlan[];
  /** The changes to make (the `apply` entries). */
  changes: ApplyPlan[];
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(2));

/** `webhook 1 → 3 per process`: a change as the run config and the report spell it. */
export function describeChange(c: Pick<ApplyPlan, 'queue' | 'from' | 'to'>): string {
  return `${c.queue} ${c.from} → ${c.to} per process`;
}

/** Whether the workers' CPU filled the host during the load: the peak ≥ {@link CPU_BOUND_SHARE} × cores. */
export function isCpuBound(cpu: CpuLoad | null): boolean {
  return cpu !== null && cpu.peakCores >= CPU_BOUND_SHARE * cpu.hostCores;
}

function refuse(d: QueueDiagnosis, kind: RefusalKind, reason: string): RefusePlan {
  return { action: 'refuse', queue: d.queue, cause: d.cause?.cause ?? null, because: d.cause?.because ?? [], kind, reason };
}

function planQueue(d: QueueDiagnosis, setting: QueueSetting | undefined, cpu: CpuLoad | null): QueuePlan {
  const finding = d.cause;
  if (finding === null)
    return refuse(d, 'no-cause', `${d.queue} fails its SLO but the diagnosis names no cause: there is no number to apply.`);
  const text = finding.recommendation.text;
  switch (finding.cause) {
    case 'running':
      return refuse(d, 'running', `the handler itself is slow, more slots do not make one job faster. ${text}`);
    case 'retrying':
      return refuse(d, 'retrying', `failures dominate, more slots only retry faster. ${text}`);
    case 'stalling':
      return refuse(d, 'stalling', `attempts stall (a dead worker or a blocked event loop), more slots stall more jobs. ${text}`);
    case 'waiting':
      break;
  }
  const rec = finding.recommendation;
  if (rec.concurrency === null) return refuse(d, 'no-number', `the diagnosis has no concurrency to apply. ${text}`);
  if (isCpuBound(cpu)) {
    const c = cpu!;
    return refuse(
      d,
      'cpu-bound',
      `the workers are CPU-bound: their CPU peaked at ${fmt(c.peakCores)} of ${c.hostCores} cores on ${c.host} (mean ${fmt(c.meanCores)}; ≥ ${CPU_BOUND_SHARE * 100} % counts as full), ` +
        'so more slots only queue up inside the processes; add worker hosts or make the handler cheaper.',
    );
  }
  if (!setting)
    return refuse(d, 'no-setting', 'the collector did not report the queue’s concurrency setting, so there is nothing to raise it from.');
  if (setting.workers < 1) return refuse(d, 'no-workers', 'no live worker process reports the queue, so nothing would apply a change.');
  const perProcess = Math.ceil(rec.concurrency / setting.workers);
  const split = `${fmt(rec.concurrency)} slots in total ÷ ${setting.workers} worker process${setting.workers === 1 ? '' : 'es'} = ${perProcess} per process`;
  if (setting.concurrency >= setting.max)
    return refuse(
      d,
      'at-max',
      `already at the maximum of ${setting.max} per process (WORKER_MAX_CONCURRENCY); the diagnosis asks for ${split}.`,
    );
  if (perProcess <= setting.concurrency)
    return refuse(d, 'not-higher', `${split}, which does not raise the current ${setting.concurrency} per process: nothing to change.`);
  const cappedAt = perProcess > setting.max ? setting.max : null;
  const to = cappedAt ?? perProcess;
  const cap = cappedAt !== null ? `, capped at WORKER_MAX_CONCURRENCY ${cappedAt}` : '';
  return {
    action: 'apply',
    queue: d.queue,
    cause: 'waiting',
    because: finding.because,
    from: setting.concurrency,
    to,
    recommendedTotal: rec.concurrency,
    recommendedPerProcess: perProcess,
    workers: setting.workers,
    cappedAt,
    reason: `jobs wait for a free slot (${finding.because.join('; ') || 'waiting'}): ${split}${cap}; ${describeChange({ queue: d.queue, from: setting.concurrency, to })}.`,
  };
}

/** The plan for every failing queue of a diagnosis (see the honesty rules above). */
export function planTune(input: TuneInput): TunePlan {
  const queues = input.queues.filter((d) => d.verdict === 'fail').map((d) => planQueue(d, input.settings[d.queue], input.cpu));
  return { queues, changes: queues.filter((p): p is ApplyPlan => p.action === 'apply') };
}
