import { Task } from '@lit/task';
import { LitElement, html } from 'lit';
import { api, type Run, type RunSummary } from '../../api/client.js';
import { VERDICT_TEXT, fmtTime } from '../../format.js';
import styles from '../page.styles.js';

/** Runs newest first, each with its jobs and worst SLO verdict; pick two to compare. */
export class QsRunsPage extends LitElement {
  static override styles = styles;
  private selected: string[] = [];

  private readonly runs = new Task(this, {
    task: async (_args, { signal }) => {
      const { runs } = await api.runs(signal, 50);
      const summaries = await Promise.all(runs.map((r) => api.summary(r.id, signal).catch(() => undefined)));
      return runs.map((run, i) => ({ run, summary: summaries[i] }));
    },
    args: () => [],
  });

  override render() {
    return html`<h1>Runs</h1>
      ${this.runs.render({
        pending: () => html`<p class="muted" role="status">Loading runs …</p>`,
        error: (e) => html`<p class="error" role="alert">Could not load runs: ${String(e)}</p>`,
        complete: (rows) => (rows.length === 0 ? html`<div class="empty">No runs yet — run <code>npm run demo</code>.</div>` : this.table(rows)),
      })}`;
  }

  private table(rows: { run: Run; summary: RunSummary | undefined }[]) {
    return html`
      <div class="actions">
        <button ?disabled=${this.selected.length !== 2} @click=${() => this.compare()}>Compare selected (${this.selected.length}/2)</button>
      </div>
      <table>
        <thead>
          <tr><th scope="col">compare</th><th scope="col">name</th><th scope="col">scenario</th><th scope="col">engine</th><th scope="col">started</th><th scope="col">duration</th><th scope="col">status</th><th scope="col">jobs</th><th scope="col">worst SLO verdict</th></tr>
        </thead>
        <tbody>
          ${rows.map(({ run, summary }) => {
            const seconds = run.endedAt ? Math.round((Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000) : null;
            const verdict = summary?.verdict ?? 'no-data';
            return html`<tr>
              <td><input type="checkbox" aria-label=${`select ${run.name} for comparison`} .checked=${this.selected.includes(run.id)} @change=${(e: Event) => this.toggle(run.id, (e.target as HTMLInputElement).checked)} /></td>
              <td><a href=${`#/runs/${encodeURIComponent(run.id)}`}>${run.name}</a></td>
              <td>${run.scenario ?? '–'}</td>
              <td>${run.engine ?? '–'}</td>
              <td>${fmtTime(run.startedAt)}</td>
              <td>${seconds === null ? 'running' : `${seconds} s`}</td>
              <td>${run.status}</td>
              <td>${summary?.jobs ?? '–'}</td>
              <td class=${verdict}>${VERDICT_TEXT[verdict]}</td>
            </tr>`;
          })}
        </tbody>
      </table>`;
  }

  private toggle(id: string, on: boolean): void {
    this.selected = on ? [...this.selected.filter((s) => s !== id), id].slice(-2) : this.selected.filter((s) => s !== id);
    this.requestUpdate();
  }

  private compare(): void {
    const [a, b] = this.selected;
    if (!a || !b) return;
    this.dispatchEvent(new CustomEvent('qs-compare-select', { detail: { a, b }, bubbles: true, composed: true }));
    location.hash = `#/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`;
  }
}
