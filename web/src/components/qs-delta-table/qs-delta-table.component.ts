import { LitElement, html, nothing } from 'lit';
import type { ChangeVerdict, MetricComparison, RunComparison } from '@queuescope/contracts';
import { fmtMs, fmtNum, fmtPct, fmtSigned } from '../../format.js';
import styles from './qs-delta-table.styles.js';

/** The verdict as a word; the arrow beside it shows the direction of the change (▲ up, ▼ down). */
const VERDICT_WORD: Record<ChangeVerdict, string> = { better: 'better', worse: 'worse', unchanged: 'unchanged', 'no-data': 'no data' };

/** A value in its metric's unit, read from the metric id (`…_ms`, `…_rate`, `…_per_s`). */
function value(metric: string, v: number | null): string {
  if (metric.endsWith('_ms')) return fmtMs(v);
  if (metric.endsWith('_rate')) return fmtPct(v);
  return fmtNum(v, metric.endsWith('_per_s') ? 1 : 0);
}

function delta(metric: string, v: number | null): string {
  if (v === null) return '–';
  if (metric.endsWith('_rate')) return `${fmtSigned(v * 100, 2)} pp`;
  return fmtSigned(v, metric.endsWith('_ms') || metric.endsWith('_per_s') ? 1 : 0);
}

function arrow(m: MetricComparison): string {
  if (m.verdict === 'no-data') return '–';
  if (m.verdict === 'unchanged' || m.delta === null || m.delta === 0) return '=';
  return m.delta > 0 ? '▲' : '▼';
}

/**
 * The comparison of two runs, one row per queue and metric: A, B, Δ = B − A, Δ % and the verdict
 * as arrow + word + colour, with the collector's reason in words. Columns: queue, metric, A, B, Δ,
 * Δ %, verdict, why.
 */
export class QsDeltaTable extends LitElement {
  static override styles = styles;
  static override properties = { comparison: { attribute: false } };

  comparison: RunComparison | undefined;

  override render() {
    if (!this.comparison) return nothing;
    return html`<table>
      <caption>
        B against baseline A; Δ = B − A; rates in %, their Δ in percentage points (pp)
      </caption>
      <thead>
        <tr>
          <th scope="col">Queue</th>
          <th scope="col">Metric</th>
          <th scope="col" class="num">A</th>
          <th scope="col" class="num">B</th>
          <th scope="col" class="num">Δ</th>
          <th scope="col" class="num">Δ %</th>
          <th scope="col">Verdict</th>
          <th scope="col">Why</th>
        </tr>
      </thead>
      <tbody>
        ${this.comparison.queues.flatMap((q) =>
          Object.values(q.metrics).map(
            (m) =>
              html`<tr class=${`row--${m.verdict}`}>
                <th scope="row">${q.queue}</th>
                <td><code>${m.metric}</code></td>
                <td class="num">${value(m.metric, m.a)}</td>
                <td class="num">${value(m.metric, m.b)}</td>
                <td class="num">${delta(m.metric, m.delta)}</td>
                <td class="num">${m.deltaPct === null ? '–' : `${fmtSigned(m.deltaPct)} %`}</td>
                <td class=${`verdict verdict--${m.verdict}`}><span aria-hidden="true">${arrow(m)}</span> ${VERDICT_WORD[m.verdict]}</td>
                <td class="why">${m.reason}</td>
              </tr>`,
          ),
        )}
      </tbody>
    </table>`;
  }
}
