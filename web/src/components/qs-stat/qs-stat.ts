import { QsStat } from './qs-stat.component.js';

export { QsStat };
customElements.define('qs-stat', QsStat);

declare global {
  interface HTMLElementTagNameMap {
    'qs-stat': QsStat;
  }
}
