import { Task, initialState } from '@lit/task';
import { LitElement, html, nothing } from 'lit';
import uPlot from 'uplot';
import type { QueueSummary, RunComparison, TimeSeries } from '@queuescope/contracts';
import { api } from '../../api/client.js';
import { VERDICT_TEXT, fmtTime } from '../../format.js';
import { href } from '../../routes.js';
import { colorAt } from '../colors.js';
import styles from '../page.styles.js';

/**
 * One run's column `<queue>.p95` on an x axis of seconds since the run's first bucket. Shifting x
 * by the run's start is placement: the values are the collector's, untouched.
 */
function sinceStart(ts: TimeSeries, queue: string): uPlot.AlignedData {
  const start = ts.ts[0] ?? 0;
  return [ts.ts.map((t) => (t - start) / 1000), ts.series[`${queue}.p95`] ?? ts.ts.map(() => null)];
}

/**
 * Two runs side by side: the delta table (per queue and metric, verdict better/worse/unchanged) and
 * each queue's latency p95 of both runs overlaid, aligned on seconds since each run's start.
 */
export class QsComparePage extends LitElement {
  static override styles = styles;
  static override properties = { a: { type: String }, b: { type: String } };

  /** Run id of the baseline. */
  a = '';
  /** Run id compared against the baseline. */
  b = '';

  private readonly data = new Task(this, {
    task: async ([a, b], { signal }) => {
      if (!a || !b) return initialState;
      // The overlay is optional: a failed time series leaves the delta table standing.
      const series = (id: string) =>
        api
          .timeseries(id, 'latency', signal)
          .catch((err: unknown) => (signal.aborted ? Promise.reject(err) : err instanceof Error ? err : new Error(String(err))));
      const [comparison, la, lb] = await Promise.all([api.compare(a, b, signal), series(a), series(b)]);
      return { comparison, la, lb };
    },
    args: () => [this.a, this.b] as const,
  });

  private overlay(queue: string, la: TimeSeries, lb: TimeSeries, q: { a: QueueSummary | null; b: QueueSummary | null }) {
    // uPlot.join lines both runs up on the union of their x values (nulls where one has no second).
    const data = uPlot.join([sinceStart(la, queue), sinceStart(lb, queue)]);
    const target = q.a?.slo.target ?? q.b?.slo.target;
    return html`<qs-chart
      label=${`${queue}: latency p95, A and B`}
      unit="ms"
      elapsed
      sync="compare"
      .series=${[
        { label: 'A', color: colorAt(0) },
        { label: 'B', color: colorAt(1) },
      ]}
      .data=${data}
      .thresholds=${target ? [{ value: target.p95Ms, label: `SLO p95 ${target.p95Ms} ms` }] : []}
    ></qs-chart>`;
  }

  private page({ comparison, la, lb }: { comparison: RunComparison; la: TimeSeries | Error; lb: TimeSeries | Error }) {
    const { a, b } = comparison;
    return html`
      <h1 tabindex="-1">Compare runs</h1>
      <dl class="runs">
        <dt>A (baseline)</dt>
        <dd>
          <a href=${href.run(a.run.id)}>${a.run.name}</a> · ${a.run.scenario ?? '–'} · started ${fmtTime(a.run.startedAt)} · SLO
          <span class=${`verdict verdict--${a.verdict}`}>${VERDICT_TEXT[a.verdict]}</span>
        </dd>
        <dt>B</dt>
        <dd>
          <a href=${href.run(b.run.id)}>${b.run.name}</a> · ${b.run.scenario ?? '–'} · started ${fmtTime(b.run.startedAt)} · SLO
          <span class=${`verdict verdict--${b.verdict}`}>${VERDICT_TEXT[b.verdict]}</span>
        </dd>
      </dl>
      <div class="actions">
        <a class="button" href=${href.compare(b.run.id, a.run.id)}>Swap A and B</a>
        <a href=${href.runs()}>All runs</a>
      </div>
      <h2>Differences</h2>
      <qs-delta-table .comparison=${comparison}></qs-delta-table>
      <details>
        <summary>How verdicts are decided</summary>
        <p class="muted">${comparison.rule}</p>
      </details>
      <h2>Latency p95 over the run, aligned on seconds since each run's start</h2>
      ${
        la instanceof Error || lb instanceof Error
          ? html`<p class="error">The latency time series could not be loaded: ${(la instanceof Error ? la : (lb as Error)).message}</p>`
          : comparison.queues.length === 0
            ? html`<div class="empty">Neither run has job events.</div>`
            : html`<div class="grid">${comparison.queues.map((q) => this.overlay(q.queue, la, lb, q))}</div>`
      }
    `;
  }

  override render() {
    if (!this.a || !this.b)
      return html`<h1 tabindex="-1">Compare runs</h1>
        <div class="empty">Pick two runs on the <a href=${href.runs()}>runs page</a>.</div>`;
    return this.data.render({
      initial: () => nothing,
      pending: () =>
        html`<h1 tabindex="-1">Compare runs</h1>
          <p class="muted" role="status">Comparing …</p>`,
      error: (e) =>
        html`<h1 tabindex="-1">Compare runs</h1>
          <p class="error" role="alert">${e instanceof Error ? e.message : String(e)}</p>
          <p><a href=${href.runs()}>All runs</a></p>`,
      complete: (v) => this.page(v),
    });
  }
}
