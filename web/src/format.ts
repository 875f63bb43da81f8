/** Display formatting only: no arithmetic on the data (STYLE R14). */
export const fmtMs = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v < 10 ? v.toFixed(1) : v.toFixed(0));
export const fmtNum = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '–' : v.toFixed(digits));
export const fmtPct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)} %`);
export const fmtTime = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : '–');
export const VERDICT_TEXT = { pass: '✔ pass', fail: '✖ fail', 'no-data': '– no data' } as const;
