import { LitElement, html, nothing } from 'lit';
import styles from './qs-stat.styles.js';

/**
 * One number with its label and unit: `<qs-stat label="latency p95" unit="ms">412</qs-stat>`.
 * The value is the element's text (already formatted; the element computes nothing), so it is
 * part of the page's own text for screen readers, find-in-page and `innerText`. `breach` marks a
 * value at or over its target with an icon and the words "over target", not only a colour.
 *
 * @slot - the value as text ('–' when there is none)
 * @property label - what the number is
 * @property unit - unit after the value
 * @property target - optional target shown under the value, e.g. "SLO 500 ms"
 * @property breach - the value is at or over its target
 */
export class QsStat extends LitElement {
  static override styles = styles;
  static override properties = {
    label: { type: String },
    unit: { type: String },
    target: { type: String },
    breach: { type: Boolean, reflect: true },
  };

  label = '';
  unit = '';
  target = '';
  breach = false;

  override render() {
    return html`<div class="stat ${this.breach ? 'stat--breach' : ''}">
      <span class="stat__value"><slot>–</slot>${this.unit ? html`<span class="stat__unit"> ${this.unit}</span>` : nothing}</span>
      <span class="stat__label">${this.label}</span>
      ${
        this.breach
          ? html`<span class="stat__breach"><span aria-hidden="true">▲ </span>over target${this.target ? ` (${this.target})` : ''}</span>`
          : this.target
            ? html`<span class="stat__target">${this.target}</span>`
            : nothing
      }
    </div>`;
  }
}
