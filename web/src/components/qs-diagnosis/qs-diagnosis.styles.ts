import { css } from 'lit';

export default css`
  :host {
    display: block;
  }
  .queues {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    gap: 10px;
  }
  .queue {
    background: var(--qs-surface, #fff);
    border: 1px solid var(--qs-border, #d8dbe0);
    border-radius: var(--qs-radius, 6px);
    padding: 10px 14px;
  }
  h3 {
    margin: 0 0 6px;
    font-size: 15px;
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    gap: 4px 12px;
  }
  small {
    font-size: 12px;
    font-weight: 400;
    color: var(--qs-muted, #5b6270);
  }
  p {
    margin: 4px 0;
  }
  .because {
    margin: 2px 0 6px;
    padding-left: 20px;
  }
  .finding--secondary {
    border-top: 1px dashed var(--qs-border, #d8dbe0);
    margin-top: 8px;
    padding-top: 6px;
  }
  .evidence {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 8px;
    margin: 6px 0;
    font-size: 13px;
    font-variant-numeric: tabular-nums;
  }
  .evidence div {
    display: flex;
    gap: 6px;
    padding: 2px 8px;
    background: var(--qs-bg, #f6f7f9);
    border-radius: 4px;
  }
  dt {
    color: var(--qs-muted, #5b6270);
  }
  dd {
    margin: 0;
    font-weight: 600;
  }
  summary {
    cursor: pointer;
    font-size: 13px;
    color: var(--qs-accent, #2456c7);
  }
  :focus-visible {
    outline: 3px solid var(--qs-focus, #f0a500);
    outline-offset: 2px;
  }
  .drain {
    font-weight: 400;
  }
  .verdict {
    font-size: 13px;
  }
  .verdict--pass {
    color: var(--qs-pass, #1b7f3b);
  }
  .verdict--fail {
    color: var(--qs-fail, #b3261e);
  }
  .verdict--no-data,
  .muted {
    color: var(--qs-muted, #5b6270);
  }
  .rule {
    margin-top: 10px;
  }
  .rule p {
    font-size: 12px;
    color: var(--qs-muted, #5b6270);
    max-width: 110ch;
  }
  .empty {
    padding: 16px;
    color: var(--qs-muted, #5b6270);
    background: var(--qs-surface, #fff);
    border: 1px dashed var(--qs-border, #d8dbe0);
    border-radius: var(--qs-radius, 6px);
  }
`;
