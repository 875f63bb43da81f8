import { QsTokenPrompt } from './qs-token-prompt.component.js';

export { QsTokenPrompt };
customElements.define('qs-token-prompt', QsTokenPrompt);

declare global {
  interface HTMLElementTagNameMap {
    'qs-token-prompt': QsTokenPrompt;
  }
}
