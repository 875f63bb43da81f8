/**
 * The dashboard's own hash routes: #/live, #/runs, #/runs/:id, #/compare?a=…&b=… (default #/live).
 * Links are built here and parsed here, so pages never spell a route by hand.
 */
export type Route = { page: 'live' } | { page: 'runs' } | { page: 'run'; runId: string } | { page: 'compare'; a: string; b: string };

export const href = {
  live: () => '#/live',
  runs: () => '#/runs',
  run: (runId: string) => `#/runs/${encodeURIComponent(runId)}`,
  compare: (a: string, b: string) => `#/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`,
};

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const run = /^\/runs\/([^/]+)$/.exec(path);
  if (run) return { page: 'run', runId: decodeURIComponent(run[1]!) };
  if (path === '/runs') return { page: 'runs' };
  if (path === '/compare') {
    const params = new URLSearchParams(query);
    return { page: 'compare', a: params.get('a') ?? '', b: params.get('b') ?? '' };
  }
  return { page: 'live' };
}
