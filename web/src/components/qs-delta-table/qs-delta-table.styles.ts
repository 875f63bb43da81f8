import { css } from 'lit';

export default css`
  :host { display: block; overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; background: var(--qs-surface, #fff); font-variant-numeric: tabular-nums; }
  th, td { padding: 5px 10px; border-bottom: 1px solid var(--qs-border, #ddd); text-align: right; white-space: nowrap; }
  th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
  thead th { font-weight: 600; color: var(--qs-muted, #555); font-size: 12px; }
  .worse { color: var(--qs-fail, #b3261e); font-weight: 700; }
  .better { color: var(--qs-pass, green); font-weight: 700; }
  .unchanged, .no-data { color: var(--qs-muted, #666); }
`;
