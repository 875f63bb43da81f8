import { QsDeltaTable } from './qs-delta-table.component.js';

export { QsDeltaTable };
customElements.define('qs-delta-table', QsDeltaTable);

declare global {
  interface HTMLElementTagNameMap {
    'qs-delta-table': QsDeltaTable;
  }
}
