import { css, unsafeCSS } from 'lit';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { srOnlyStyles } from '../shared.styles.js';

export default [
  srOnlyStyles,
  unsafeCSS(uplotCss),
  css`
    :host {
      display: block;
      min-width: 0;
      background: var(--qs-surface, #fff);
      border: 1px solid var(--qs-border, #d8dbe0);
      border-radius: var(--qs-radius, 6px);
      padding: 8px 10px 4px;
    }
    figure {
      margin: 0;
    }
    figcaption {
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      gap: 4px 12px;
      margin-bottom: 4px;
    }
    h3 {
      margin: 0;
      font-size: 13px;
      font-weight: 600;
    }
    small {
      font-weight: 400;
      color: var(--qs-muted, #5b6270);
    }
    .targets {
      margin: 0;
      font-size: 11px;
      color: var(--qs-fail, #b3261e);
      display: flex;
      align-items: center;
      gap: 6px;
    }
    .dash {
      display: inline-block;
      width: 18px;
      border-top: 2px dashed currentColor;
    }
    .breach-key {
      color: var(--qs-muted, #5b6270);
    }
    .plot {
      width: 100%;
      min-height: 150px;
    }
    .empty {
      margin: 0 0 6px;
      font-size: 12px;
      color: var(--qs-muted, #5b6270);
    }
    .u-legend {
      font-size: 11px;
    }
  `,
];
