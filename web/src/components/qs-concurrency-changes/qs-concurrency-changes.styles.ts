import { css } from 'lit';
import { tableStyles } from '../shared.styles.js';

export default [
  tableStyles,
  css`
    .reason {
      white-space: normal;
      min-width: 240px;
    }
    .muted {
      color: var(--qs-muted, #5b6270);
    }
  `,
];
