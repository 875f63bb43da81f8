import { css } from 'lit';
import { tableStyles } from '../shared.styles.js';

export default [
  tableStyles,
  css`
    th,
    td {
      padding: 5px 10px;
    }
    .num {
      text-align: right;
    }
    code {
      font-family: var(--qs-mono, monospace);
      font-size: 12px;
    }
    .verdict {
      font-weight: 700;
    }
    .verdict--worse {
      color: var(--qs-fail, #b3261e);
    }
    .verdict--better {
      color: var(--qs-pass, #1b7f3b);
    }
    .verdict--unchanged,
    .verdict--no-data {
      color: var(--qs-muted, #5b6270);
      font-weight: 400;
    }
    .row--worse {
      background: #fdf1f0;
    }
    .row--better {
      background: #eff8f1;
    }
    .why {
      white-space: normal;
      min-width: 260px;
      max-width: 520px;
      font-size: 12px;
      color: var(--qs-muted, #5b6270);
    }
  `,
];
