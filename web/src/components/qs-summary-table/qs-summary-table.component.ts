import { LitElement, html } from 'lit';
import type { QueueSummary } from '../../api/client.js';
import { VERDICT_TEXT, fmtMs, fmtNum, fmtPct } from '../../format.js';
import styles from './qs-summary-table.styles.js';

/** Per-queue run summary with SLO verdicts, readable without colour (icon and word). */
export class QsSummaryTable extends LitElement {
  static override styles = styles;
  static override properties = { queues: { attribute: false } };
  queues: QueueSummary[] = [];

  override render() {
    return html`<table>
      <caption class="sr-only" hidden>Per-queue summary</caption>
      <thead>
        <tr>
          <th scope="col">queue</th><th scope="col">jobs</th><th scope="col">jobs/s</th><th scope="col">p50 ms</th><th scope="col">p95 ms</th><th scope="col">p99 ms</th>
          <th scope="col">wait p95 ms</th><th scope="col">run p95 ms</th><th scope="col">retries</th><th scope="col">failed</th><th scope="col">stalled</th><th scope="col">peak waiting</th><th scope="col">SLO</th>
        </tr>
      </thead>
      <tbody>
        ${this.queues.map(
          (q) => html`<tr>
            <th scope="row">${q.queue}</th>
            <td>${q.jobs}</td>
            <td>${fmtNum(q.throughput)}</td>
            <td>${fmtMs(q.latency.p50)}</td>
            <td>${fmtMs(q.latency.p95)}</td>
            <td>${fmtMs(q.latency.p99)}</td>
            <td>${fmtMs(q.wait.p95)}</td>
            <td>${fmtMs(q.run.p95)}</td>
            <td>${q.retries} (${fmtPct(q.retryRate)})</td>
            <td>${q.failed} (${fmtPct(q.failureRate)})</td>
            <td>${q.stalled}</td>
            <td>${q.peakDepth?.waiting ?? '–'}</td>
            <td class=${q.slo.verdict}>
              ${VERDICT_TEXT[q.slo.verdict]}
              ${q.slo.checks.filter((c) => c.pass === false).map((c) => html`<span class="checks">${c.metric}: ${fmtMs(c.actual)} ≥ ${c.target}</span>`)}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>`;
  }
}
