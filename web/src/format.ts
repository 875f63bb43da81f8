/**
 * Display formatting only: numbers arrive computed by the collector's SQL and are only turned into
 * text here (rounding, units, signs); nothing is aggregated (STYLE R14).
 */
import type { Verdict } from '@queuescope/contracts';

type Maybe = number | null | undefined;
const missing = (v: Maybe): v is null | undefined => v === null || v === undefined || Number.isNaN(v);

/** Milliseconds: one decimal below 10 ms, whole numbers above. */
export const fmtMs = (v: Maybe): string => (missing(v) ? '–' : v < 10 ? v.toFixed(1) : v.toFixed(0));
export const fmtNum = (v: Maybe, digits = 1): string => (missing(v) ? '–' : v.toFixed(digits));
/** A 0..1 share as a percentage. */
export const fmtPct = (v: Maybe): string => (missing(v) ? '–' : `${(v * 100).toFixed(1)} %`);
/** A signed number, e.g. deltas: +12.3 / −4.0. */
export const fmtSigned = (v: Maybe, digits = 1): string =>
  missing(v) ? '–' : `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(digits)}`;
/** Bytes in binary units: 812 KiB, 41.3 MiB, 1.2 GiB. */
export function fmtBytes(v: Maybe): string {
  if (missing(v)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let n = v;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
/** Whole seconds as 42 s, 3 min 05 s, 1 h 02 min. */
export function fmtSeconds(s: Maybe): string {
  if (missing(s)) return '–';
  const t = Math.max(0, Math.floor(s));
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min ${String(t % 60).padStart(2, '0')} s`;
  return `${Math.floor(t / 3600)} h ${String(Math.floor((t % 3600) / 60)).padStart(2, '0')} min`;
}
/** Time between two ISO instants (a run's start and end, or now), formatted; a clock, not a statistic. */
export const fmtElapsed = (fromIso: string, toIso: string | null, now = Date.now()): string =>
  fmtSeconds(((toIso ? Date.parse(toIso) : now) - Date.parse(fromIso)) / 1000);
export const fmtTime = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '–');
export const fmtClock = (epochMs: number | null | undefined): string =>
  epochMs === null || epochMs === undefined ? '–' : new Date(epochMs).toLocaleTimeString();

/** SLO verdicts as icon + word, so they read without colour. */
export const VERDICT_TEXT: Readonly<Record<Verdict, string>> = { pass: '✔ pass', fail: '✖ fail', 'no-data': '– no data' };

/** camelCase / snake_case field names as words: `waitP95Ms` → `wait p95 ms`. */
export const words = (key: string): string =>
  key
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
