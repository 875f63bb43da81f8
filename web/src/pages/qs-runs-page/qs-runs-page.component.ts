import { Task } from '@lit/task';
import { LitElement, html } from 'lit';
import { api, type Run, type RunPage, type RunSummary } from '../../api/client.js';
import type { RunRow } from '../../components/qs-run-table/qs-run-table.component.js';
import type { CompareSelectDetail } from '../../events.js';
import { href } from '../../routes.js';
import styles from '../page.styles.js';

/** Runs per page of the list. */
const PAGE_SIZE = 50;
/** Summaries fetched at once (each is one SQL scan on the collector). */
const SUMMARY_CONCURRENCY = 20;
/** One empty list, so the summaries task sees unchanged args until runs arrive. */
const NO_RUNS: readonly Run[] = [];

/**
 * Runs, newest first, each with its jobs and worst SLO verdict from its summary (fetched for the
 * visible page, at most SUMMARY_CONCURRENCY at a time, filled in as they arrive); pick two to compare.
 */
export class QsRunsPage extends LitElement {
  static override styles = styles;
  static override properties = { offset: { state: true } };

  /** First run of the visible page, 0 = newest. */
  private offset = 0;
  /** Fetched summaries by run id; null = could not be fetched. */
  private readonly summaries = new Map<string, RunSummary | null>();

  private readonly runs = new Task(this, {
    task: ([offset], { signal }) => api.runs(signal, { limit: PAGE_SIZE, offset }),
    args: () => [this.offset] as const,
  });

  /** Runs whenever a new page of runs arrives; progress shows through requestUpdate. */
  private readonly summaryTask = new Task(this, {
    task: async ([runs], { signal }) => {
      const todo = runs.filter((r) => !this.summaries.has(r.id));
      const next = async (): Promise<void> => {
        for (let run = todo.shift(); run; run = todo.shift()) {
          try {
            this.summaries.set(run.id, await api.summary(run.id, signal));
          } catch (err) {
            if (signal.aborted) throw err;
            this.summaries.set(run.id, null);
          }
          this.requestUpdate();
        }
      };
      await Promise.all(Array.from({ length: Math.min(SUMMARY_CONCURRENCY, todo.length) }, next));
    },
    args: () => [this.runs.value?.runs ?? NO_RUNS] as const,
  });

  private refresh(): void {
    this.summaries.clear();
    void this.runs.run();
  }

  private page(p: RunPage) {
    const rows: RunRow[] = p.runs.map((run) => ({ run, summary: this.summaries.get(run.id) }));
    const last = Math.min(p.offset + p.runs.length, p.total);
    return html`
      <div class="actions">
        <span class="muted">Runs ${p.offset + 1}–${last} of ${p.total}</span>
        <button type="button" ?disabled=${p.offset === 0} @click=${() => (this.offset = Math.max(0, p.offset - PAGE_SIZE))}>← Newer</button>
        <button type="button" ?disabled=${last >= p.total} @click=${() => (this.offset = p.offset + PAGE_SIZE)}>Older →</button>
        <button type="button" @click=${this.refresh}>Refresh</button>
      </div>
      <qs-run-table
        .rows=${rows}
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
