import { css } from 'lit';

/** Styles several components share. */

/** The data tables' common look (summary, delta, concurrency changes): each adds its own rules after it. */
export const tableStyles = css`
  :host {
    display: block;
    overflow-x: auto;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    background: var(--qs-surface, #fff);
    font-variant-numeric: tabular-nums;
  }
  caption {
    text-align: left;
    font-size: 12px;
    color: var(--qs-muted, #5b6270);
    padding: 0 0 4px;
  }
  th,
  td {
    padding: 6px 10px;
    border-bottom: 1px solid var(--qs-border, #d8dbe0);
    text-align: left;
    white-space: nowrap;
    vertical-align: top;
  }
  thead th {
    font-size: 12px;
    font-weight: 600;
    color: var(--qs-muted, #5b6270);
  }
`;

/** A verdict's colour: `verdict verdict--pass|fail|no-data` (summary table, tune story, pages). */
export const verdictStyles = css`
  .verdict {
    font-weight: 700;
  }
  .verdict--pass {
    color: var(--qs-pass, #1b7f3b);
  }
  .verdict--fail {
    color: var(--qs-fail, #b3261e);
  }
  .verdict--no-data {
    color: var(--qs-muted, #5b6270);
  }
`;

/** Visually hidden, still read by screen readers and tests (`class="sr-only"`). */
export const srOnlyStyles = css`
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
`;
