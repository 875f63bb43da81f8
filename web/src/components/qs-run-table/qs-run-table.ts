import { QsRunTable } from './qs-run-table.component.js';

export { QsRunTable };
customElements.define('qs-run-table', QsRunTable);

declare global {
  interface HTMLElementTagNameMap {
    'qs-run-table': QsRunTable;
  }
}
