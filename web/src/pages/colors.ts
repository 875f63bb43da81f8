/** Series colours, fixed per position so a queue keeps its colour across charts. */
export const PALETTE = [
  '#2456c7',
  '#c76a24',
  '#1b7f3b',
  '#8e24aa',
  '#00838f',
  '#6d4c41',
  '#c2185b',
  '#455a64',
  '#7cb342',
  '#f9a825',
] as const;

/** The colour of item `i` of a sorted list (queues, workers). */
export const colorAt = (i: number): string => PALETTE[i % PALETTE.length]!;
