/** Types for k6's remote jslib module (https://jslib.k6.io/k6-summary/0.0.2/index.js). */
declare module 'https://jslib.k6.io/k6-summary/0.0.2/index.js' {
  export function textSummary(data: Record<string, unknown>, options?: { indent?: string; enableColors?: boolean }): string;
}
