import { css } from 'lit';
import { tableStyles, verdictStyles } from '../shared.styles.js';

export default [
  tableStyles,
  verdictStyles,
  css`
    .num {
      text-align: right;
    }
    small {
      color: var(--qs-muted, #5b6270);
    }
    .slo {
      white-space: normal;
      min-width: 210px;
    }
    .slo span {
      display: block;
    }
    .check {
      font-size: 12px;
      color: var(--qs-fail, #b3261e);
    }
    .target {
      font-size: 11px;
      color: var(--qs-muted, #5b6270);
    }
  `,
];
