import { css } from 'lit';
import { verdictStyles, srOnlyStyles } from '../components/shared.styles.js';

/** Layout shared by the pages (their shadow roots do not see tokens.css rules, only its variables). */
export default [
  srOnlyStyles,
  verdictStyles,
  css`
    :host {
      display: block;
    }
    h1 {
      font-size: 22px;
      margin: 4px 0 6px;
    }
    h2 {
      font-size: 17px;
      margin: 22px 0 8px;
    }
    h1:focus {
      outline: none;
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
    .meta {
      color: var(--qs-muted, #5b6270);
      margin: 0 0 8px;
    }
    .grid {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(380px, 1fr));
      gap: var(--qs-gap, 16px);
    }
    .stats {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(132px, 1fr));
      gap: 8px;
      margin: 0 0 10px;
    }
    .panel {
      background: var(--qs-surface, #fff);
      border: 1px solid var(--qs-border, #d8dbe0);
      border-radius: var(--qs-radius, 6px);
      padding: 10px 14px;
    }
    .panel--active {
      border-left: 4px solid var(--qs-accent, #2456c7);
    }
    .muted {
      color: var(--qs-muted, #5b6270);
    }
    .error {
      color: var(--qs-fail, #b3261e);
    }
    .banner {
      padding: 8px 12px;
      border-radius: var(--qs-radius, 6px);
      background: #fff6e0;
      border: 1px solid #e9c46a;
      margin: 8px 0;
    }
    .empty {
      padding: 24px;
      text-align: center;
      color: var(--qs-muted, #5b6270);
      background: var(--qs-surface, #fff);
      border: 1px dashed var(--qs-border, #d8dbe0);
      border-radius: var(--qs-radius, 6px);
    }
    code {
      font-family: var(--qs-mono, monospace);
      background: #eef0f3;
      padding: 1px 4px;
      border-radius: 3px;
    }
    .runs {
      display: grid;
      grid-template-columns: max-content auto;
      gap: 4px 12px;
      margin: 8px 0;
    }
    .runs dt {
      font-weight: 600;
    }
    .runs dd {
      margin: 0;
    }
    details {
      margin: 8px 0;
    }
    summary {
      cursor: pointer;
      color: var(--qs-accent, #2456c7);
    }
    .actions {
      display: flex;
      gap: 8px;
      flex-wrap: wrap;
      align-items: center;
      margin: 10px 0;
    }
    button,
    .button {
      font: inherit;
      font-size: 13px;
      padding: 6px 12px;
      border: 1px solid var(--qs-accent, #2456c7);
      background: var(--qs-surface, #fff);
      color: var(--qs-accent, #2456c7);
      border-radius: var(--qs-radius, 6px);
      cursor: pointer;
      text-decoration: none;
      display: inline-block;
    }
    button[disabled] {
      opacity: 0.5;
      cursor: not-allowed;
    }
  `,
];
