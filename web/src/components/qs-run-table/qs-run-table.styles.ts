import { css } from 'lit';
import { tableStyles, srOnlyStyles } from '../shared.styles.js';

export default [
  srOnlyStyles,
  tableStyles,
  css`
    :host {
      display: block;
      overflow-x: auto;
    }
    .toolbar {
      display: flex;
      align-items: center;
      gap: 12px;
      margin: 0 0 8px;
    }
    .hint {
      font-size: 12px;
      color: var(--qs-muted, #5b6270);
    }
    button {
      font: inherit;
      padding: 6px 12px;
      border: 1px solid var(--qs-accent, #2456c7);
      background: var(--qs-accent, #2456c7);
      color: #fff;
      border-radius: var(--qs-radius, 6px);
      cursor: pointer;
    }
    button[disabled] {
      opacity: 0.5;
      cursor: not-allowed;
    }
    :focus-visible {
      outline: 3px solid var(--qs-focus, #f0a500);
      outline-offset: 2px;
    }
    th,
    td {
      vertical-align: baseline;
    }
    thead th {
      font-size: 12px;
      font-weight: 600;
      color: var(--qs-muted, #5b6270);
    }
    tbody th {
      font-weight: 400;
      max-width: 340px;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .num {
      text-align: right;
    }
    tr.selected {
      background: #eef3fd;
    }
    a {
      color: var(--qs-accent, #2456c7);
    }
    .pick {
      display: inline-flex;
      align-items: center;
      gap: 6px;
      cursor: pointer;
    }
    input {
      width: 16px;
      height: 16px;
      margin: 0;
    }
    .badge {
      font-size: 11px;
      font-weight: 700;
      color: #fff;
      background: var(--qs-accent, #2456c7);
      border-radius: 3px;
      padding: 0 5px;
    }
    .muted {
      color: var(--qs-muted, #5b6270);
    }
    .verdict--pass {
      color: var(--qs-pass, #1b7f3b);
      font-weight: 600;
    }
    .verdict--fail {
      color: var(--qs-fail, #b3261e);
      font-weight: 700;
    }
    .verdict--no-data {
      color: var(--qs-muted, #5b6270);
    }
    .queues {
      list-style: none;
      margin: 2px 0 0;
      padding: 0;
      font-size: 12px;
    }
    .queues li {
      font-weight: 400;
    }
  `,
];
