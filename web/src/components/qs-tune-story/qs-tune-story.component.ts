import { LitElement, html, nothing } from 'lit';
import type { QueueSummary, RunSummary } from '@queuescope/contracts';
import { VERDICT_TEXT, fmtMs } from '../../format.js';
import { href } from '../../routes.js';
import type { ReadTuneRound } from '../../tune.js';
import styles from './qs-tune-story.styles.js';

/** A queue's verdict and latency p95 in one run, or a dash when the run had no such queue. */
function verdictCell(q: QueueSummary | undefined) {
  if (!q) return html`<td class="muted">– not in this run</td>`;
  return html`<td>
    <span class=${`verdict verdict--${q.slo.verdict}`}>${VERDICT_TEXT[q.slo.verdict]}</span>
    <small>p95 ${fmtMs(q.latency.p95)} ms</small>
  </td>`;
}

/**
 * The tune rounds of a run as one story (issue 12): which round of `loadtest --tune` it was; for a
 * re-run, the run it re-ran (a link), the verdicts before and after, overall and per queue, the
 * changes applied in between, and a link to the comparison of the two runs. Every verdict is the
 * collector's (each run's summary); this only sets them side by side.
 *
 * @property tune - the run's round, read from its config
 * @property current - this run's summary
 * @property previous - the previous round's summary; undefined while it loads, an Error when it could not
 */
export class QsTuneStory extends LitElement {
  static override styles = styles;
  static override properties = {
    tune: { attribute: false },
    current: { attribute: false },
    previous: { attribute: false },
  };

  tune: ReadTuneRound | undefined;
  current: RunSummary | undefined;
  previous: RunSummary | Error | undefined;

  private verdicts(prev: RunSummary, cur: RunSummary) {
    // This run's queues in its order, then any the previous round had and this one lost.
    const names = [
      ...cur.queues.map((q) => q.queue),
      ...prev.queues.map((q) => q.queue).filter((n) => !cur.queues.some((q) => q.queue === n)),
    ];
    const round = this.tune!.round;
    return html`<p class="overall">
        Overall SLO verdict:
        <strong class=${`verdict verdict--${prev.verdict}`}>${VERDICT_TEXT[prev.verdict]}</strong>
        →
        <strong class=${`verdict verdict--${cur.verdict}`}>${VERDICT_TEXT[cur.verdict]}</strong>
      </p>
      <table>
        <caption>
          SLO verdict and latency p95 per queue, before and after
        </caption>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Before (round ${round - 1})</th>
            <th scope="col">After (round ${round}, this run)</th>
          </tr>
        </thead>
        <tbody>
          ${names.map(
            (n) =>
              html`<tr>
                <th scope="row">${n}</th>
                ${verdictCell(prev.queues.find((q) => q.queue === n))} ${verdictCell(cur.queues.find((q) => q.queue === n))}
              </tr>`,
          )}
        </tbody>
      </table>`;
  }

  private rerun(t: ReadTuneRound, cur: RunSummary) {
    if (!t.previousRunId) return html`<p class="muted">The run of round ${t.round - 1} is not recorded in this run's config.</p>`;
    const prev = this.previous;
    const name = prev instanceof Error || !prev ? t.previousRunId : prev.run.name;
    return html`<p>Re-run of <a href=${href.run(t.previousRunId)}>${name}</a> (round ${t.round - 1}) after applying its diagnosis.</p>
      ${
        prev === undefined
          ? html`<p class="muted" role="status">Loading the verdicts of round ${t.round - 1} …</p>`
          : prev instanceof Error
            ? html`<p class="error">The run of round ${t.round - 1} could not be loaded: ${prev.message}</p>`
            : this.verdicts(prev, cur)
      }
      <p class="actions">
        <a class="button" href=${href.compare(t.previousRunId, cur.run.id)}>Compare round ${t.round - 1} with round ${t.round}</a>
      </p>`;
  }

  override render() {
    const t = this.tune;
    const cur = this.current;
    if (!t || !cur) return nothing;
    return html`<section aria-labelledby="tune-heading">
      <h2 id="tune-heading">Tune round ${t.round}</h2>
      ${
        t.round === 1
          ? html`<p>
              The first run of <code>loadtest --tune</code>: its diagnosis (below) chose the concurrency changes applied before round 2.
            </p>`
          : this.rerun(t, cur)
      }
      ${
        t.changes.length
          ? html`<h3>Changes applied before this run</h3>
              <ul class="changes">
                ${t.changes.map((c) => html`<li>${c}</li>`)}
              </ul>`
          : t.round > 1
            ? html`<p class="muted">No changes are recorded for this round.</p>`
            : nothing
      }
    </section>`;
  }
}
