// Small DOM helpers shared by every page. No framework: elements are built with el() and
// replaced wholesale when a page re-renders. Nothing here writes a `style` attribute (the CSP
// forbids inline styles); el() assigns `style` objects through the CSSOM instead.

let idCounter = 0;
export function uid(prefix = 'f') { idCounter += 1; return `${prefix}-${idCounter}`; }

// el('button', { class: 'x', onclick: fn, disabled: true }, 'text', childNode, [more])
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') Object.assign(e.style, v);
    else if (k === 'value' || k === 'checked' || k === 'indeterminate') e[k] = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

// Like replaceChildren(), but skips null/false/undefined (replaceChildren would print "null").
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

function append(parent, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// A labelled form control. `control` is an <input>/<select>/<textarea> element; it gets an id
// when it has none, and the hint is tied to it with aria-describedby.
export function field(label, control, hint) {
  if (!control.id) control.id = uid('field');
  const wrap = el('div', { class: 'field' }, el('label', { for: control.id }, label), control);
  if (hint) {
    const h = el('p', { class: 'hint', id: control.id + '-hint' }, hint);
    control.setAttribute('aria-describedby', h.id);
    wrap.append(h);
  }
  return wrap;
}

export function checkbox(label, attrs = {}) {
  const input = el('input', { type: 'checkbox', id: uid('check'), ...attrs });
  return { input, node: el('div', { class: 'check' }, input, el('label', { for: input.id }, label)) };
}

export function select(options, attrs = {}) {
  return el('select', attrs, options.map(([value, text]) => el('option', { value }, text)));
}

// A message area for one form or page: role=alert for errors (read at once), plain text
// otherwise. Errors from the API show their message and, when useful, their code.
export function messageArea() {
  const box = el('div', { class: 'message', 'aria-live': 'polite' });
  return {
    node: box,
    clear() { box.replaceChildren(); box.className = 'message'; },
    error(e) {
      const text = typeof e === 'string' ? e : describeError(e);
      box.replaceChildren(el('p', { role: 'alert', class: 'error' }, text));
    },
    ok(text) { box.replaceChildren(el('p', { class: 'ok' }, text)); },
    info(...nodes) { box.replaceChildren(el('p', {}, ...nodes)); },
  };
}

export function describeError(e) {
  if (!e) return 'Something went wrong.';
  if (e.name === 'ApiError') {
    if (e.status === 429 && e.retryAfter) return `${e.message} (try again in ${e.retryAfter} s)`;
    return e.message;
  }
  if (e instanceof TypeError) return 'The server could not be reached. Check the connection and try again.';
  return e.message || String(e);
}

// The page-wide live region: short confirmations ("Saved") that outlive a re-render.
export function announce(text, kind = 'ok') {
  const region = document.getElementById('flash');
  if (!region) return;
  region.replaceChildren(el('p', { class: kind }, text));
  region.dataset.at = String(Date.now());
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => region.replaceChildren(), 8000);
}

// Tables always sit in a scrolling wrapper so wide BOMs never break the layout on a phone.
export function table({ caption, columns, rows, empty, className }) {
  if (!rows.length && empty) return el('p', { class: 'empty' }, empty);
  return el('div', { class: 'table-wrap' },
    el('table', { class: className || null },
      caption ? el('caption', {}, caption) : null,
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col', class: c.className || null }, c.label)))),
      el('tbody', {}, rows.map((r) => el('tr', {}, columns.map((c) => el('td', { class: c.className || null, 'data-label': typeof c.label === 'string' ? c.label : '' }, c.render(r))))))));
}

// Times come from the API in UTC; people read them in their own time zone and locale. The
// element form keeps the exact instant in a <time datetime> for copy and for assistive tech.
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export function fmtTime(iso) {
  if (!iso || iso.startsWith('1970-01-01')) return '—';
  const d = new Date(iso);
  return Number.isFinite(d.getTime()) ? timeFormat.format(d) : iso;
}
export function timeEl(iso) {
  const text = fmtTime(iso);
  return text === '—' ? text : el('time', { datetime: iso, title: iso }, text);
}

// Thousands separators in the reader's locale: "50,000 items".
const numberFormat = new Intl.NumberFormat();
export function fmtNum(n) { return typeof n === 'number' ? numberFormat.format(n) : String(n ?? ''); }
export function plural(n, one, many = one + 's') { return `${fmtNum(n)} ${n === 1 ? one : many}`; }

// Saves text as a file the browser downloads (recovery codes, exports of the current view).
export function downloadText(name, text, type = 'text/plain') {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const a = el('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// A file name from a BOM's name: letters, digits, dot, dash and underscore survive.
export function fileName(name, ext) {
  const base = String(name || 'bom').normalize('NFKD').replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
  return `${base || 'bom'}.${ext}`;
}

// "812 bytes", "3.4 KiB", "12.0 MiB": binary units, as the server's limits are stated.
export function fmtBytes(n) {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

export function shortId(id) { return id ? id.slice(0, 8) + '…' : ''; }

// A heading every page starts with; focus moves here on navigation so screen readers announce
// the new page.
export function pageHeading(text, ...after) {
  return el('div', { class: 'page-head' }, el('h1', { tabindex: '-1' }, text), ...after);
}

export function loading(text = 'Loading…') { return el('p', { class: 'muted', role: 'status' }, text); }

export function button(text, onclick, attrs = {}) {
  return el('button', { type: 'button', onclick, ...attrs }, text);
}

// Disables a form's submit button while `fn` runs, so double clicks do not submit twice.
export async function busy(btn, fn) {
  const was = btn.disabled;
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  try { return await fn(); } finally { btn.disabled = was; btn.removeAttribute('aria-busy'); }
}

// A modal built on <dialog>: showModal() traps focus and Esc closes it; focus returns to the
// element that opened it. `build(close)` returns the dialog's content. Resolves with the value
// passed to close().
export function openDialog(title, build, { wide = false } = {}) {
  const opener = document.activeElement;
  const headingId = uid('dlg');
  const dlg = el('dialog', { class: wide ? 'wide' : null, 'aria-labelledby': headingId });
  return new Promise((resolve) => {
    let result;
    const close = (value) => { result = value; dlg.close(); };
    dlg.addEventListener('close', () => {
      dlg.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(result);
    });
    dlg.append(
      el('div', { class: 'dialog-head' },
        el('h2', { id: headingId }, title),
        el('button', { type: 'button', class: 'icon', 'aria-label': 'Close', onclick: () => close(undefined) }, '×')),
      build(close));
    document.body.append(dlg);
    dlg.showModal();
    const first = dlg.querySelector('[data-autofocus], input:not([type=hidden]), select, textarea');
    if (first) first.focus();
  });
}

// "Are you sure?" with a danger button. Focus starts on Cancel, the safe choice, so a stray
// Enter never confirms a destructive action. Resolves true when confirmed.
export function confirmDialog(title, text, confirmLabel, { danger = true } = {}) {
  return openDialog(title, (close) => el('div', {},
    el('p', {}, text),
    el('div', { class: 'actions' },
      button(confirmLabel, () => close(true), { class: danger ? 'danger' : null }),
      button('Cancel', () => close(false), { class: 'secondary', 'data-autofocus': true })))).then((v) => v === true);
}

export async function copyText(text, label = 'Copied to the clipboard') {
  try {
    await navigator.clipboard.writeText(text);
    announce(label);
  } catch {
    announce('Copying is not available here; select the text and copy it by hand.', 'error');
  }
}

// A destructive action with a few seconds to change one's mind: nothing is sent until the time is
// up, and "Undo" cancels it. The request is only delayed, never reversed: once it has run,
// nothing can be brought back. If the tab closes first, nothing is sent at all (the safe side).
export function undoable(text, run, { seconds = 8, done, undone } = {}) {
  const region = document.getElementById('undo');
  let left = seconds;
  const count = el('span', { class: 'muted' });
  const paint = () => { count.textContent = ` (${left} s)`; };
  paint();
  const undo = button('Undo', () => {
    clearTimeout(timer);
    clearInterval(tick);
    box.remove();
    announce('Undone: nothing was changed.');
    if (undone) undone();
  }, { class: 'secondary small' });
  const box = el('div', { class: 'undo', role: 'status' }, el('span', {}, text), count, undo);
  // An open modal dialog makes the rest of the page inert: show the toast inside it while it is
  // open, and in the page once it closes.
  const dialogs = [...document.querySelectorAll('dialog[open]')];
  const host = dialogs[dialogs.length - 1];
  if (host) {
    host.append(el('div', { class: 'undo-area in-dialog' }, box));
    host.addEventListener('close', () => { if (box.parentNode) region.append(box); }, { once: true });
  } else {
    region.append(box);
  }
  const tick = setInterval(() => { left = Math.max(0, left - 1); paint(); }, 1000);
  const timer = setTimeout(async () => {
    clearInterval(tick);
    box.remove();
    try {
      await run();
      if (done) done();
    } catch (e) { announce(describeError(e), 'error'); if (undone) undone(); }
  }, seconds * 1000);
  return { cancel: () => undo.click() };
}
