/**
 * The dashboard: pages are components, chosen by a tiny hash router (routes.ts):
 * #/live, #/runs, #/runs/:id, #/compare?a=…&b=… (default #/live). A `#token=…` in the link is
 * the collector's API token: kept for this tab (api/token.ts) and wiped from the address bar. When
 * the collector refuses the live stream for want of it, a prompt above the page asks for it.
 */
import { api } from './api/client.js';
import { tokenStore } from './api/token.js';
import './components/qs-chart/qs-chart.js';
import './components/qs-concurrency-changes/qs-concurrency-changes.js';
import './components/qs-delta-table/qs-delta-table.js';
import './components/qs-diagnosis/qs-diagnosis.js';
import './components/qs-run-table/qs-run-table.js';
import './components/qs-stat/qs-stat.js';
import './components/qs-summary-table/qs-summary-table.js';
import './components/qs-token-prompt/qs-token-prompt.js';
import './components/qs-tune-story/qs-tune-story.js';
import './events.js';
import './pages/qs-compare-page/qs-compare-page.js';
import './pages/qs-live-page/qs-live-page.js';
import './pages/qs-run-page/qs-run-page.js';
import './pages/qs-runs-page/qs-runs-page.js';
import { href, parseRoute, takeToken, type Route } from './routes.js';

const outlet = document.querySelector<HTMLElement>('#outlet')!;

// Before the first page connects its live stream, so that stream already carries the token.
const handed = takeToken(location.hash);
if (handed.token !== null) {
  tokenStore.set(handed.token);
  history.replaceState(history.state, '', `${location.pathname}${location.search}${handed.hash}`);
}

const prompt = document.createElement('qs-token-prompt');
prompt.addEventListener('qs-token-submit', (e) => tokenStore.set(e.detail.token));
tokenStore.subscribe(() => {
  if (!tokenStore.refused) return prompt.remove();
  prompt.rejected = tokenStore.get() !== null;
  if (!prompt.isConnected) outlet.before(prompt);
});
document.querySelector<HTMLAnchorElement>('a[data-link="api-docs"]')!.href = api.docsUrl();

function pageFor(route: Route): HTMLElement {
  switch (route.page) {
    case 'run': {
      const el = document.createElement('qs-run-page');
      el.runId = route.runId;
      return el;
    }
    case 'runs':
      return document.createElement('qs-runs-page');
    case 'compare': {
      const el = document.createElement('qs-compare-page');
      el.a = route.a;
      el.b = route.b;
      return el;
    }
    case 'live':
      return document.createElement('qs-live-page');
  }
}

/** The nav link of the section a route belongs to (a run or a comparison belongs to Runs). */
const section = (route: Route): string => (route.page === 'live' ? href.live() : href.runs());

function show(moveFocus: boolean): void {
  const route = parseRoute(location.hash);
  const page = pageFor(route);
  outlet.replaceChildren(page);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('header nav a[href^="#"]')) {
    if (a.getAttribute('href') === section(route)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `queuescope — ${route.page}`;
  // After navigation, keyboard and screen-reader users land on the new page, not the old link.
  if (moveFocus) outlet.focus({ preventScroll: false });
}

window.addEventListener('hashchange', () => show(true));
show(false);
