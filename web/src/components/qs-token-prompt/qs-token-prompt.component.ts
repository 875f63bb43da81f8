import { LitElement, html } from 'lit';
import styles from './qs-token-prompt.styles.js';
import type { TokenSubmitDetail } from '../../events.js';

/** Detail of `qs-token-submit`: what the user typed, trimmed. */
/**
 * Asks for the collector's API token (QS_API_TOKEN) when the collector refused the live stream
 * without it. Emits `qs-token-submit` with `{ token }`; storing it and reconnecting is the app's
 * job (main.ts, api/token.ts). The field is a password field, so the token is not shown on screen.
 *
 * @event qs-token-submit - the user submitted a token
 * @property rejected - a token was tried and refused: say so, rather than only asking
 */
export class QsTokenPrompt extends LitElement {
  static override styles = styles;
  static override properties = {
    rejected: { type: Boolean },
  };

  rejected = false;

  private submit(e: SubmitEvent): void {
    e.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('input')!;
    const token = input.value.trim();
    if (!token) return;
    input.value = '';
    this.dispatchEvent(new CustomEvent<TokenSubmitDetail>('qs-token-submit', { detail: { token }, bubbles: true, composed: true }));
  }

  override render() {
    return html`<form class="prompt" aria-label="API token" @submit=${this.submit}>
      <p class="prompt__text" role="alert">
        ${
          this.rejected
            ? 'The collector refused this API token for the live stream.'
            : 'The collector needs its API token (QS_API_TOKEN) for the live stream.'
        }
        <code>npm run stack</code> prints a dashboard link that carries it.
      </p>
      <label class="prompt__label"
        >API token
        <input class="prompt__input" type="password" name="token" autocomplete="off" spellcheck="false" required />
      </label>
      <button class="prompt__button" type="submit">Connect</button>
    </form>`;
  }
}
