import { QsComparePage } from './qs-compare-page.component.js';

export { QsComparePage };
customElements.define('qs-compare-page', QsComparePage);

declare global {
  interface HTMLElementTagNameMap {
    'qs-compare-page': QsComparePage;
  }
}
