/** `30s`, `2m`, `1h`, `1500ms` or a bare number of seconds → ms; throws naming the value. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration '${text}' (use e.g. 30s, 2m, 1h)`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(m[1]) * factor;
  if (ms <= 0) throw new Error(`duration must be positive, got '${text}'`);
  return ms;
}
