import { css } from 'lit';

/** Layout shared by the pages. */
export default css`
  :host { display: block; }
  h1 { font-size: 20px; margin: 4px 0 12px; }
  h2 { font-size: 16px; margin: 20px 0 8px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: var(--qs-gap, 16px); }
  .stats { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
  .stat { background: var(--qs-surface, #fff); border: 1px solid var(--qs-border, #ddd); border-radius: var(--qs-radius, 6px); padding: 6px 10px; min-width: 120px; }
  .stat b { display: block; font-size: 18px; font-variant-numeric: tabular-nums; }
  .stat span { font-size: 11px; color: var(--qs-muted, #666); }
  .stat.breach { border-color: var(--qs-fail, #b3261e); }
  .stat.breach b::after { content: ' ⚠ over SLO'; font-size: 11px; color: var(--qs-fail, #b3261e); }
  .panel { background: var(--qs-surface, #fff); border: 1px solid var(--qs-border, #ddd); border-radius: var(--qs-radius, 6px); padding: 10px 14px; }
  .muted { color: var(--qs-muted, #666); }
  .error { color: var(--qs-fail, #b3261e); }
  .empty { padding: 24px; text-align: center; color: var(--qs-muted, #666); background: var(--qs-surface, #fff); border: 1px dashed var(--qs-border, #ccc); border-radius: var(--qs-radius, 6px); }
  code { font-family: var(--qs-mono, monospace); background: #eef0f3; padding: 1px 4px; border-radius: 3px; }
  table { border-collapse: collapse; width: 100%; background: var(--qs-surface, #fff); }
  th, td { padding: 6px 10px; border-bottom: 1px solid var(--qs-border, #ddd); text-align: left; }
  thead th { font-size: 12px; color: var(--qs-muted, #555); }
  .pass { color: var(--qs-pass, green); font-weight: 600; }
  .fail { color: var(--qs-fail, #b3261e); font-weight: 700; }
  button, .button { font: inherit; padding: 6px 12px; border: 1px solid var(--qs-accent, #2456c7); background: var(--qs-accent, #2456c7); color: #fff; border-radius: var(--qs-radius, 6px); cursor: pointer; text-decoration: none; display: inline-block; }
  button[disabled] { opacity: 0.5; cursor: not-allowed; }
  .button.secondary { background: #fff; color: var(--qs-accent, #2456c7); }
  .actions { display: flex; gap: 8px; flex-wrap: wrap; margin: 8px 0; }
`;
