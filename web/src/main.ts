/**
 * The dashboard: pages are components, chosen by a tiny hash router
 * (#/live, #/runs, #/runs/:id, #/compare?a=…&b=…; default #/live).
 */
import './components/qs-chart/qs-chart.js';
import './components/qs-delta-table/qs-delta-table.js';
import './components/qs-summary-table/qs-summary-table.js';
import './events.js';
import './pages/qs-compare-page/qs-compare-page.js';
import './pages/qs-live-page/qs-live-page.js';
import './pages/qs-run-page/qs-run-page.js';
import './pages/qs-runs-page/qs-runs-page.js';

const outlet = document.querySelector<HTMLElement>('#outlet')!;

function route(): void {
  const hash = location.hash || '#/live';
  const [path = '', query = ''] = hash.slice(1).split('?');
  const params = new URLSearchParams(query);
  let page: HTMLElement;
  const run = /^\/runs\/(.+)$/.exec(path);
  if (run) {
    const el = document.createElement('qs-run-page');
    el.runId = decodeURIComponent(run[1]!);
    page = el;
  } else if (path === '/runs') page = document.createElement('qs-runs-page');
  else if (path === '/compare') {
    const el = document.createElement('qs-compare-page');
    el.a = params.get('a') ?? '';
    el.b = params.get('b') ?? '';
    page = el;
  } else page = document.createElement('qs-live-page');
  outlet.replaceChildren(page);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('header nav a')) {
    const current = a.getAttribute('href') === `#${path}` || (path.startsWith('/runs') && a.getAttribute('href') === '#/runs') || (path === '/compare' && a.getAttribute('href') === '#/runs');
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `queuescope — ${path.slice(1) || 'live'}`;
}

window.addEventListener('hashchange', route);
route();
