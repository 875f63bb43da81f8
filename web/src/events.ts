/** Every qs-* event, declared once (STYLE R13). */
export interface CompareSelectDetail {
  a: string;
  b: string;
}

declare global {
  interface GlobalEventHandlersEventMap {
    /** A user picked two runs to compare. */
    'qs-compare-select': CustomEvent<CompareSelectDetail>;
  }
}
