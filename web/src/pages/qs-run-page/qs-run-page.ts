import { QsRunPage } from './qs-run-page.component.js';

export { QsRunPage };
customElements.define('qs-run-page', QsRunPage);

declare global {
  interface HTMLElementTagNameMap {
    'qs-run-page': QsRunPage;
  }
}
