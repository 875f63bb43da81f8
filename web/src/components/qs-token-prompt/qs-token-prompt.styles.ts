import { css } from 'lit';

export default css`
  :host {
    display: block;
    margin: 12px 24px 0;
  }
  .prompt {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px 12px;
    padding: 10px 14px;
    background: var(--qs-surface, #fff);
    border: 1px solid var(--qs-border, #d8dbe0);
    border-left: 4px solid var(--qs-warn, #9a6200);
    border-radius: var(--qs-radius, 6px);
  }
  .prompt__text {
    flex: 1 1 100%;
    margin: 0;
  }
  .prompt__label {
    display: flex;
    align-items: center;
    gap: 8px;
  }
  .prompt__input {
    min-width: 24ch;
    padding: 4px 6px;
    font: inherit;
    font-family: var(--qs-mono, monospace);
  }
  .prompt__button {
    padding: 4px 12px;
    font: inherit;
  }
  :focus-visible {
    outline: 3px solid var(--qs-focus, #f0a500);
    outline-offset: 2px;
  }
`;
