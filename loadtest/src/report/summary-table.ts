import Table from 'cli-table3';
import type { RunSummary } from '@queuescope/contracts';

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v < 10 ? v.toFixed(1) : v.toFixed(0));
const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)} %`);
const VERDICT = { pass: '✔ pass', fail: '✖ FAIL', 'no-data': '– no data' } as const;

/** The end-of-run report: per-queue numbers with SLO verdicts, then the client side next to them. */
export function formatSummary(summary: RunSummary, dashboardUrl: string): string {
  const queues = new Table({
    head: ['queue', 'jobs', 'jobs/s', 'p50 ms', 'p95 ms', 'p99 ms', 'wait p95', 'retries', 'failed', 'peak waiting', 'SLO'],
    style: { head: [], border: [] },
  });
  for (const q of summary.queues) {
    const failedChecks = q.slo.checks.filter((c) => c.pass === false).map((c) => `${c.metric} ${ms(c.actual)} ≥ ${c.target}`);
    queues.push([
      q.queue,
      q.jobs,
      q.throughput === null ? '–' : q.throughput.toFixed(1),
      ms(q.latency.p50),
      ms(q.latency.p95),
      ms(q.latency.p99),
      ms(q.wait.p95),
      q.retries,
      `${q.failed} (${pct(q.failureRate)})`,
      q.peakDepth?.waiting ?? '–',
      `${VERDICT[q.slo.verdict]}${failedChecks.length ? `\n${failedChecks.join('\n')}` : ''}`,
    ]);
  }
  const lines = [`Run ${summary.run.name} (${summary.run.id}) — SLO verdict: ${VERDICT[summary.verdict]}`, queues.toString()];
  for (const q of summary.queues.filter((x) => x.lostEvents > 0)) {
    lines.push(
      `⚠ ${q.queue}: ${q.lostEvents} events were trimmed by BullMQ before the collector read them, so these numbers miss them (raise EVENTS_MAX_LEN)`,
    );
  }
  const c = summary.client.summary;
  const totals = summary.client.perSecond[0];
  if (c || totals) {
    const client = new Table({
      head: ['client (HTTP)', 'requests', 'accepted', 'errors', 'timeouts', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'peak VUs'],
      style: { head: [], border: [] },
    });
    client.push([
      c?.source ?? totals?.source ?? '–',
      c?.requests ?? totals?.requests ?? '–',
      c?.accepted ?? totals?.accepted ?? '–',
      c?.errors ?? totals?.errors ?? '–',
      c?.timeouts ?? totals?.timeouts ?? '–',
      (c?.reqPerSec ?? totals?.reqPerSec ?? 0).toFixed(0),
      ms(c?.p50Ms),
      ms(c?.p95Ms),
      ms(c?.p99Ms),
      ms(c?.maxMs),
      totals?.peakVus ?? '–',
    ]);
    lines.push(client.toString());
  }
  lines.push(`Dashboard: ${dashboardUrl}`);
  return lines.join('\n');
}
