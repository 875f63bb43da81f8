import { QsSummaryTable } from './qs-summary-table.component.js';

export { QsSummaryTable };
customElements.define('qs-summary-table', QsSummaryTable);

declare global {
  interface HTMLElementTagNameMap {
    'qs-summary-table': QsSummaryTable;
  }
}
