import { css } from 'lit';
import { tableStyles, verdictStyles } from '../shared.styles.js';

export default [
  tableStyles,
  verdictStyles,
  css`
    :host {
      display: block;
    }
    section {
      background: var(--qs-surface, #fff);
      border: 1px solid var(--qs-border, #d8dbe0);
      border-left: 4px solid var(--qs-accent, #2456c7);
      border-radius: var(--qs-radius, 6px);
      padding: 10px 14px;
      margin: 12px 0;
    }
    h2 {
      font-size: 17px;
      margin: 0 0 6px;
    }
    h3 {
      font-size: 14px;
      margin: 12px 0 4px;
    }
    p {
      margin: 6px 0;
    }
    a {
      color: var(--qs-accent, #2456c7);
    }
    :focus-visible {
      outline: 3px solid var(--qs-focus, #f0a500);
      outline-offset: 2px;
    }
    code {
      font-family: var(--qs-mono, monospace);
      background: #eef0f3;
      padding: 1px 4px;
      border-radius: 3px;
    }
    table {
      width: auto;
      margin: 6px 0;
      background: none;
    }
    th,
    td {
      padding: 5px 12px 5px 0;
      vertical-align: baseline;
    }
    small,
    .muted {
      color: var(--qs-muted, #5b6270);
    }
    .error {
      color: var(--qs-fail, #b3261e);
    }
    .changes {
      margin: 4px 0;
      padding-left: 20px;
    }
    .button {
      font-size: 13px;
      padding: 6px 12px;
      border: 1px solid var(--qs-accent, #2456c7);
      border-radius: var(--qs-radius, 6px);
      text-decoration: none;
      display: inline-block;
    }
  `,
];
