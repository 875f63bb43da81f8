import { Task } from '@lit/task';
import { LitElement, html } from 'lit';
import type uPlot from 'uplot';
import { api, type TimeSeries } from '../../api/client.js';
import { VERDICT_TEXT } from '../../format.js';
import { PALETTE } from '../colors.js';
import styles from '../page.styles.js';

/** Two runs side by side: the delta table and latency p95 of both, aligned on seconds since each run's start. */
export class QsComparePage extends LitElement {
  static override styles = styles;
  static override properties = { a: { type: String }, b: { type: String } };
  a = '';
  b = '';

  private readonly data = new Task(this, {
    task: async ([a, b], { signal }) => {
      const [comparison, la, lb] = await Promise.all([api.compare(a!, b!, signal), api.timeseries(a!, 'latency', signal), api.timeseries(b!, 'latency', signal)]);
      return { comparison, la, lb };
    },
    args: () => [this.a, this.b] as const,
  });

  override render() {
    if (!this.a || !this.b) return html`<h1>Compare</h1><div class="empty">Pick two runs on the <a href="#/runs">runs page</a>.</div>`;
    return this.data.render({
      pending: () => html`<p class="muted" role="status">Comparing …</p>`,
      error: (e) => html`<h1>Compare</h1><p class="error" role="alert">${String(e)}</p>`,
      complete: ({ comparison, la, lb }) => html`
        <h1>Compare</h1>
        <p>A: <a href=${`#/runs/${encodeURIComponent(comparison.a.run.id)}`}>${comparison.a.run.name}</a> (${VERDICT_TEXT[comparison.a.verdict]}) · B: <a href=${`#/runs/${encodeURIComponent(comparison.b.run.id)}`}>${comparison.b.run.name}</a> (${VERDICT_TEXT[comparison.b.verdict]})</p>
        <details><summary>How verdicts are decided</summary><p class="muted">${comparison.rule}</p></details>
        <qs-delta-table .comparison=${comparison}></qs-delta-table>
        <h2>Latency p95, aligned on time since each run's start</h2>
        <div class="grid">${comparison.queues.map((q) => this.overlay(q.queue, la, lb, Date.parse(comparison.a.run.startedAt), Date.parse(comparison.b.run.startedAt)))}</div>
      `,
    });
  }

  /** Both runs' p95 of one queue on one axis of seconds since start; joining the two axes is placement only. */
  private overlay(queue: string, la: TimeSeries, lb: TimeSeries, startA: number, startB: number) {
    const xa = la.ts.map((t) => Math.round((t - startA) / 1000));
    const xb = lb.ts.map((t) => Math.round((t - startB) / 1000));
    const xs = [...new Set([...xa, ...xb])].sort((x, y) => x - y);
    const at = (x: number[], values: (number | null)[] | undefined) => {
      const index = new Map(x.map((v, i) => [v, i]));
      return xs.map((v) => (index.has(v) ? (values?.[index.get(v)!] ?? null) : null));
    };
    const data = [xs, at(xa, la.series[`${queue}.p95`]), at(xb, lb.series[`${queue}.p95`])] as uPlot.AlignedData;
    return html`<qs-chart label=${`${queue}: latency p95, A vs B`} unit="ms (x: seconds since start)" .lines=${[{ label: 'A', color: PALETTE[0]! }, { label: 'B', color: PALETTE[1]! }]} .data=${data}></qs-chart>`;
  }
}
