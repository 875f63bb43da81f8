import Table from 'cli-table3';
import { COMPARE_METRICS, type RunComparison, type RunSummary, type Verdict } from '@queuescope/contracts';
import type { CpuLoad } from './cpu.js';
import { CPU_BOUND_SHARE, describeChange, type TunePlan } from './plan.js';

const VERDICT: Record<Verdict, string> = { pass: '✔ pass', fail: '✖ FAIL', 'no-data': '– no data' };
const num = (v: number | null): string => (v === null ? '–' : Math.abs(v) >= 10 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(2));

/** The workers' CPU during the load, one line. */
export function formatCpu(cpu: CpuLoad | null): string {
  if (!cpu) return 'worker CPU: no worker reported any during the load (CPU-bound check skipped)';
  return (
    `worker CPU during the load on ${cpu.host}: peak ${cpu.peakCores.toFixed(2)}, mean ${cpu.meanCores.toFixed(2)} of ${cpu.hostCores} cores ` +
    `(${cpu.samples} samples; CPU-bound at ≥ ${CPU_BOUND_SHARE * 100} %)`
  );
}

/** Per failing queue: its cause, and the change tune makes or why it makes none. */
export function formatPlan(plan: TunePlan, dryRun: boolean): string {
  if (plan.queues.length === 0) return 'No queue failed its SLO: nothing to tune.';
  const lines: string[] = [];
  for (const p of plan.queues) {
    const cause = p.cause ?? 'no cause';
    if (p.action === 'apply') {
      lines.push(`${p.queue} — cause ${cause}: ${dryRun ? 'would set' : 'set'} ${describeChange(p)}`);
      lines.push(`  why: ${p.reason}`);
      if (p.cappedAt !== null)
        lines.push(`  capped: the diagnosis asks for ${p.recommendedPerProcess} per process; the maximum is ${p.cappedAt}`);
    } else {
      lines.push(`${p.queue} — cause ${cause}: no change (${p.kind})`);
      lines.push(`  why: ${p.reason}`);
    }
  }
  return lines.join('\n');
}

/** The significant changes of a comparison (verdict better or worse), one line each; every queue's verdict before → after. */
export function formatCompare(cmp: RunComparison, compareUrl: string): string {
  const lines = [`Compare ${cmp.a.run.id} → ${cmp.b.run.id} (significant changes only):`];
  let significant = 0;
  for (const q of cmp.queues) {
    for (const metric of COMPARE_METRICS) {
      const m = q.metrics[metric];
      if (m.verdict !== 'better' && m.verdict !== 'worse') continue;
      significant++;
      const pct = m.deltaPct === null ? '' : ` (${m.deltaPct > 0 ? '+' : ''}${m.deltaPct.toFixed(1)} %)`;
      lines.push(`  ${q.queue} ${metric}: ${num(m.a)} → ${num(m.b)}${pct} ${m.verdict}`);
    }
  }
  if (significant === 0) lines.push('  none');
  lines.push(formatVerdicts(cmp));
  lines.push(`Compare in the dashboard: ${compareUrl}`);
  return lines.join('\n');
}

/** Each queue's SLO verdict and latency p95 in both runs. */
export function formatVerdicts(cmp: RunComparison): string {
  const t = new Table({ head: ['queue', 'p95 ms before', 'p95 ms after', 'SLO before', 'SLO after'], style: { head: [], border: [] } });
  for (const q of cmp.queues) {
    t.push([
      q.queue,
      num(q.a?.latency.p95 ?? null),
      num(q.b?.latency.p95 ?? null),
      VERDICT[q.a?.slo.verdict ?? 'no-data'],
      VERDICT[q.b?.slo.verdict ?? 'no-data'],
    ]);
  }
  return `Verdicts: run ${VERDICT[cmp.a.verdict]} → ${VERDICT[cmp.b.verdict]}\n${t.toString()}`;
}

/** Why tune stops after a round: every queue passes, nothing can help, or the rounds are used up. */
export function stopReason(summary: RunSummary, plan: TunePlan | null): string {
  if (summary.verdict === 'no-data') return 'No job reached the queues in this run: nothing to tune.';
  if (summary.verdict === 'pass') return 'Every queue meets its SLO: nothing to tune.';
  if (plan && plan.changes.length === 0) return 'Tune changes nothing: no failing queue has a change that can help (reasons above).';
  return '';
}
