import { QsDiagnosis } from './qs-diagnosis.component.js';

export { QsDiagnosis };
customElements.define('qs-diagnosis', QsDiagnosis);

declare global {
  interface HTMLElementTagNameMap {
    'qs-diagnosis': QsDiagnosis;
  }
}
