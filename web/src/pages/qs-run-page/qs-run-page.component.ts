import { Task } from '@lit/task';
import { LitElement, html } from 'lit';
import type uPlot from 'uplot';
import { api, type Finding, type RunDiagnosis, type TimeSeries } from '../../api/client.js';
import { VERDICT_TEXT, fmtNum, fmtTime } from '../../format.js';
import { PALETTE } from '../colors.js';
import styles from '../page.styles.js';

const CHARTS: { metric: string; stat: string; label: string; unit: string }[] = [
  { metric: 'latency', stat: 'p95', label: 'latency p95 per queue', unit: 'ms' },
  { metric: 'throughput', stat: 'rate', label: 'finished jobs per queue', unit: 'jobs/s' },
  { metric: 'wait', stat: 'p95', label: 'wait p95 per queue', unit: 'ms' },
  { metric: 'failures', stat: 'rate', label: 'failures per queue', unit: 'per s' },
  { metric: 'depth', stat: 'waiting', label: 'waiting jobs per queue', unit: 'jobs' },
];

/** Columns of `stat` from a time series response, as uPlot data with one line per queue. */
function byQueue(ts: TimeSeries, stat: string): { data: uPlot.AlignedData; lines: { label: string; color: string }[] } {
  const keys = Object.keys(ts.series).filter((k) => k.endsWith(`.${stat}`)).sort();
  return {
    data: [ts.ts.map((t) => t / 1000), ...keys.map((k) => ts.series[k]!)] as uPlot.AlignedData,
    lines: keys.map((k, i) => ({ label: k.slice(0, -stat.length - 1), color: PALETTE[i % PALETTE.length]! })),
  };
}

/** One run: summary with SLO verdicts, diagnosis, queue-side and client-side charts, exports. */
export class QsRunPage extends LitElement {
  static override styles = styles;
  static override properties = { runId: { type: String } };
  runId = '';

  private readonly data = new Task(this, {
    task: async ([runId], { signal }) => {
      const [summary, diagnosis, load, ...series] = await Promise.all([
        api.summary(runId!, signal),
        api.diagnosis(runId!, signal),
        api.timeseries(runId!, 'load', signal),
        ...CHARTS.map((c) => api.timeseries(runId!, c.metric, signal)),
      ]);
      return { summary, diagnosis, load, series };
    },
    args: () => [this.runId] as const,
  });

  override render() {
    return this.data.render({
      pending: () => html`<p class="muted" role="status">Loading run …</p>`,
      error: (e) => html`<h1>Run</h1><p class="error" role="alert">${String(e)}</p><p><a href="#/runs">All runs</a></p>`,
      complete: ({ summary, diagnosis, load, series }) => {
        const r = summary.run;
        return html`
          <h1>${r.name}</h1>
          <p class="muted">${r.scenario ?? '–'} · ${r.engine ?? '–'} · ${r.status} · started ${fmtTime(r.startedAt)} · ended ${fmtTime(r.endedAt)} · ${summary.jobs} jobs</p>
          <p>Overall SLO verdict: <strong class=${summary.verdict}>${VERDICT_TEXT[summary.verdict]}</strong></p>
          <div class="actions">
            <a class="button secondary" href=${api.summaryUrl(r.id)} download=${`run-${r.id}-summary.json`}>Summary (JSON)</a>
            <a class="button secondary" href=${api.eventsExportUrl(r.id, 'csv')}>Events (CSV)</a>
            <a class="button secondary" href=${api.eventsExportUrl(r.id, 'json')}>Events (JSON)</a>
          </div>
          <h2>Summary</h2>
          ${summary.queues.length ? html`<qs-summary-table .queues=${summary.queues}></qs-summary-table>` : html`<div class="empty">No events stored for this run.</div>`}
          ${this.client(summary)}
          <h2>Diagnosis</h2>
          ${this.diagnosis(diagnosis)}
          <h2>Over time</h2>
          <div class="grid">
            ${CHARTS.map((c, i) => {
              const s = byQueue(series[i]!, c.stat);
              return html`<qs-chart label=${c.label} unit=${c.unit} .lines=${s.lines} .data=${s.data}></qs-chart>`;
            })}
            <qs-chart label="client requests per second and VUs" .lines=${[{ label: 'req/s', color: PALETTE[0]! }, { label: 'VUs', color: PALETTE[1]! }]} .data=${[load.ts.map((t) => t / 1000), load.series['client.rps'] ?? [], load.series['client.vus'] ?? []] as uPlot.AlignedData}></qs-chart>
            <qs-chart label="client HTTP latency" unit="ms" .lines=${[{ label: 'p95', color: PALETTE[0]! }, { label: 'p99', color: PALETTE[1]! }]} .data=${[load.ts.map((t) => t / 1000), load.series['client.p95'] ?? [], load.series['client.p99'] ?? []] as uPlot.AlignedData}></qs-chart>
          </div>`;
      },
    });
  }

  private client(summary: { client: { summary: { source: string; requests: number; errors: number; reqPerSec: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null } | null } }) {
    const c = summary.client.summary;
    if (!c) return '';
    return html`<h2>Client side (${c.source})</h2>
      <div class="stats">
        <div class="stat"><b>${c.requests}</b><span>requests</span></div>
        <div class="stat"><b>${fmtNum(c.reqPerSec, 0)}</b><span>req/s</span></div>
        <div class="stat"><b>${c.errors}</b><span>errors</span></div>
        <div class="stat"><b>${fmtNum(c.p50Ms)}</b><span>HTTP p50, ms</span></div>
        <div class="stat"><b>${fmtNum(c.p95Ms)}</b><span>HTTP p95, ms</span></div>
        <div class="stat"><b>${fmtNum(c.p99Ms)}</b><span>HTTP p99, ms</span></div>
      </div>`;
  }

  private diagnosis(d: RunDiagnosis) {
    if (d.queues.length === 0) return html`<div class="empty">Nothing to diagnose yet.</div>`;
    return html`<ol>
      ${d.queues.map(
        (q) => html`<li>
          <strong>${q.queue}</strong> — <span class=${q.verdict}>${VERDICT_TEXT[q.verdict]}</span>${q.severity !== null ? html` (severity ${fmtNum(q.severity, 2)})` : ''}
          ${q.cause ? this.finding(q.cause) : html`<p class="muted">No problem found.</p>`}
          ${q.secondary.length ? html`<p class="muted">Also: ${q.secondary.map((f) => f.cause).join(', ')}</p>` : ''}
        </li>`,
      )}
    </ol>`;
  }

  private finding(f: Finding) {
    return html`<div class="panel">
      <p><b>Cause: ${f.cause}</b></p>
      <ul>${f.because.map((b) => html`<li>${b}</li>`)}</ul>
      <p><b>Recommendation:</b> ${f.recommendation.text}</p>
      ${f.recommendation.drainSeconds !== undefined
        ? html`<p>Time to drain the backlog: ${f.recommendation.drainSeconds === null ? (f.recommendation.drains === false ? 'does not drain at this arrival rate' : '–') : `${fmtNum(f.recommendation.drainSeconds, 0)} s`}</p>`
        : ''}
    </div>`;
  }
}
