/**
 * The dashboard's own hash routes: #/live, #/runs, #/runs/:id, #/compare?a=…&b=… (default #/live).
 * Links are built here and parsed here, so pages never spell a route by hand. A `token` parameter
 * in the hash is the API token handed over in a link (takeToken), never a route.
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

/**
 * A `token` in the hash (`#token=…` or `#/runs?token=…`, as `npm run stack` prints the dashboard's
 * URL) and the hash without it, so the token can be stored and wiped from the address bar and
 * history. Percent-decoded, but a `+` stays a `+` (tokens may hold one; URLSearchParams would make it a space).
 */
export function takeToken(hash: string): { token: string | null; hash: string } {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const bare = path.startsWith('token=');
  const pairs = (bare ? path : query).split('&').filter(Boolean);
  const found = pairs.find((p) => p.startsWith('token='));
  if (found === undefined) return { token: null, hash };
  let token = found.slice('token='.length);
  try {
    token = decodeURIComponent(token);
  } catch {
    // not percent-encoded: take it as it is
  }
  if (bare) return { token, hash: href.live() };
  const rest = pairs.filter((p) => p !== found).join('&');
  return { token, hash: `#${path}${rest ? `?${rest}` : ''}` };
}
