import { LitElement, html, nothing } from 'lit';
import type { QueueSummary, SloCheck } from '@queuescope/contracts';
import { VERDICT_TEXT, fmtMs, fmtNum, fmtPct } from '../../format.js';
import styles from './qs-summary-table.styles.js';

/** One SLO check as text: "p95 412 ms ≥ 300 ms". */
function checkText(c: SloCheck): string {
  if (c.metric === 'error_rate') return `errors ${fmtPct(c.actual)} ≥ ${fmtPct(c.target)}`;
  return `${c.metric === 'latency_p95_ms' ? 'p95' : 'p99'} ${fmtMs(c.actual)} ms ≥ ${c.target} ms`;
}

/**
 * Per-queue summary of a run (every number from the collector's SQL), with the SLO verdict as icon
 * and word ("✔ pass", "✖ fail", "– no data") and the failing checks spelled out.
 */
export class QsSummaryTable extends LitElement {
  static override styles = styles;
  static override properties = { queues: { attribute: false } };

  queues: QueueSummary[] = [];

  private slo(q: QueueSummary) {
    const t = q.slo.target;
    const failing = q.slo.checks.filter((c) => c.pass === false);
    return html`<td class="slo">
      <span class=${`verdict verdict--${q.slo.verdict}`}>${VERDICT_TEXT[q.slo.verdict]}</span>
      ${failing.map((c) => html`<span class="check">${checkText(c)}</span>`)}
      ${t ? html`<span class="target">target: p95 &lt; ${t.p95Ms} ms, p99 &lt; ${t.p99Ms} ms, errors &lt; ${fmtPct(t.maxErrorRate)}</span>` : html`<span class="target">no SLO for this queue</span>`}
    </td>`;
  }

  override render() {
    if (this.queues.length === 0) return nothing;
    return html`<table>
      <caption>
        Per queue; latencies in ms, end to end (enqueued → finished)
      </caption>
      <thead>
        <tr>
          <th scope="col">Queue</th>
          <th scope="col" class="num">Jobs</th>
          <th scope="col" class="num">Completed</th>
          <th scope="col" class="num">Jobs/s</th>
          <th scope="col" class="num">p50</th>
          <th scope="col" class="num">p95</th>
          <th scope="col" class="num">p99</th>
          <th scope="col" class="num">Wait p95</th>
          <th scope="col" class="num">Run p95</th>
          <th scope="col" class="num">Retries</th>
          <th scope="col" class="num">Failed</th>
          <th scope="col" class="num">Stalled</th>
          <th scope="col" class="num">Peak waiting</th>
          <th scope="col">SLO verdict</th>
        </tr>
      </thead>
      <tbody>
        ${this.queues.map(
          (q) =>
            html`<tr>
              <th scope="row">${q.queue}</th>
              <td class="num">${q.jobs}</td>
              <td class="num">${q.completed}</td>
              <td class="num">${fmtNum(q.throughput)}</td>
              <td class="num">${fmtMs(q.latency.p50)}</td>
              <td class="num">${fmtMs(q.latency.p95)}</td>
              <td class="num">${fmtMs(q.latency.p99)}</td>
              <td class="num">${fmtMs(q.wait.p95)}</td>
              <td class="num">${fmtMs(q.run.p95)}</td>
              <td class="num">${q.retries} <small>(${fmtPct(q.retryRate)})</small></td>
              <td class="num">${q.failed} <small>(${fmtPct(q.failureRate)})</small></td>
              <td class="num">${q.stalled}</td>
              <td class="num">${q.peakDepth?.waiting ?? '–'}</td>
              ${this.slo(q)}
            </tr>`,
        )}
      </tbody>
    </table>`;
  }
}
