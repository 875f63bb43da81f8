import { LitElement, html, nothing } from 'lit';
import type { Finding, QueueDiagnosis, RunDiagnosis } from '@queuescope/contracts';
import { VERDICT_TEXT, fmtMs, fmtNum, fmtPct, fmtSeconds, words } from '../../format.js';
import styles from './qs-diagnosis.styles.js';

/** Each cause in plain words. */
const CAUSE_TEXT: Record<Finding['cause'], string> = {
  waiting: 'jobs wait for a free worker slot',
  running: 'the job handler itself is slow',
  retrying: 'attempts fail and are retried',
  stalling: 'workers lose their job locks (stalled attempts)',
};

/** One evidence value as text, its unit read from the field name (the collector's naming). */
function evidenceValue(key: string, v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (Array.isArray(v))
    return v.length === 0
      ? 'none'
      : v
          .map((e) =>
            typeof e === 'object' && e && 'error' in e && 'count' in e ? `${String(e.error)} (${String(e.count)}×)` : JSON.stringify(e),
          )
          .join('; ');
  if (typeof v !== 'number') return String(v);
  if (/Ms$/.test(key)) return `${fmtMs(v)} ms`;
  if (/Rate$/.test(key) && key !== 'arrivalRate') return fmtPct(v);
  if (key === 'utilisation') return fmtPct(v);
  if (key === 'arrivalRate') return `${fmtNum(v)} jobs/s`;
  return Number.isInteger(v) ? String(v) : fmtNum(v, 2);
}

/**
 * A run's diagnosis: queues ranked by how badly they miss their SLO, each with its dominant cause,
 * the evidence (SQL numbers), the recommendation and, for a backlog, the time to drain it.
 */
export class QsDiagnosis extends LitElement {
  static override styles = styles;
  static override properties = { diagnosis: { attribute: false } };

  diagnosis: RunDiagnosis | undefined;

  private drain(f: Finding) {
    if (f.cause !== 'waiting') return nothing;
    const r = f.recommendation;
    const text =
      r.drainSeconds !== null
        ? `about ${fmtSeconds(r.drainSeconds)}${r.backlog !== null ? ` for a backlog of ${r.backlog} jobs` : ''}`
        : r.drains === false
          ? 'does not drain: jobs arrive faster than the workers finish them'
          : r.backlog === 0
            ? 'no backlog'
            : 'unknown';
    return html`<p class="drain"><b>Time to drain:</b> ${text}</p>`;
  }

  private finding(f: Finding, primary: boolean) {
    return html`<div class=${primary ? 'finding' : 'finding finding--secondary'}>
      <p class="cause"><b>${primary ? 'Cause' : 'Also'}: ${f.cause}</b> — ${CAUSE_TEXT[f.cause]}</p>
      <ul class="because">
        ${f.because.map((b) => html`<li>${b}</li>`)}
      </ul>
      <details open>
        <summary>Evidence (from SQL)</summary>
        <dl class="evidence">
          ${Object.entries(f.evidence).map(
            ([k, v]) =>
              html`<div>
                <dt>${words(k.replace(/Ms$/, ''))}</dt>
                <dd>${evidenceValue(k, v)}</dd>
              </div>`,
          )}
        </dl>
      </details>
      <p class="recommendation"><b>Recommendation:</b> ${f.recommendation.text}</p>
      ${this.drain(f)}
    </div>`;
  }

  private queue(q: QueueDiagnosis) {
    return html`<li class="queue">
      <h3>
        ${q.queue}
        <span class=${`verdict verdict--${q.verdict}`}>${VERDICT_TEXT[q.verdict]}</span>
        ${q.severity !== null ? html`<small>severity ${fmtNum(q.severity, 2)}× target${q.worstCheck ? ` (worst: ${words(q.worstCheck)})` : ''}</small>` : nothing}
      </h3>
      ${q.cause ? this.finding(q.cause, true) : html`<p class="muted">${q.healthy ? 'No problem found.' : 'No cause found in the data.'}</p>`}
      ${q.secondary.map((f) => this.finding(f, false))}
    </li>`;
  }

  override render() {
    const d = this.diagnosis;
    if (!d) return nothing;
    if (d.queues.length === 0) return html`<p class="empty">No events stored for this run: nothing to diagnose.</p>`;
    return html`<ol class="queues">
        ${d.queues.map((q) => this.queue(q))}
      </ol>
      <details class="rule">
        <summary>How queues are ranked and causes chosen</summary>
        <p>${d.rule}</p>
      </details>`;
  }
}
