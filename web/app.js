// The bomvault UI: plain ES modules, no build step, no inline script (the CSP forbids it).
import { api } from './api.js';

const main = document.getElementById('main');

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

async function renderUnseal(health) {
  const status = await api('GET', '/unseal');
  const msg = el('p', { role: 'status', 'aria-live': 'polite' });
  const input = el('input', { id: 'share', autocomplete: 'off', spellcheck: 'false' });
  const pct = status.threshold ? Math.round(100 * status.progress / status.threshold) : 0;
  main.replaceChildren(el('section', { class: 'card' },
    el('h1', {}, 'The vault is sealed'),
    el('p', {}, 'Key holders enter their shares one at a time. Progress: ',
      el('strong', { id: 'progress' }, `${status.progress} of ${status.threshold}`)),
    el('div', { class: 'progress', role: 'progressbar', 'aria-valuenow': status.progress, 'aria-valuemin': 0, 'aria-valuemax': status.threshold },
      el('div', { style: `width:${pct}%` })),
    el('form', { onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        const r = await api('POST', '/unseal', { share: input.value.trim() });
        input.value = '';
        if (!r.sealed) return route();
        renderUnseal(health);
      } catch (e) { msg.className = 'error'; msg.textContent = e.message; }
    } },
      el('label', { for: 'share' }, 'Key share'), input,
      el('div', { class: 'row' }, el('button', { type: 'submit' }, 'Submit share'),
        el('button', { type: 'button', class: 'secondary', onclick: async () => { await api('POST', '/unseal', { reset: true }); renderUnseal(health); } }, 'Start over'))),
    msg));
  input.focus();
}

export async function route() {
  let health;
  try { health = await api('GET', '/health'); } catch (e) { main.textContent = 'The server does not answer.'; return; }
  if (health.sealed) return renderUnseal(health);
  const pages = await import('./pages.js');
  return pages.render(main, health);
}

window.addEventListener('popstate', route);
route();
