import { QsLivePage } from './qs-live-page.component.js';

export { QsLivePage };
customElements.define('qs-live-page', QsLivePage);

declare global {
  interface HTMLElementTagNameMap {
    'qs-live-page': QsLivePage;
  }
}
