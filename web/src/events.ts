/**
 * Every qs-* event of the dashboard, declared once (STYLE R13). Events bubble and are composed so
 * a page hears them through its children's shadow roots; they fire on user input only.
 */
export interface CompareSelectDetail {
  /** Run id of the baseline (the older of the two selected runs). */
  a: string;
  /** Run id compared against the baseline. */
  b: string;
}

/** The API token the user typed into qs-token-prompt. */
export interface TokenSubmitDetail {
  token: string;
}

declare global {
  interface GlobalEventHandlersEventMap {
    /** The user asked to compare two runs (qs-run-table's Compare button). */
    'qs-compare-select': CustomEvent<CompareSelectDetail>;
    /** The user submitted an API token in qs-token-prompt. */
    'qs-token-submit': CustomEvent<TokenSubmitDetail>;
  }
}

export {};
