import { css, unsafeCSS } from 'lit';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';

export default [
  unsafeCSS(uplotCss),
  css`
    :host { display: block; background: var(--qs-surface, #fff); border: 1px solid var(--qs-border, #ddd); border-radius: var(--qs-radius, 6px); padding: 8px 10px; min-width: 0; }
    h3 { margin: 0 0 4px; font-size: 13px; font-weight: 600; }
    .plot { width: 100%; min-height: 160px; }
    .empty { color: var(--qs-muted, #666); font-size: 12px; padding: 8px 0; }
  `,
];
