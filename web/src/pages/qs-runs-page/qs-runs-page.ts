import { QsRunsPage } from './qs-runs-page.component.js';

export { QsRunsPage };
customElements.define('qs-runs-page', QsRunsPage);

declare global {
  interface HTMLElementTagNameMap {
    'qs-runs-page': QsRunsPage;
  }
}
