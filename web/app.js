// The bomvault UI shell: plain ES modules, no build step, no inline script (the CSP forbids it).
// Hash routing (#/boms/ID): every page is one function in pages.js's table; this module finds
// the session (cookie, or the operator token in sessionStorage), draws the navigation for the
// role, runs the page and moves focus to its heading. A sealed vault always shows the unseal page.
import { api, ApiError, operatorToken } from './api.js';
import { el, describeError, announce, fill } from './dom.js';
import { routes, navFor } from './pages.js';
import { renderUnseal } from './auth.js';
import { takeLinkToken } from './invitations.js';
import { ssoSignOut } from './sso.js';
import { takeSourceReturn } from './sources.js';
import './reauth.js';
import { onSignedIn } from './session.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const userBox = document.getElementById('user');

// me: undefined = not asked yet, null = signed out, else GET /me's answer.
export const session = { me: undefined, health: null };
let generation = 0;

export function navigate(hash, { replace = false } = {}) {
  if (location.hash === hash) { route(); return; }
  if (replace) { history.replaceState(null, '', hash); route(); } else location.hash = hash;
}

export function currentHash() { return location.hash || '#/'; }

function parseHash() {
  const h = location.hash.startsWith('#/') ? location.hash.slice(1) : '/';
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
  return { path: path.replace(/\/+$/, '') || '/', query };
}

function match(path) {
  const parts = path.split('/').filter(Boolean);
  for (const r of routes) {
    const want = r.path.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    let ok = true;
    want.forEach((w, i) => {
      if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(parts[i]);
      else if (w !== parts[i]) ok = false;
    });
    if (ok) return { route: r, params };
  }
  return null;
}

function kindOf(me) {
  if (!me) return 'anon';
  return me.operator ? 'operator' : 'user';
}

function allowed(r, me) {
  const kind = kindOf(me);
  switch (r.access) {
    case 'anon': return kind === 'anon';
    case 'operator': return kind === 'operator';
    case 'user': return kind === 'user';
    case 'creator': return kind === 'user' && me.role !== 'viewer' && !me.read_only;
    case 'admin': return kind === 'user' && me.role === 'administrator';
    case 'public': return true;
    default: return false;
  }
}

// The org requires two-step sign-in and this user has not enrolled: the Account page (where
// enrolment lives) is the only page the server lets them use.
function enrolmentOnly(me) { return Boolean(me && !me.operator && me.mfa_enrolment_required); }

function home(me) {
  const kind = kindOf(me);
  if (enrolmentOnly(me)) return '#/account';
  if (kind === 'operator') return '#/orgs';
  if (kind === 'user') return '#/boms';
  return '#/sign-in';
}

async function loadSession() {
  try {
    session.me = await api('GET', '/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      if (operatorToken.get()) operatorToken.clear();
      session.me = null;
    } else {
      throw e;
    }
  }
}

export async function signOut() {
  try {
    if (operatorToken.get()) operatorToken.clear();
    else if (await ssoSignOut()) { session.me = null; return; }
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) { announce(describeError(e), 'error'); return; }
  }
  session.me = null;
  announce('You are signed out.');
  navigate('#/sign-in');
}

function renderNav(path) {
  const me = session.me;
  const items = session.health && !session.health.sealed ? navFor(kindOf(me), me) : [];
  fill(nav, ...items.map(([href, label]) => {
    const base = href.slice(1);
    const current = path === base || path.startsWith(base + '/');
    return el('a', { href, 'aria-current': current ? 'page' : null }, label);
  }));
  nav.hidden = items.length === 0;
  if (me) {
    const who = me.operator ? 'Operator' : (me.display_name || me.email);
    fill(userBox, el('span', { class: 'who' }, who),
      el('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'));
  } else {
    userBox.replaceChildren();
  }
}

function focusPage(root) {
  const target = root.querySelector('[data-autofocus]') || root.querySelector('h1');
  if (target) target.focus({ preventScroll: false });
}

function renderDown(root, e) {
  fill(root, el('section', { class: 'card' },
    el('h1', { tabindex: '-1' }, 'The server does not answer'),
    el('p', {}, describeError(e)),
    el('button', { type: 'button', onclick: () => route() }, 'Try again')));
}

// A confirmation announced just before a navigation ("Imported …") belongs to the next page;
// anything older is stale once the user moves on.
function clearStaleFlash() {
  const flash = document.getElementById('flash');
  if (Date.now() - Number(flash.dataset.at || 0) > 700) flash.replaceChildren();
}

export async function route() {
  const gen = ++generation;
  clearStaleFlash();
  const stale = () => gen !== generation;
  const { path, query } = parseHash();
  const root = el('div', { class: 'page' });
  let health;
  try {
    health = await api('GET', '/health');
  } catch (e) {
    if (stale()) return;
    session.health = null;
    renderNav(path);
    fill(main, root);
    renderDown(root, e);
    focusPage(root);
    return;
  }
  if (stale()) return;
  session.health = health;
  if (health.sealed) {
    session.me = undefined;
    renderNav(path);
    document.title = 'Unseal · bomvault';
    fill(main, root);
    await renderUnseal(root, { onUnsealed: () => { announce('The vault is unsealed.'); route(); } });
    if (!stale()) focusPage(root);
    return;
  }
  try {
    if (session.me === undefined) await loadSession();
  } catch (e) {
    if (stale()) return;
    fill(main, root);
    renderDown(root, e);
    return;
  }
  if (stale()) return;
  const me = session.me;
  if (enrolmentOnly(me) && path !== '/account' && !path.startsWith('/invitation') && path !== '/verify-email') {
    navigate('#/account', { replace: true });
    return;
  }
  const found = path === '/' ? null : match(path);
  if (!found) {
    if (path !== '/' && me) {
      renderNav(path);
      fill(main, root);
      root.append(el('section', { class: 'card' }, el('h1', { tabindex: '-1' }, 'Page not found'),
        el('p', {}, 'There is no page at this address. ', el('a', { href: home(me) }, 'Go to the start page'), '.')));
      focusPage(root);
      return;
    }
    navigate(home(me), { replace: true });
    return;
  }
  if (!allowed(found.route, me)) {
    if (kindOf(me) === 'anon') {
      const next = location.hash && location.hash !== '#/' ? '?next=' + encodeURIComponent(location.hash) : '';
      navigate('#/sign-in' + next, { replace: true });
    } else if (found.route.access === 'anon') {
      navigate(home(me), { replace: true });
    } else {
      renderNav(path);
      fill(main, root);
      root.append(el('section', { class: 'card' }, el('h1', { tabindex: '-1' }, 'Not available'),
        el('p', {}, 'Your account may not use this page. ', el('a', { href: home(me) }, 'Go to the start page'), '.')));
      focusPage(root);
    }
    return;
  }
  renderNav(path);
  document.title = `${found.route.title} · bomvault`;
  fill(main, root);
  root.append(el('p', { class: 'muted' }, 'Loading…'));
  const ctx = { root, params: found.params, query, me, navigate, route, stale, session };
  try {
    await found.route.page(ctx);
  } catch (e) {
    if (stale()) return;
    if (e instanceof ApiError && e.status === 401) {
      session.me = null;
      announce('Your session has ended; sign in again.', 'error');
      navigate('#/sign-in?next=' + encodeURIComponent(location.hash), { replace: true });
      return;
    }
    if (e instanceof ApiError && e.code === 'sealed') { route(); return; }
    fill(root, el('section', { class: 'card' },
      el('h1', { tabindex: '-1' }, e instanceof ApiError && e.status === 404 ? 'Not found' : 'Something went wrong'),
      el('p', { role: 'alert', class: 'error' }, describeError(e)),
      el('div', { class: 'actions' },
        e instanceof ApiError && e.status === 404 ? null : el('button', { type: 'button', onclick: () => route() }, 'Try again'),
        el('a', { href: home(me) }, 'Go to the start page'))));
  }
  if (!stale()) focusPage(root);
}

// After a successful sign-in (cookie or operator token); the sign-in pages call it through
// session.js.
onSignedIn(async (nextHash) => {
  session.me = undefined;
  await loadSession();
  const target = nextHash && nextHash.startsWith('#/') && !nextHash.startsWith('#/sign-in') &&
    !nextHash.startsWith('#/operator-sign-in') && !enrolmentOnly(session.me) ? nextHash : home(session.me);
  navigate(target, { replace: true });
});

document.getElementById('skip').addEventListener('click', (ev) => {
  ev.preventDefault();
  const h1 = main.querySelector('h1');
  (h1 || main).focus();
});
window.addEventListener('hashchange', () => {
  if (location.hash && !location.hash.startsWith('#/')) return;  // in-page anchors
  route();
});
takeLinkToken();  // a mail link (/invitation#token=…): keep the token in memory, not in the address
takeSourceReturn();  // back from a data source's OAuth sign-in (?code&state): out of the address at once
route();
