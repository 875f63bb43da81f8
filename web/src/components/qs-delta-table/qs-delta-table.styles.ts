import { css } from 'lit';

export default css`
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
    padding: 5px 10px;
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
`;
