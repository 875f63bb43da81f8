import { QsTuneStory } from './qs-tune-story.component.js';

export { QsTuneStory };
customElements.define('qs-tune-story', QsTuneStory);

declare global {
  interface HTMLElementTagNameMap {
    'qs-tune-story': QsTuneStory;
  }
}
