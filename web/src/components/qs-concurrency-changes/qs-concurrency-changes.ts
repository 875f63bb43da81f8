import { QsConcurrencyChanges } from './qs-concurrency-changes.component.js';

export { QsConcurrencyChanges };
customElements.define('qs-concurrency-changes', QsConcurrencyChanges);

declare global {
  interface HTMLElementTagNameMap {
    'qs-concurrency-changes': QsConcurrencyChanges;
  }
}
