import { css } from 'lit';

export default css`
  :host { display: block; overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; background: var(--qs-surface, #fff); font-variant-numeric: tabular-nums; }
  th, td { padding: 6px 10px; border-bottom: 1px solid var(--qs-border, #ddd); text-align: right; white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; }
  thead th { font-weight: 600; color: var(--qs-muted, #555); font-size: 12px; }
  .pass { color: var(--qs-pass, green); font-weight: 600; }
  .fail { color: var(--qs-fail, #b3261e); font-weight: 700; }
  .no-data { color: var(--qs-muted, #666); }
  .checks { font-size: 11px; color: var(--qs-fail, #b3261e); display: block; }
`;
