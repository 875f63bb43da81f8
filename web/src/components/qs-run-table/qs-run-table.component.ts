import { LitElement, html, nothing } from 'lit';
import type { RunListItem } from '@queuescope/contracts';
import { VERDICT_TEXT, fmtElapsed, fmtTime } from '../../format.js';
import { href } from '../../routes.js';
import styles from './qs-run-table.styles.js';

/**
 * Runs, newest first, with a checkbox per run to pick two for comparison. The first run picked is
 * the baseline (A). The Compare button emits `qs-compare-select` with `{ a, b }`.
 *
 * @event qs-compare-select - the user pressed Compare with two runs selected
 */
export class QsRunTable extends LitElement {
  static override styles = styles;
  static override properties = {
    rows: { attribute: false },
    selected: { state: true },
  };

  /** Runs as `GET /api/v1/runs` lists them: each with its jobs and SLO verdicts. */
  rows: RunListItem[] = [];
  /** Run ids in the order the user picked them; at most two. */
  private selected: string[] = [];

  private toggle(id: string, on: boolean): void {
    this.selected = on ? [...this.selected.filter((s) => s !== id), id].slice(-2) : this.selected.filter((s) => s !== id);
  }

  private compare(): void {
    const [a, b] = this.selected;
    if (!a || !b) return;
    this.dispatchEvent(new CustomEvent('qs-compare-select', { detail: { a, b }, bubbles: true, composed: true }));
  }

  private verdict(run: RunListItem) {
    return html`<td>
      <span class=${`verdict verdict--${run.verdict}`}>${VERDICT_TEXT[run.verdict]}</span>
      ${
        run.queues.length
          ? html`<ul class="queues">
              ${run.queues.map((q) => html`<li class=${`verdict verdict--${q.verdict}`}>${q.queue}: ${VERDICT_TEXT[q.verdict]}</li>`)}
            </ul>`
          : nothing
      }
    </td>`;
  }

  override render() {
    const full = this.selected.length === 2;
    return html` <div class="toolbar">
        <button type="button" ?disabled=${!full} @click=${this.compare}>Compare selected runs</button>
        <span class="hint" role="status"
          >${this.selected.length === 0 ? 'Select two runs to compare them.' : full ? 'A is the baseline, B is compared against it.' : 'Select one more run.'}</span
        >
      </div>
      <table>
        <caption>
          Runs, newest first
        </caption>
        <thead>
          <tr>
            <th scope="col">Compare</th>
            <th scope="col">Name</th>
            <th scope="col">Scenario</th>
            <th scope="col">Engine</th>
            <th scope="col">Started</th>
            <th scope="col" class="num">Duration</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">Jobs</th>
            <th scope="col">SLO verdict (worst, per queue)</th>
          </tr>
        </thead>
        <tbody>
          ${this.rows.map((run) => {
            const pick = this.selected.indexOf(run.id);
            return html`<tr class=${pick >= 0 ? 'selected' : ''}>
              <td>
                <label class="pick">
                  <input
                    type="checkbox"
                    .checked=${pick >= 0}
                    ?disabled=${full && pick < 0}
                    @change=${(e: Event) => this.toggle(run.id, (e.target as HTMLInputElement).checked)}
                  />
                  <span class="sr-only">Select ${run.name} for comparison</span>
                  ${pick >= 0 ? html`<span class="badge">${pick === 0 ? 'A' : 'B'}</span>` : nothing}
                </label>
              </td>
              <th scope="row"><a href=${href.run(run.id)}>${run.name}</a></th>
              <td>${run.scenario ?? '–'}</td>
              <td>${run.engine ?? '–'}</td>
              <td>${fmtTime(run.startedAt)}</td>
              <td class="num">${run.endedAt ? fmtElapsed(run.startedAt, run.endedAt) : '–'}</td>
              <td>${run.status}</td>
              <td class="num">${run.jobs}</td>
              ${this.verdict(run)}
            </tr>`;
          })}
        </tbody>
      </table>`;
  }
}
