// The console's entry: hash routes to pages. Each page is
// render(root, params) -> cleanup (or nothing); the cleanup runs when the
// user leaves the page (timers stopped, media sessions ended).
import { session, signOut } from './api.js';
import * as signin from './pages/signin.js';
import * as stages from './pages/stages.js';
import * as stage from './pages/stage.js';
import * as sessions from './pages/sessions.js';
import * as timeline from './pages/timeline.js';
import * as live from './pages/live.js';
import * as storage from './pages/storage.js';
import * as keys from './pages/keys.js';

// Hash path pattern -> page; ':x' parts are percent-decoded parameters.
const ROUTES = [
  ['signin', signin],
  ['stages', stages],
  ['stage/:arn', stage],
  ['stage/:arn/sessions', sessions],
  ['stage/:arn/sessions/:session', timeline],
  ['stage/:arn/live', live],
  ['storage', storage],
  ['keys', keys],
];

function match(path) {
  const parts = path.split('/');
  for (const [pattern, page] of ROUTES) {
    const want = pattern.split('/');
    if (want.length !== parts.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(':') ?
      ((params[w.slice(1)] = decodeURIComponent(parts[i])), parts[i] !== '') : w === parts[i])))
      return { page, params };
  }
  return null;
}

let cleanup = null;
let generation = 0;

async function route() {
  const main = document.getElementById('main');
  const path = location.hash.replace(/^#\/?/, '').split('?')[0];
  const key = session();
  const mine = ++generation;
  if (cleanup) { try { cleanup(); } catch { /* a page's own problem */ } cleanup = null; }
  header(key);
  if (!key && path !== 'signin') { location.replace('#/signin'); return; }
  const m = match(path || 'stages') ?? { page: null };
  main.replaceChildren();
  if (!m.page) {
    main.append(Object.assign(document.createElement('h1'), { textContent: 'Not found' }),
      Object.assign(document.createElement('p'), { textContent: `No page "${path}".` }));
    return;
  }
  const query = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const done = await m.page.render(main, m.params, query);
  if (mine !== generation) { done?.(); return; }
  cleanup = done ?? null;
  main.querySelector('h1')?.setAttribute('tabindex', '-1');
  if (document.activeElement === document.body || document.activeElement?.closest('nav'))
    main.querySelector('h1')?.focus({ preventScroll: true });
}

function header(key) {
  document.getElementById('nav').hidden = !key;
  document.getElementById('who').hidden = !key;
  if (key) document.getElementById('who-text').textContent = `${key.accessKeyId} · ${key.region}`;
  for (const a of document.querySelectorAll('#nav a')) {
    const here = location.hash.startsWith(a.getAttribute('href')) ||
      (a.getAttribute('href') === '#/stages' && location.hash.startsWith('#/stage/'));
    if (here) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

document.getElementById('signout').addEventListener('click', () => {
  signOut();
  location.hash = '#/signin';
});
window.addEventListener('hashchange', route);
route();
