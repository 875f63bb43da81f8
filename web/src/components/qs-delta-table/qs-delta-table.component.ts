import { LitElement, html } from 'lit';
import type { RunComparison } from '../../api/client.js';
import { fmtNum } from '../../format.js';
import styles from './qs-delta-table.styles.js';

const VERDICT = { better: '▼ better', worse: '▲ worse', unchanged: '= unchanged', 'no-data': '– no data' } as const;

/** Compare deltas per queue and metric; the verdict is a word and an arrow as well as a colour. */
export class QsDeltaTable extends LitElement {
  static override styles = styles;
  static override properties = { comparison: { attribute: false } };
  comparison: RunComparison | undefined;

  override render() {
    if (!this.comparison) return html``;
    return html`<table>
      <thead>
        <tr><th scope="col">queue</th><th scope="col">metric</th><th scope="col">run A</th><th scope="col">run B</th><th scope="col">Δ</th><th scope="col">Δ %</th><th scope="col">verdict</th></tr>
      </thead>
      <tbody>
        ${this.comparison.queues.flatMap((q) =>
          Object.values(q.metrics).map(
            (m) => html`<tr>
              <th scope="row">${q.queue}</th>
              <td>${m.metric}</td>
              <td>${fmtNum(m.a, 2)}</td>
              <td>${fmtNum(m.b, 2)}</td>
              <td>${fmtNum(m.delta, 2)}</td>
              <td>${m.deltaPct === null ? '–' : `${fmtNum(m.deltaPct)} %`}</td>
              <td class=${m.verdict} title=${m.reason}>${VERDICT[m.verdict]}</td>
            </tr>`,
          ),
        )}
      </tbody>
    </table>`;
  }
}
