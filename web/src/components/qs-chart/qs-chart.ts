import { QsChart } from './qs-chart.component.js';

export { QsChart };
customElements.define('qs-chart', QsChart);

declare global {
  interface HTMLElementTagNameMap {
    'qs-chart': QsChart;
  }
}
