import { LitElement, html, nothing } from 'lit';
import type { ConcurrencyChange } from '@queuescope/contracts';
import { fmtTime } from '../../format.js';
import styles from './qs-concurrency-changes.styles.js';

/**
 * The concurrency changes of a run (issue 12), as the collector recorded them: when, which queue,
 * slots per worker process before → after, who asked and why. Renders nothing for an empty list.
 *
 * @property changes - the run's changes (`GET /api/v1/runs/:id/concurrency-changes`)
 */
export class QsConcurrencyChanges extends LitElement {
  static override styles = styles;
  static override properties = { changes: { attribute: false } };

  changes: ConcurrencyChange[] = [];

  override render() {
    if (this.changes.length === 0) return nothing;
    return html`<table>
      <caption>
        Slots per worker process, set at run time without a restart; dashed lines on the charts above
      </caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Queue</th>
          <th scope="col">Concurrency</th>
          <th scope="col">Actor</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        ${this.changes.map(
          (c) =>
            html`<tr>
              <td><time datetime=${c.ts}>${fmtTime(c.ts)}</time></td>
              <th scope="row">${c.queue}</th>
              <td class="num">${c.from} → ${c.to}</td>
              <td>${c.actor}</td>
              <td class="reason">${c.reason ?? html`<span class="muted">–</span>`}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
  }
}
