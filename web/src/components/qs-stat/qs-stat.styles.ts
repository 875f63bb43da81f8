import { css } from 'lit';

export default css`
  :host {
    display: block;
    min-width: 124px;
  }
  .stat {
    box-sizing: border-box;
    display: flex;
    flex-direction: column;
    gap: 1px;
    height: 100%;
    padding: 6px 10px;
    background: var(--qs-surface, #fff);
    border: 1px solid var(--qs-border, #d8dbe0);
    border-radius: var(--qs-radius, 6px);
  }
  .stat--breach {
    border: 2px solid var(--qs-fail, #b3261e);
    padding: 5px 9px;
  }
  .stat__value {
    font-size: 18px;
    font-weight: 700;
    font-variant-numeric: tabular-nums;
  }
  .stat__unit {
    font-size: 12px;
    font-weight: 400;
    color: var(--qs-muted, #5b6270);
  }
  .stat__label {
    font-size: 12px;
    color: var(--qs-muted, #5b6270);
  }
  .stat__target {
    font-size: 11px;
    color: var(--qs-muted, #5b6270);
  }
  .stat__breach {
    font-size: 11px;
    font-weight: 700;
    color: var(--qs-fail, #b3261e);
  }
`;
