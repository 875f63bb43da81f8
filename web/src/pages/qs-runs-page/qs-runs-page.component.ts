import { Task } from '@lit/task';
import type { RunPage } from '@queuescope/contracts';
import { LitElement, html } from 'lit';
import { api } from '../../api/client.js';
import type { CompareSelectDetail } from '../../events.js';
import { href } from '../../routes.js';
import styles from '../page.styles.js';

/** Runs per page of the list. */
const PAGE_SIZE = 50;

/**
 * Runs, newest first, each with its jobs and SLO verdicts (worst and per queue), all from one
 * request (`GET /api/v1/runs` judges them on the collector); pick two to compare.
 */
export class QsRunsPage extends LitElement {
  static override styles = styles;
  static override properties = { offset: { state: true } };

  /** First run of the visible page, 0 = newest. */
  private offset = 0;

  private readonly runs = new Task(this, {
    task: ([offset], { signal }) => api.runs(signal, { limit: PAGE_SIZE, offset }),
    args: () => [this.offset] as const,
  });

  private refresh(): void {
    void this.runs.run();
  }

  private page(p: RunPage) {
    const last = Math.min(p.offset + p.runs.length, p.total);
    return html`
      <div class="actions">
        <span class="muted">Runs ${p.offset + 1}–${last} of ${p.total}</span>
        <button type="button" ?disabled=${p.offset === 0} @click=${() => (this.offset = Math.max(0, p.offset - PAGE_SIZE))}>← Newer</button>
        <button type="button" ?disabled=${last >= p.total} @click=${() => (this.offset = p.offset + PAGE_SIZE)}>Older →</button>
        <button type="button" @click=${this.refresh}>Refresh</button>
      </div>
      <qs-run-table
        .rows=${p.runs}
        @qs-compare-select=${(e: CustomEvent<CompareSelectDetail>) => (location.hash = href.compare(e.detail.a, e.detail.b))}
      ></qs-run-table>
    `;
  }

  override render() {
    return html`<h1 tabindex="-1">Runs</h1>
      ${this.runs.render({
        initial: () => html`<p class="muted" role="status">Loading runs …</p>`,
        pending: () => (this.runs.value ? this.page(this.runs.value) : html`<p class="muted" role="status">Loading runs …</p>`),
        error: (e) => html`<p class="error" role="alert">Could not load the runs: ${e instanceof Error ? e.message : String(e)}</p>`,
        complete: (p) => (p.total === 0 ? html`<div class="empty">No runs yet — run <code>npm run demo</code>.</div>` : this.page(p)),
      })}`;
  }
}
