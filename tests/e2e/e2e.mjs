// End-to-end test of the bomvault web UI through Debian's chromium (playwright-core, no bundled
// browser). run.sh starts a sealed server and passes BV_BASE, BV_INIT (init --json output),
// BV_SCREENSHOTS and BV_SERVER_LOG. Every persona (anonymous key holder, operator, admin,
// editor, viewer) has its own browser context, so cookies and sessionStorage stay apart.
//
// A step fails on any page error, any console error, and any HTTP error answer from the API that
// the step did not announce as expected (allow()). After the first failed step the remaining
// steps are counted as failed without running, since each builds on the previous ones.
import { chromium } from 'playwright-core';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import path from 'node:path';
import zlib from 'node:zlib';

const BASE = process.env.BV_BASE;
const INIT = JSON.parse(fs.readFileSync(process.env.BV_INIT, 'utf8'));
const SHOTS = process.env.BV_SCREENSHOTS || 'build/screenshots';
const PASSWORD = 'Correct-Horse-Battery-9';
const ADMIN = 'admin@acme.example';
const EDITOR = 'editor@acme.example';
const VIEWER = 'viewer@acme.example';
const ORG = 'Acme Engineering';

fs.mkdirSync(SHOTS, { recursive: true });

// ---- TOTP (RFC 6238: SHA-1, 6 digits, 30 s), computed from the secret the UI shows ----------
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}
function totpAt(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1000000).padStart(6, '0');
}
const stepNow = () => Math.floor(Date.now() / 1000 / 30);
// The step for a code newer than the one used at step `used`: the current step, or the next one when
// `used` is the current step. The server accepts one step on either side of its clock (a phone
// running a little fast) and refuses a step not newer than the last used, so the clock need not
// reach the next 30 s window first; it waits only when `used` was itself the next step.
async function stepAfter(used) {
  while (used > stepNow()) await sleep(500);
  return Math.max(stepNow(), used + 1);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- Mail: the server writes every message as a .eml file into DATA/outbox/ ---------------
const OUTBOX = process.env.BV_OUTBOX;
// The token of the newest link to PUBLIC_URL/<page>#token=… mailed to `to`.
function mailedToken(to, page) {
  if (!OUTBOX || !fs.existsSync(OUTBOX)) return '';
  const names = fs.readdirSync(OUTBOX).filter((n) => n.endsWith('.eml')).sort();
  for (const n of names.reverse()) {
    const text = fs.readFileSync(path.join(OUTBOX, n), 'utf8');
    if (!text.includes(`\r\nTo: <${to}>\r\n`)) continue;
    const m = new RegExp(`/${page}#token=([A-Za-z0-9_~.%-]+)`).exec(text);
    if (m) return m[1];
  }
  return '';
}

// ---- Test bookkeeping --------------------------------------------------------------------
const results = [];
const problems = [];  // page errors, console errors, unexpected HTTP errors of the current step
let failedAlready = false;

async function step(name, fn) {
  if (failedAlready) {
    results.push({ name, ok: false, skipped: true });
    console.log(`not run  ${name} (an earlier step failed)`);
    return;
  }
  problems.length = 0;
  const t0 = Date.now();
  try {
    await fn();
    await sleep(150);  // let late console messages of this step arrive
    if (problems.length) throw new Error(problems.join('\n   '));
    results.push({ name, ok: true });
    console.log(`ok       ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failedAlready = true;
    results.push({ name, ok: false });
    console.log(`FAILED   ${name}\n   ${String(e && e.stack || e).split('\n').slice(0, 6).join('\n   ')}`);
    for (const p of personas.values()) {
      try { await p.page.screenshot({ path: path.join(SHOTS, `failure-${p.name}.png`), fullPage: true }); } catch { /* closed */ }
    }
  }
}

function check(cond, message) { if (!cond) throw new Error(message); }

async function until(fn, what, timeout = 10000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}

// ---- Personas ----------------------------------------------------------------------------
const personas = new Map();
let browser;

async function persona(name, viewport = { width: 1280, height: 860 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const p = { name, context, page, allowed: [] };
  // Answers the app provokes by design: probing the session before anyone signed in.
  p.allowed.push({ status: 401, method: 'GET', path: /^\/api\/v1\/me$/ });
  // GET /api/v1/sso/{org} answers 404 for an organisation without a provider: the sign-in and
  // account pages ask it on every visit to decide whether to show single sign-on at all.
  const noProvider = (status, pathname) => status === 404 && /^\/api\/v1\/(sso\/org_[0-9a-f]+|org\/sso)$/.test(pathname);
  const isAllowed = (status, method, pathname) => noProvider(status, pathname) || p.allowed.some((a) => a.status === status &&
    (!method || !a.method || a.method === method) && a.path.test(pathname));
  page.on('pageerror', (e) => problems.push(`[${name}] page error: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // The OAuth provider's own sign-in pages (another program) ask for a web font and a favicon.
    if (oidc.issuer && page.url().startsWith(oidc.issuer + '/')) return;
    const text = msg.text();
    const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(text);
    if (m) {
      let pathname = '';
      try { pathname = new URL(msg.location().url).pathname; } catch { /* no url */ }
      if (isAllowed(Number(m[1]), null, pathname)) return;
    }
    problems.push(`[${name}] console error: ${text} ${msg.location().url || ''}`);
  });
  page.on('response', (r) => {
    if (r.status() < 400) return;
    const u = new URL(r.url());
    if (oidc.issuer && u.origin === oidc.issuer) return;
    if (isAllowed(r.status(), r.request().method(), u.pathname)) return;
    problems.push(`[${name}] unexpected HTTP ${r.status()} for ${r.request().method()} ${u.pathname}`);
  });
  personas.set(name, p);
  return p;
}
function allow(p, status, method, pathRe) { p.allowed.push({ status, method, path: pathRe }); }

// axe-core (npm, pinned) checks every page and dialog the run takes a screenshot of; a serious or
// critical violation fails the step. It is evaluated through the DevTools protocol, which the
// page's CSP (no inline script) does not govern.
const AXE = fs.readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const axeChecked = [];
async function axeCheck(page, where) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeChecked.push({ where, violations: r.violations.length, serious: bad.length });
  check(!bad.length, `${where}: axe finds ${bad.map((v) => `${v.impact} ${v.id} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')})`).join(', ')}`);
}

async function shot(page, name) {
  await sleep(100);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  await axeCheck(page, name);
}

// Every visible form control has an accessible name.
async function checkLabels(page, where) {
  const bad = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((e) => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
    .map((e) => e.outerHTML.slice(0, 80)));
  check(bad.length === 0, `${where}: form controls without a label: ${bad.join(', ')}`);
}

const heading = (page, name) => page.getByRole('heading', { level: 1, name, exact: true });

async function signIn(p, email, { totpSecret, enrolment, password = PASSWORD } = {}) {
  const { page } = p;
  await page.goto(BASE + '/#/sign-in');
  await heading(page, 'Sign in').waitFor();
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  if (totpSecret) {
    await page.getByLabel('One-time code').waitFor();
    return;
  }
  if (enrolment) return;
  await heading(page, 'BOMs').waitFor();
}

// After a TOTP confirmation the recovery codes are shown once: they download as a text file,
// and "Continue" stays off until the user says they saved them. Returns the codes.
async function saveRecoveryCodes(page, shotName) {
  await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
  const codes = (await page.locator('#recovery-codes li').allTextContents()).map((c) => c.trim());
  check(codes.length === 10 && codes.every((c) => /^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/.test(c)), `ten recovery codes are shown (${codes.join(' ')})`);
  check(await page.locator('#codes-continue').isDisabled(), 'Continue waits for "I have saved them"');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download codes' }).click()]);
  const file = await download.path();
  const text = fs.readFileSync(file, 'utf8');
  check(download.suggestedFilename() === 'bomvault-recovery-codes.txt' && codes.every((c) => text.includes(c)), 'the download holds every code');
  await page.getByRole('button', { name: 'Print codes' }).waitFor();
  if (shotName) await shot(page, shotName);
  await page.getByLabel('I have saved these codes somewhere safe').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  check(!(await page.locator('#recovery-codes li').count()), 'the codes leave the page');
  return codes;
}

async function enrolTotp(page, { after = 0 } = {}) {
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await page.locator('#totp-secret').waitFor();
  const secret = (await page.locator('#totp-secret').textContent()).replace(/\s/g, '');
  if (Date.now() / 1000 % 30 > 25) await sleep(6000);
  const at = await stepAfter(after);
  await page.getByLabel('Code from the app').fill(totpAt(secret, at));
  await page.getByRole('button', { name: 'Confirm and turn on' }).click();
  return { secret, at };
}

async function importCsv(page, name, csv, { via = 'picker' } = {}) {
  await page.getByRole('link', { name: 'Import', exact: true }).click();
  await heading(page, 'Import a BOM').waitFor();
  if (via === 'drop') {
    const dt = await page.evaluateHandle(({ text, file }) => {
      const d = new DataTransfer();
      d.items.add(new File([text], file, { type: 'text/csv' }));
      return d;
    }, { text: csv, file: `${name}.csv` });
    await page.dispatchEvent('[data-testid=drop]', 'dragenter', { dataTransfer: dt });
    await page.dispatchEvent('[data-testid=drop]', 'drop', { dataTransfer: dt });
  } else {
    await page.setInputFiles('#csv-file', { name: `${name}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv) });
  }
  await previewOf(page, `${name}.csv`);
  await page.getByLabel('BOM name').fill(name);
}

// Waits for the server's preview of the file named `file`; returns its counts line.
async function previewOf(page, file) {
  const counts = page.locator(`section[data-file="${file}"] [data-testid=import-counts]`);
  await counts.waitFor();
  return (await counts.textContent()).trim();
}

const GEARBOX = [
  'level,find_number,part_number,description,quantity,unit,supplier',
  '0,,GBX-100,Gearbox assembly,1,ea,',
  '1,10,HSG-1,Housing,1,ea,Acme Castings',
  '1,20,SHF-7,Output shaft,2,ea,',
  '2,10,BRG-6204,Ball bearing 6204,2,ea,SKF',
  '2,20,KEY-5,Parallel key 5x5,1,ea,',
  '1,30,SCR-M6,Screw M6x20,8,ea,',
  '1,40,CAP-1,Cover,1,ea,',
  '2,10,SCR-M6,Screw M6x20,4,ea,',
  '2,20,GSK-2,Gasket,1,ea,Klinger',
  '',
].join('\n');
const GEARBOX_B = GEARBOX.replace('1,30,SCR-M6,Screw M6x20,8,ea,', '1,30,SCR-M6,Screw M6x20,10,ea,')
  .replace('2,20,GSK-2,Gasket,1,ea,Klinger\n', '2,20,GSK-3,Gasket (silicone),1,ea,Klinger\n');
const BAD = [
  'level;part_number;description;quantity',
  '0;GBX-100;Gearbox;1',
  '1;SHF-7;Shaft;two',
  '1;;Housing;1',
  '',
].join('\n');

// ---- Files built in the test: a PNG, a PDF and XLSX workbooks, with no extra dependency ----
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// A w×h RGB PNG: a blue gradient with a light square, so a screenshot shows it is drawn.
function makePng(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2;  // 8-bit RGB; compression, filter, interlace 0
  const raw = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; y += 1) {
    for (let x = 0; x < w; x += 1) {
      const o = y * (1 + 3 * w) + 1 + 3 * x;
      const inner = x > w / 4 && x < (3 * w) / 4 && y > h / 4 && y < (3 * h) / 4;
      raw[o] = inner ? 240 : 30 + (x * 100) / w;
      raw[o + 1] = inner ? 240 : 64 + (y * 80) / h;
      raw[o + 2] = inner ? 250 : 175;
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const PNG = makePng(64, 48);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n' +
  '2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n');

// A zip of stored (uncompressed) entries: local headers, the central directory, its end record.
function makeZip(files) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text, 'utf8');
    const fname = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(0, 8); local.writeUInt32LE(0, 10); local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fname.length, 26); local.writeUInt16LE(0, 28);
    const cen = Buffer.alloc(46);
    cen.writeUInt32LE(0x02014b50, 0); cen.writeUInt16LE(20, 4); cen.writeUInt16LE(20, 6);
    cen.writeUInt16LE(0x0800, 8); cen.writeUInt16LE(0, 10); cen.writeUInt32LE(0, 12);
    cen.writeUInt32LE(crc, 16); cen.writeUInt32LE(data.length, 20); cen.writeUInt32LE(data.length, 24);
    cen.writeUInt16LE(fname.length, 28); cen.writeUInt32LE(offset, 42);
    locals.push(local, fname, data);
    central.push(cen, fname);
    offset += local.length + fname.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  const count = Object.keys(files).length;
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(count, 8); end.writeUInt16LE(count, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

// A one-sheet workbook; numbers become numeric cells, everything else inline strings.
function makeXlsx(rows) {
  const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const col = (i) => String.fromCharCode(65 + i);
  const sheetRows = rows.map((cells, r) => `<row r="${r + 1}">${cells.map((v, i) => {
    const ref = `${col(i)}${r + 1}`;
    if (v === '' || v === null) return '';
    if (typeof v === 'number') return `<c r="${ref}"><v>${v}</v></c>`;
    return `<c r="${ref}" t="inlineStr"><is><t>${esc(v)}</t></is></c>`;
  }).join('')}</row>`).join('');
  const ns = 'http://schemas.openxmlformats.org';
  return makeZip({
    '[Content_Types].xml': `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="${ns}/package/2006/content-types">` +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    '_rels/.rels': `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${ns}/package/2006/relationships">` +
      `<Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    'xl/workbook.xml': `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${ns}/spreadsheetml/2006/main" ` +
      `xmlns:r="${ns}/officeDocument/2006/relationships"><sheets><sheet name="BOM" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${ns}/package/2006/relationships">` +
      `<Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    'xl/worksheets/sheet1.xml': `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${ns}/spreadsheetml/2006/main">` +
      `<sheetData>${sheetRows}</sheetData></worksheet>`,
  });
}
// Column names the built-in aliases do not know; the admin maps them in the settings.
const PUMP_HEADER = ['Level', 'Position', 'Part Number', 'Description', 'Qty', 'Unit', 'Mfr. Part No', 'Internal cost'];
const PUMP_ROWS = [
  [0, '', 'PMP-200', 'Pump assembly', 1, 'ea', '', 120],
  [1, 10, 'IMP-3', 'Impeller', 1, 'ea', 'GRF-IMP3', 14.5],
  [1, 20, 'MOT-1', 'Motor 0.75 kW', 1, 'ea', 'ABB-M3AA', 80],
  [2, 10, 'BRG-6204', 'Ball bearing 6204', 2, 'ea', 'SKF-6204', 3],
];
const PUMP_XLSX = makeXlsx([PUMP_HEADER, ...PUMP_ROWS]);
const PUMP_BAD_XLSX = makeXlsx([PUMP_HEADER, PUMP_ROWS[0], [1, 10, 'IMP-3', 'Impeller', 'two', 'ea', '', 1]]);
const PUMP_CSV = [PUMP_HEADER, ...PUMP_ROWS].map((r) => r.join(',')).join('\n') + '\n';

// ---- Data sources for the Sources steps ---------------------------------------------------
// A small JSON API on loopback. Under /api it takes one API key (PARTS_KEY) in X-Api-Key: GET
// /api/boms/{id} answers {name, items, next}, POST /api/boms takes a new record, PUT updates
// one. The record "slow" answers after 8 s, for the Cancel button. Under /plm it takes only
// access tokens the OAuth provider below issued (it asks the provider's introspection endpoint)
// and remembers whose they were. The provider is oidc-provider (OpenID Certified), run from
// tests/integration/oidc with this UI's own origin as a redirect URI.
const oidc = { issuer: '', apiSecret: crypto.randomBytes(16).toString('hex'), proc: null, subjects: [], tokens: [] };
async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
async function startProvider() {
  const port = await freePort();
  oidc.issuer = `http://127.0.0.1:${port}`;
  const script = new URL('../integration/oidc/provider.mjs', import.meta.url).pathname;
  oidc.proc = spawn('node', [script, String(port), PLANTED_SECRET, oidc.apiSecret, '3600', `${BASE}/`], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((resolve, reject) => {
    oidc.proc.stdout.on('data', (d) => { if (String(d).includes('ready')) resolve(); });
    oidc.proc.on('exit', (code) => reject(new Error(`oidc-provider exited with ${code}`)));
  });
}
async function introspect(token) {
  const r = await fetch(`${oidc.issuer}/token/introspection`, {
    method: 'POST',
    headers: { Authorization: 'Basic ' + Buffer.from(`source-api:${oidc.apiSecret}`).toString('base64'), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  return r.json();
}
const PARTS_KEY = 'e2e-parts-key-7c1d9a';
const PLANTED_SECRET = 'planted-client-secret-e2e-5b2f';
const partsApi = {
  base: '', keys: [], writes: [], next: 100,
  boms: {
    'mtr-1': {
      name: 'Motor', items: [
        { ref: '1', part_number: 'MTR-1', description: 'Motor', quantity: 1 },
        { ref: '2', parent: '1', part_number: 'RTR-2', description: 'Rotor', quantity: 1 },
        { ref: '3', parent: '1', part_number: 'STR-3', description: 'Stator', quantity: 1 },
        { ref: '4', parent: '1', part_number: 'SCR-M4', description: 'Screw', quantity: 8 },
      ],
    },
  },
};
async function startPartsApi() {
  const server = http.createServer((req, res) => {
    const answer = (status, body) => {
      const data = Buffer.from(JSON.stringify(body));
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': data.length });
      res.end(data);
    };
    const u = new URL(req.url, 'http://localhost');
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization || '');
    if (u.pathname.startsWith('/plm/')) {
      const pm = /^\/plm\/boms\/([A-Za-z0-9._~-]+)$/.exec(u.pathname);
      if (!bearer) { answer(401, { error: 'unauthorized' }); return; }
      introspect(bearer[1]).then((t) => {
        if (!t.active) { answer(401, { error: 'invalid_token' }); return; }
        oidc.subjects.push(t.sub);
        oidc.tokens.push(bearer[1]);
        if (req.method === 'GET' && pm && partsApi.boms[pm[1]]) answer(200, { name: 'PLM ' + partsApi.boms[pm[1]].name, items: partsApi.boms[pm[1]].items, next: null });
        else answer(404, { error: 'not found' });
      }, () => answer(502, { error: 'no provider' }));
      return;
    }
    partsApi.keys.push(req.headers['x-api-key'] || '');
    if (req.headers['x-api-key'] !== PARTS_KEY) { answer(401, { error: 'unauthorized' }); return; }
    const m = /^\/api\/boms\/([A-Za-z0-9._~-]+)$/.exec(u.pathname);
    if (req.method === 'GET' && m && m[1] === 'slow') { setTimeout(() => answer(404, {}), 8000); return; }
    if (req.method === 'GET' && m && partsApi.boms[m[1]]) {
      const b = partsApi.boms[m[1]];
      answer(200, { name: b.name, items: b.items, next: null });
      return;
    }
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      partsApi.writes.push(`${req.method} ${u.pathname}`);
      if (req.method === 'POST' && u.pathname === '/api/boms') {
        partsApi.next += 1;
        partsApi.boms[String(partsApi.next)] = JSON.parse(raw);
        answer(201, { id: String(partsApi.next) });
      } else if (req.method === 'PUT' && m && partsApi.boms[m[1]]) {
        partsApi.boms[m[1]] = JSON.parse(raw);
        answer(200, { id: m[1] });
      } else answer(404, { error: 'not found' });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  partsApi.base = `http://127.0.0.1:${server.address().port}`;
}

// Every violation counts here, not only the serious ones: the Sources pages and dialogs are new.
async function axeStrict(page, where) {
  await axeCheck(page, where);
  const last = axeChecked[axeChecked.length - 1];
  if (last.violations) {
    const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    throw new Error(`${where}: axe finds ${r.violations.map((v) => `${v.impact} ${v.id} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')})`).join(', ')}`);
  }
}

// ---- The scenario ------------------------------------------------------------------------
let anon; let op; let admin; let editor; let viewer;
let totpSecret = '';
let invitee;
const INVITEE = 'newcomer@acme.example';
let confirmStep = 0;
let viewerId = '';
let bomA = '';
let bomB = '';

async function main() {
  await until(async () => (await fetch(BASE + '/api/v1/health')).ok, 'the server to answer', 20000);
  await startPartsApi();
  await startProvider();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

  await step('unseal through the UI with two shares', async () => {
    anon = await persona('keyholder');
    const { page } = anon;
    await page.goto(BASE + '/');
    await heading(page, 'The vault is sealed').waitFor();
    check((await page.locator('#unseal-progress').textContent()) === '0 of 2', 'progress starts at 0 of 2');
    // Someone without a share only waits: the page says so and resumes by itself.
    const waiter = await persona('colleague-waiting');
    await waiter.page.goto(BASE + '/');
    await heading(waiter.page, 'The vault is sealed').waitFor();
    await waiter.page.locator('#unseal-wait').waitFor();
    check(await waiter.page.getByLabel('Key share').isHidden(), 'the share form stays closed for people who only wait');
    await page.getByRole('button', { name: 'I hold a key share' }).click();
    await checkLabels(page, 'unseal');
    await shot(page, '01-unseal');
    await page.getByLabel('Key share').fill(INIT.shares[0]);
    await page.getByRole('button', { name: 'Submit share' }).click();
    await until(async () => (await page.locator('#unseal-progress').textContent()) === '1 of 2', 'progress 1 of 2');
    await page.getByText('Share accepted: 1 of 2').waitFor({ state: 'visible' });  // confirmation of the first share
    // Key holders see which shares are in by the numbers printed beside them, and the waiting
    // colleague's page catches up by itself.
    check((await page.locator('#unseal-shares [data-share="1"]').textContent()) === 'Share 1: in', 'share 1 shown as in');
    check((await page.locator('#unseal-shares [data-share="2"]').textContent()) === 'Share 2: not yet', 'share 2 shown as missing');
    await until(async () => (await waiter.page.locator('#unseal-shares [data-share="1"]').textContent()) === 'Share 1: in', 'the waiting page shows share 1 in');
    await shot(page, '02-unseal-progress');
    // "Start over" (proved with the share already given) asks first, and the safe answer has the focus.
    await page.getByLabel('Key share').fill(INIT.shares[0]);
    await page.getByRole('button', { name: 'Start over' }).click();
    const dlg = page.getByRole('dialog', { name: 'Start over' });
    await dlg.waitFor();
    check(await dlg.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === document.activeElement), 'Cancel has the focus');
    await shot(page, '02b-unseal-start-over');
    await page.keyboard.press('Enter');
    await dlg.waitFor({ state: 'detached' });
    check((await page.locator('#unseal-progress').textContent()) === '1 of 2', 'Enter on the focused Cancel keeps the share');
    await page.getByLabel('Key share').fill(INIT.shares[1]);
    await page.getByRole('button', { name: 'Submit share' }).click();
    await heading(page, 'Sign in').waitFor();
    await heading(waiter.page, 'Sign in').waitFor({ timeout: 8000 });  // resumed without a reload
    await waiter.context.close();
    personas.delete('colleague-waiting');
    await checkLabels(page, 'sign-in');
    await shot(page, '03-sign-in');
  });

  await step('operator signs in with the token and creates an organisation', async () => {
    op = await persona('operator');
    const { page } = op;
    await page.goto(BASE + '/#/operator-sign-in');
    await heading(page, 'Operator sign-in').waitFor();
    await page.getByLabel('Operator token').fill(INIT.operator_token);
    await page.getByRole('button', { name: 'Sign in as operator' }).click();
    await heading(page, 'Organisations').waitFor();
    // The list loads after the heading renders: wait for the empty state rather than race it.
    await page.getByText('There are no organisations yet').waitFor();
    const stored = await page.evaluate(() => Object.keys(sessionStorage).length && !document.cookie);
    check(stored, 'the operator token lives in sessionStorage, with no cookie');
    await page.getByLabel('Organisation name').fill(ORG);
    await page.getByLabel('Administrator e-mail').fill(ADMIN);
    await page.getByLabel('Administrator password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create organisation' }).click();
    await page.getByRole('cell', { name: ORG, exact: true }).waitFor();
    await checkLabels(page, 'orgs');
    await shot(page, '04-operator-orgs');
    await page.getByRole('link', { name: 'Seal', exact: true }).click();
    await heading(page, 'Seal').waitFor();
    await shot(page, '05-operator-seal');
  });

  await step('admin signs in and enrols an authenticator (QR code, confirm with a code)', async () => {
    admin = await persona('admin');
    const { page } = admin;
    await signIn(admin, ADMIN);
    await page.getByText('There are no BOMs yet').waitFor({ state: 'visible' });  // empty BOM list for a new org
    await shot(page, '06-boms-empty');
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await heading(page, 'Account').waitFor();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const canvas = page.locator('canvas.qr');
    await canvas.waitFor();
    const dark = await canvas.evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 50) n += 1;
      return n / (d.length / 4);
    });
    check(dark > 0.2 && dark < 0.7, `the QR code is drawn (dark share ${dark.toFixed(2)})`);
    totpSecret = (await page.locator('#totp-secret').textContent()).replace(/\s/g, '');
    check(/^[A-Z2-7]{32}$/.test(totpSecret), `a base32 secret is shown (${totpSecret})`);
    await checkLabels(page, 'account');
    await shot(page, '07-account-mfa-enrol');
    // A code near the end of its 30 s window might expire on the way: start in a fresh window.
    if (Date.now() / 1000 % 30 > 25) await sleep(6000);
    confirmStep = stepNow();
    await page.getByLabel('Code from the app').fill(totpAt(totpSecret, confirmStep));
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();
    await saveRecoveryCodes(page, '07b-recovery-codes');
    await page.getByText('An authenticator app is enrolled').waitFor();
    await page.getByText('10 recovery codes left').waitFor();
  });

  await step('admin signs out and signs in again with a TOTP code', async () => {
    const { page } = admin;
    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await heading(page, 'Sign in').waitFor();
    allow(admin, 401, 'POST', /^\/api\/v1\/sessions$/);  // the server asks for the code: totp_required
    await signIn(admin, ADMIN, { totpSecret });
    await page.getByText('enter the current code').waitFor({ state: 'visible' });  // the UI explains the code step
    // The server accepts each step once: a code of a step after the one used to confirm.
    if (Date.now() / 1000 % 30 > 25) await sleep(6000);
    await page.getByLabel('One-time code').fill(totpAt(totpSecret, await stepAfter(confirmStep)));
    await shot(page, '08-sign-in-totp');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading(page, 'BOMs').waitFor();
    admin.allowed.pop();
  });

  await step('admin adds an editor and a viewer, changes a role and disables a user', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await heading(page, 'Users').waitFor();
    const add = async (email, role) => {
      await page.getByLabel('E-mail address').fill(email);
      await page.getByLabel('Initial password').fill(PASSWORD);
      await page.getByLabel('Role', { exact: true }).selectOption(role);
      await page.getByRole('button', { name: 'Add user' }).click();
      await page.getByText(`Added ${email}`).waitFor();
    };
    await add(EDITOR, 'editor');
    await add(VIEWER, 'viewer');
    await add('contractor@acme.example', 'viewer');
    viewerId = await page.locator(`code[data-email="${VIEWER}"]`).getAttribute('data-user-id');
    check(/^[A-Za-z0-9_-]{8,}$/.test(viewerId || ''), `the viewer's id is shown (${viewerId})`);
    await page.getByLabel('Role of contractor@acme.example', { exact: true }).selectOption('editor');
    await page.getByRole('button', { name: 'Change the role of contractor@acme.example' }).click();
    await page.getByRole('dialog').last().waitFor();
    await axeCheck(page, 'dialog: Make Editor');
    await page.getByRole('dialog', { name: 'Change role' }).getByRole('button', { name: 'Make Editor' }).click();
    await page.locator('#flash').getByText('contractor@acme.example is now Editor').waitFor();
    await page.getByRole('button', { name: 'Disable contractor@acme.example' }).click();
    await page.getByRole('dialog').last().waitFor();
    await axeCheck(page, 'dialog: Disable');
    await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable contractor@acme.example' }).waitFor();
    await checkLabels(page, 'users');
    await shot(page, '09-users');
  });

  await step('admin invites by e-mail, revokes an invitation and blocks a domain', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Invitations', exact: true }).click();
    await heading(page, 'Invitations').waitFor();
    await page.getByText('No pending invitations.').waitFor();
    await page.getByText('Nothing is blocked.').waitFor();
    const invite = async (email, role) => {
      await page.getByLabel('E-mail address to invite').fill(email);
      await page.getByLabel('Role', { exact: true }).selectOption(role);
      await page.getByRole('button', { name: 'Send invitation' }).click();
    };
    await invite(INVITEE, 'viewer');
    await page.getByText(`Invited ${INVITEE} as Viewer`).waitFor();
    await page.getByRole('cell', { name: INVITEE, exact: true }).waitFor();
    await invite('temp@acme.example', 'editor');
    await page.getByRole('cell', { name: 'temp@acme.example', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Revoke the invitation of temp@acme.example' }).click();
    await page.getByRole('dialog').last().waitFor();
    await axeCheck(page, 'dialog: Revoke invitation');
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke invitation' }).click();
    await page.locator('#flash').getByText('The invitation of temp@acme.example was revoked.').waitFor();
    await until(async () => (await page.getByRole('cell', { name: 'temp@acme.example', exact: true }).count()) === 0, 'the revoked invitation to go');
    await page.getByRole('heading', { name: 'Pending invitations (1)' }).waitFor();

    await page.getByLabel('Address or domain').fill('spam.example');
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await page.getByText('Blocked the domain spam.example.').waitFor();
    await page.locator('table.blocked [data-entry="spam.example"]').waitFor();
    await page.getByLabel('Address or domain').fill('mallory@evil.example');
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await page.getByText('Blocked the address mallory@evil.example.').waitFor();
    await page.getByRole('heading', { name: 'Blocked addresses (2)' }).waitFor();
    allow(admin, 403, 'POST', /^\/api\/v1\/invitations$/);
    await invite('someone@sales.spam.example', 'viewer');
    await page.locator('[role=alert]').getByText('blocked by your organisation').waitFor();
    admin.allowed.pop();
    await page.getByRole('button', { name: 'Unblock mallory@evil.example' }).click();
    await page.getByRole('dialog').last().waitFor();
    await axeCheck(page, 'dialog: Unblock');
    await page.getByRole('dialog').getByRole('button', { name: 'Unblock' }).click();
    await page.getByText('mallory@evil.example is no longer blocked.').waitFor();
    await page.getByRole('heading', { name: 'Blocked addresses (1)' }).waitFor();
    await page.getByLabel('E-mail address to invite').fill('');
    await checkLabels(page, 'invitations');
    await shot(page, '09b-invitations');
  });

  await step('the invitee opens the mail link, sets a password and signs in', async () => {
    const token = await until(() => mailedToken(INVITEE, 'invitation'), 'the invitation mail');
    invitee = await persona('invitee');
    const { page } = invitee;
    await page.goto(`${BASE}/invitation#token=${token}`);
    await heading(page, 'Accept the invitation').waitFor();
    check(!page.url().includes(token), `the token left the address bar (${page.url()})`);
    await checkLabels(page, 'invitation');
    await shot(page, '09c-invitation');
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD + 'x');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByText('The two passwords differ').waitFor();
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create my account' }).click();
    await heading(page, 'Your account is ready').waitFor();
    await shot(page, '09d-invitation-accepted');
    // A verification link without its token explains itself instead of failing.
    await page.goto(`${BASE}/verify-email`);
    await heading(page, 'Verify your e-mail address').waitFor();
    await page.getByText('holds no verification token').waitFor();
    await shot(page, '09e-verify-email-no-token');
    await page.getByRole('link', { name: 'Go to the sign-in page' }).click();
    await heading(page, 'Sign in').waitFor();
    await page.getByLabel('E-mail address').fill(INVITEE);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading(page, 'BOMs').waitFor();
    check(await page.locator('#user .who').textContent() === INVITEE, 'signed in as the invitee');
    // The link works once.
    allow(invitee, 400, 'POST', /^\/api\/v1\/invitations\/accept$/);
    const again = await fetch(`${BASE}/api/v1/invitations/accept`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Bomvault-Csrf': '1' }, body: JSON.stringify({ token, password: PASSWORD }) });
    check(again.status >= 400, `a used invitation link is refused (${again.status})`);
    await admin.page.reload();
    await heading(admin.page, 'Invitations').waitFor();
    await admin.page.getByRole('heading', { name: 'Pending invitations (0)' }).waitFor();
  });

  await step('admin maps import column names in the settings', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await heading(page, 'Organisation settings').waitFor();
    await page.getByText('No mappings: imports recognise only the built-in column names.').waitFor();
    const add = page.getByRole('button', { name: 'Add a mapping' });
    await add.click();
    await page.getByLabel('Column name (row 1)', { exact: true }).fill('Position');
    await page.getByLabel('Maps to (row 1)', { exact: true }).selectOption('find_number');
    await add.click();
    await page.getByLabel('Column name (row 2)', { exact: true }).fill('Mfr. Part No');
    await page.getByLabel('Maps to (row 2)', { exact: true }).selectOption('property');
    await page.getByLabel('Property key (row 2)', { exact: true }).fill('manufacturer_pn');
    check(await page.getByLabel('Property key (row 1)', { exact: true }).isHidden(), 'the property key shows only for "Property"');
    await add.click();
    await page.getByLabel('Column name (row 3)', { exact: true }).fill('Internal cost');
    await page.getByLabel('Maps to (row 3)', { exact: true }).selectOption('ignore');
    await add.click();
    await page.getByLabel('Column name (row 4)', { exact: true }).fill('scratch');
    await page.getByRole('button', { name: 'Remove the mapping in row 4 (scratch)' }).click();
    await page.getByRole('button', { name: 'Save mappings' }).click();
    await page.getByText('Column mappings saved (3).').waitFor();
    // The editor shows the server's normalised answer.
    check(await page.getByLabel('Column name (row 2)', { exact: true }).inputValue() === 'mfr._part_no', 'the column name is normalised');
    await checkLabels(page, 'settings (mappings)');
    await page.locator('section[aria-labelledby=mappings-h]').screenshot({ path: path.join(SHOTS, '09f-column-mappings.png') });
    await page.reload();
    await heading(page, 'Organisation settings').waitFor();
    await page.getByLabel('Column name (row 3)', { exact: true }).waitFor();
    check(await page.getByLabel('Column name (row 1)', { exact: true }).inputValue() === 'position', 'the mappings persisted');
    check(await page.getByLabel('Maps to (row 3)', { exact: true }).inputValue() === 'ignore', 'the ignore mapping persisted');
    check(!(await page.getByLabel('Column name (row 4)', { exact: true }).count()), 'the removed row was not saved');
  });

  await step('editor imports a CSV: preview, per-line errors, then a good file by drag-and-drop', async () => {
    editor = await persona('editor');
    const { page } = editor;
    await signIn(editor, EDITOR);
    await importCsv(page, 'Broken', BAD);
    // The server's preview of the bad file: its format, and its errors before anything is sent.
    check((await page.locator('[data-testid=import-format]').textContent()).includes('separated by semicolons'), 'the delimiter is shown');
    check(await page.locator('table.preview-errors tbody tr').count() >= 1, 'the preview lists the errors');
    allow(editor, 400, 'POST', /^\/api\/v1\/boms\/import$/);
    allow(editor, 422, 'POST', /^\/api\/v1\/boms\/import$/);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const problemsTable = page.locator('table.problems');
    await problemsTable.waitFor();
    const lines = await problemsTable.locator('tbody tr td:first-child').allTextContents();
    check(lines.includes('3'), `a problem is reported on line 3 (got ${lines.join(',')})`);
    await checkLabels(page, 'import');
    await shot(page, '10-import-errors');
    await importCsv(page, 'Gearbox GBX-100', GEARBOX, { via: 'drop' });
    const counts = await previewOf(page, 'Gearbox GBX-100.csv');
    check(counts.startsWith('9 items from 9 rows'), `the preview counts the good file (${counts})`);
    await shot(page, '11-import-preview');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await heading(page, 'Gearbox GBX-100').waitFor();
    bomA = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
    check(bomA.length > 8, 'the BOM page has the new id');
  });

  await step('editor uses the tree: keyboard, sort, filter, search, columns, levels, export of the view; then the flattened view', async () => {
    const { page } = editor;
    const tree = page.getByRole('tree');
    const rows = tree.getByRole('treeitem');
    await rows.first().waitFor();
    check(await rows.count() === 9, `9 tree rows (got ${await rows.count()})`);
    const item = (pn) => tree.locator(`[role=treeitem]:has(.pn:text-is("${pn}"))`).first();
    const bearing = item('BRG-6204');
    await bearing.waitFor({ state: 'visible' });
    check(await bearing.getAttribute('aria-level') === '3', 'aria-level tells the depth');
    const shaft = item('SHF-7');
    check(await shaft.getAttribute('aria-expanded') === 'true', 'an open parent says so');
    // One tab stop: the tree itself; the arrow keys move inside it.
    check(await page.locator('[role=tree] [tabindex], [role=tree] button, [role=tree] a').count() === 0, 'no tab stops inside the tree');
    await tree.focus();
    await page.keyboard.press('ArrowDown');  // focus starts on GBX-100: then HSG-1,
    await page.keyboard.press('ArrowDown');  // then SHF-7
    check(await tree.getAttribute('aria-activedescendant') === await shaft.getAttribute('id'), 'ArrowDown moves to the shaft');
    await page.keyboard.press('ArrowLeft');
    await until(async () => (await shaft.getAttribute('aria-expanded')) === 'false', 'ArrowLeft to close the shaft');
    check(!(await bearing.count()), 'closing the shaft hides the bearing');
    await page.keyboard.press('ArrowRight');
    await bearing.waitFor({ state: 'visible' });  // ArrowRight opens again
    await shaft.locator('.chev-box').click();
    await until(async () => (await shaft.getAttribute('aria-expanded')) === 'false', 'a click on the arrow to close');
    await shaft.locator('.chev-box').click();
    await bearing.waitFor();
    await shot(page, '12-bom-tree');
    // Sort siblings by quantity, descending: the 8 screws come first under the gearbox.
    await page.getByRole('button', { name: /^Qty/ }).click();
    await page.getByRole('button', { name: /^Qty/ }).click();
    const level2 = async () => (await tree.locator('[role=treeitem][aria-level="2"] .pn').allTextContents());
    check((await level2())[0] === 'SCR-M6', `sorted by quantity, descending (${(await level2()).join(',')})`);
    await page.getByRole('button', { name: /^Qty/ }).click();  // back to the file's order
    // Filter a column: matches and the path to them stay.
    await page.getByLabel('Filter Description').fill('gasket');
    await until(async () => (await rows.count()) === 3, 'the gasket and its parents');
    await shot(page, '12b-bom-tree-filtered');
    await page.getByLabel('Filter Description').fill('');
    await until(async () => (await rows.count()) === 9, 'all rows again');
    // Search opens the tree to each match.
    await page.getByRole('button', { name: 'Collapse all' }).click();
    await until(async () => (await rows.count()) === 1, 'only the top row');
    await page.getByRole('searchbox', { name: 'Find in this BOM' }).fill('screw');
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.locator('#find-result').getByText('1 of 2').waitFor();
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.locator('#find-result').getByText('2 of 2').waitFor();
    check(await tree.locator('.vrow.hit .pn').textContent() === 'SCR-M6', 'the match is marked');
    check(await item('CAP-1').getAttribute('aria-expanded') === 'true', 'the cover opened to show its screw');
    await shot(page, '12c-bom-tree-search');
    await page.getByLabel('Open to level').selectOption('2');
    await until(async () => (await rows.count()) === 5, 'levels 1 and 2');
    await page.getByRole('button', { name: 'Expand all' }).click();
    // The column chooser: the supplier property becomes a column of its own.
    await page.locator('summary', { hasText: 'Columns' }).click();
    const supplier = page.getByLabel('supplier', { exact: true });
    if (!(await supplier.isChecked())) await supplier.check();
    await page.getByRole('button', { name: /^supplier/ }).waitFor();
    check((await item('BRG-6204').textContent()).includes('SKF'), 'the supplier column shows SKF');
    await shot(page, '12d-bom-tree-columns');
    await page.locator('summary', { hasText: 'Columns' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export this view' }).click()]);
    check(download.suggestedFilename() === 'Gearbox-GBX-100-view.csv', `the export is named after the BOM (${download.suggestedFilename()})`);
    const viewCsv = fs.readFileSync(await download.path(), 'utf8');
    check(viewCsv.split('\r\n')[0].startsWith('Level,Part number') && viewCsv.includes('BRG-6204') && viewCsv.includes('SKF'), 'the view export holds what is shown');
    await page.getByRole('link', { name: 'Flattened' }).click();
    const flat = page.getByRole('table', { name: /^Flattened BOM/ });
    await flat.waitFor();
    const qtyOf = async (pn) => (await flat.locator(`[role=row]:has-text("${pn}") [role=cell]`).nth(2).textContent());
    check(await qtyOf('SCR-M6') === '12', 'SCR-M6 rolls up to 12');
    check(await qtyOf('BRG-6204') === '4', 'BRG-6204 rolls up to 2 × 2 = 4');
    await shot(page, '13-bom-flat');
    const csvLink = page.getByRole('link', { name: 'Export CSV' });
    check(await csvLink.getAttribute('download') === 'Gearbox-GBX-100.csv', 'the export is named after the BOM');
    const res = await page.request.get(BASE + await csvLink.getAttribute('href'));
    check(res.ok() && (await res.text()).includes('BRG-6204'), 'the CSV export link downloads the BOM');
    check(/filename="Gearbox-GBX-100\.csv"/.test(res.headers()['content-disposition'] || ''), `the server names the file after the BOM (${res.headers()['content-disposition']})`);
    const json = await page.request.get(BASE + await page.getByRole('link', { name: 'Export JSON' }).getAttribute('href'));
    check(json.ok() && (await json.json()).items.length === 9, 'the JSON export link downloads 9 items');
  });

  await step('editor attaches a thumbnail and a PDF, sees them listed and deletes one', async () => {
    const { page } = editor;
    await page.getByRole('link', { name: 'Tree', exact: true }).click();
    await page.getByRole('treeitem').first().waitFor();
    await page.getByText('No files yet').waitFor();
    const addFile = page.getByRole('button', { name: 'Add file…' });
    check(await addFile.getAttribute('aria-expanded') === 'false', 'the upload form starts closed');
    await addFile.click();
    // A file the server does not take as a thumbnail: the refusal is shown, nothing is added.
    allow(editor, 400, 'POST', /^\/api\/v1\/boms\/[^/]+\/attachments$/);
    await page.setInputFiles('#attach-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture\n') });
    await page.getByLabel('Kind', { exact: true }).selectOption('thumbnail');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.locator('.files [role=alert]').getByText('“notes.txt” was not added').waitFor();
    editor.allowed.pop();
    await page.setInputFiles('#attach-file', { name: 'gearbox.png', mimeType: 'image/png', buffer: PNG });
    await page.getByText('gearbox.png (').waitFor();
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText('“gearbox.png” is the thumbnail now.').waitFor();
    const thumb = page.locator('img.thumb');
    await thumb.waitFor();
    check(await thumb.getAttribute('alt') === 'Thumbnail of Gearbox GBX-100', 'the thumbnail has alt text');
    const size = await until(() => thumb.evaluate((img) => img.complete && img.naturalWidth && `${img.naturalWidth}x${img.naturalHeight}`), 'the thumbnail to load');
    check(size === '64x48', `the thumbnail is drawn (${size})`);
    await page.setInputFiles('#attach-file', { name: 'GBX-100 drawing.pdf', mimeType: 'application/pdf', buffer: PDF });
    await page.getByLabel('Kind', { exact: true }).selectOption('derivative');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText('Added “GBX-100 drawing.pdf”.').waitFor();
    const rows = page.locator('table.files tbody tr');
    await until(async () => (await rows.count()) === 2, 'two files listed');
    await page.getByRole('heading', { name: 'Files (2)' }).waitFor();
    const link = page.getByRole('link', { name: 'GBX-100 drawing.pdf' });
    check(await link.getAttribute('download') === 'GBX-100 drawing.pdf', 'the name is a download link');
    const res = await page.request.get(BASE + await link.getAttribute('href'));
    check(res.ok() && (await res.body()).subarray(0, 8).toString() === '%PDF-1.7', 'the link downloads the PDF');
    check((await rows.nth(1).textContent()).includes('PDF'), 'the type is shown');
    await checkLabels(page, 'bom files');
    await shot(page, '12b-bom-files');
    await page.getByRole('button', { name: 'Delete GBX-100 drawing.pdf' }).click();
    await page.getByRole('dialog').last().waitFor();
    await axeCheck(page, 'dialog: Delete file');
    await page.getByRole('dialog', { name: 'Delete file' }).getByRole('button', { name: 'Delete file' }).click();
    await page.getByText('“GBX-100 drawing.pdf” was deleted.').waitFor();
    await until(async () => (await rows.count()) === 1, 'one file left');
    await page.getByRole('heading', { name: 'Files (1)' }).waitFor();
    // The BOM list shows the thumbnail, small.
    await page.getByRole('link', { name: 'BOMs', exact: true }).click();
    await heading(page, 'BOMs').waitFor();
    const small = page.locator('table.boms img.thumb-sm');
    await small.waitFor();
    check(await small.getAttribute('loading') === 'lazy', 'list thumbnails load lazily');
    await until(() => small.evaluate((img) => img.complete && img.naturalWidth > 0), 'the list thumbnail to load');
    await page.getByRole('link', { name: 'Gearbox GBX-100', exact: true }).click();
    await heading(page, 'Gearbox GBX-100').waitFor();
  });

  await step('editor renames, imports a revision, compares, searches and finds where a part is used', async () => {
    const { page } = editor;
    await page.getByRole('button', { name: 'Rename…' }).click();
    await page.getByRole('dialog').getByLabel('New name').fill('Gearbox GBX-100 rev A');
    await page.getByRole('dialog').last().waitFor();
    await axeCheck(page, 'dialog: Save');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await heading(page, 'Gearbox GBX-100 rev A').waitFor();
    await importCsv(page, 'Gearbox GBX-100 rev B', GEARBOX_B);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await heading(page, 'Gearbox GBX-100 rev B').waitFor();
    bomB = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
    await page.getByRole('link', { name: 'Compare' }).click();
    await page.getByLabel('Compare with').selectOption(bomA);
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    // An engineering change, matched by part number: the screws changed quantity, the gasket was swapped.
    await page.getByText(/1 added, 1 removed, 0 moved, 1 re-quantified/).waitFor();
    const eco = page.getByRole('table', { name: /^Changes from/ });
    check((await eco.locator('[role=row]:has-text("SCR-M6")').textContent()).includes('Re-quantified'), 'SCR-M6 is re-quantified');
    check(!(await eco.textContent()).includes('#'), 'no internal keys');
    await shot(page, '14-bom-compare');
    const [ecoFile] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export as CSV' }).click()]);
    const ecoCsv = fs.readFileSync(await ecoFile.path(), 'utf8');
    check(ecoCsv.includes('Re-quantified,SCR-M6') && ecoCsv.includes('Added,GSK-2') && ecoCsv.includes('Removed,GSK-3'), 'the change exports as CSV');
    // Both trees side by side: every row in its place in the structure, the change marked.
    await page.getByRole('link', { name: 'Both trees side by side' }).click();
    const sbs = page.getByRole('table', { name: /side by side$/ });
    await sbs.waitFor();
    await page.getByText(/rows: 1 added, 1 removed, 0 moved, 1 re-quantified/).waitFor();
    const scr = (await sbs.locator('[role=row]:has-text("SCR-M6")').first().textContent());
    check(scr.includes('Re-quantified') && (scr.match(/SCR-M6/g) || []).length === 2, 'SCR-M6 shows on both sides, re-quantified');
    check((await sbs.locator('[role=row].chg-added').count()) === 1 && (await sbs.locator('[role=row].chg-removed').count()) === 1, 'one row added, one removed');
    await axeCheck(page, 'compare: side by side');
    await shot(page, '14b-bom-compare-side');
    const [sideFile] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export as CSV' }).click()]);
    const sideCsv = fs.readFileSync(await sideFile.path(), 'utf8');
    check(sideCsv.split('\r\n')[0].startsWith('Change,Level,') && sideCsv.includes('Added,') && sideCsv.includes('GSK-2'), 'the side-by-side view exports as CSV');
    await page.getByRole('link', { name: 'BOMs', exact: true }).click();
    await heading(page, 'BOMs').waitFor();
    await page.getByLabel('Name contains').fill('rev b');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('1 matching BOM').waitFor();
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.getByRole('link', { name: 'Gearbox GBX-100 rev A' }).waitFor();
    await checkLabels(page, 'boms');
    await shot(page, '15-boms');
    await page.getByRole('link', { name: 'Where used', exact: true }).click();
    await heading(page, 'Where used').waitFor();
    await page.getByLabel('Part number', { exact: true }).fill('GSK-3');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByText('1 BOM use').waitFor();
    await page.getByRole('link', { name: 'Gearbox GBX-100 rev B' }).waitFor({ state: 'visible' });  // where-used lists rev B
    await shot(page, '16-where-used');
  });

  await step('editor previews mapped columns, then imports an Excel workbook (errors by row, then a good one)', async () => {
    const { page } = editor;
    await importCsv(page, 'Pump CSV', PUMP_CSV);
    // The org's column mappings show in the server's mapping, one control per column.
    const readAs = (col) => page.locator(`select[data-column="${col}"]`).inputValue();
    check(await readAs('Position') === 'find_number', `"Position" is read as find_number (${await readAs('Position')})`);
    check(await readAs('Mfr. Part No') === 'property', 'the mapped property shows as a property');
    check(await page.locator('input[aria-label^="Property key for column"][aria-label$="(Mfr. Part No)"]').inputValue() === 'manufacturer_pn', 'the mapped property key is shown');
    check(await readAs('Internal cost') === 'ignore', '"Internal cost" is left out');
    check(await readAs('Qty') === 'quantity', 'built-in aliases still work');
    check(!(await page.locator('table.preview-errors').count()), 'no errors in the preview');
    await shot(page, '14b-import-mapped-preview');
    await page.setInputFiles('#csv-file', { name: 'Pump-bad.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: PUMP_BAD_XLSX });
    await previewOf(page, 'Pump-bad.xlsx');
    check((await page.locator('[data-testid=import-format]').textContent()).startsWith('Excel workbook'), 'a workbook is previewed by the server');
    await page.getByLabel('BOM name').fill('Pump bad');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const problemsTable = page.locator('table.problems');
    await problemsTable.waitFor();
    check((await problemsTable.locator('thead th').first().textContent()) === 'Row', 'workbook problems are listed by row');
    const bad = await problemsTable.locator('tbody tr td:first-child').allTextContents();
    check(bad.includes('3'), `a problem is reported on row 3 (got ${bad.join(',')})`);
    await shot(page, '14c-import-xlsx-errors');
    await page.setInputFiles('#csv-file', { name: 'Pump PMP-200.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: PUMP_XLSX });
    await previewOf(page, 'Pump PMP-200.xlsx');
    await page.getByLabel('BOM name').fill('Pump PMP-200');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await heading(page, 'Pump PMP-200').waitFor();
    const tree = page.getByRole('treeitem');
    await tree.first().waitFor();
    check(await tree.count() === 4, `4 items from the workbook (got ${await tree.count()})`);
    const text = await page.getByRole('tree').textContent() + await page.locator('.vhead').textContent();
    const motor = page.locator('[role=treeitem]:has-text("MOT-1")');
    check((await motor.locator('.c-mpn').textContent()) === 'ABB-M3AA', 'the mapped property is the MPN column');
    check(!text.includes('internal_cost') && !text.includes('Internal'), 'the ignored column was left out');
    check((await motor.locator('.c-find_number').textContent()) === '20', 'Position became the find number');
    await shot(page, '14d-xlsx-bom');
  });

  await step('admin imports real exports through the server preview: a KiCad CSV (a mapping changed, saved as a profile), a multi-sheet workbook (a sheet picked)', async () => {
    const { page } = admin;
    const kicad = fs.readFileSync(new URL('../corpus/kicad/apogeoshield_kicad8_export.csv', import.meta.url));
    const openbom = fs.readFileSync(new URL('../corpus/openbom/synth_openbom_multilevel.xlsx', import.meta.url));
    const KICAD_FILE = 'apogeoshield_kicad8_export.csv';
    const PROFILE = 'KiCad 8 export, no footprints';
    await page.getByRole('link', { name: 'Import', exact: true }).click();
    await heading(page, 'Import a BOM').waitFor();
    // Dropped as downloaded: the file's bytes go to the server, not text the browser decoded.
    const dt = await page.evaluateHandle(({ bytes, file }) => {
      const d = new DataTransfer();
      d.items.add(new File([new Uint8Array(bytes)], file, { type: 'text/csv' }));
      return d;
    }, { bytes: [...kicad], file: KICAD_FILE });
    await page.dispatchEvent('[data-testid=drop]', 'dragenter', { dataTransfer: dt });
    await page.dispatchEvent('[data-testid=drop]', 'drop', { dataTransfer: dt });
    let counts = await previewOf(page, KICAD_FILE);
    check(counts.startsWith('9 items'), `the KiCad export previews as 9 items (${counts})`);
    const found = (await page.locator('[data-testid=import-profile-found]').textContent()).trim();
    check(found !== '—' && found === (await page.locator('#import-profile option[value=""]').textContent()).replace(/^.*found: (.*)\)$/, '$1'), `the profile the server chose is shown (${found})`);
    check((await page.locator('[data-testid=import-format]').textContent()).includes('separated by commas'), 'the delimiter is shown');
    check(await page.locator('select[data-column="Reference"]').inputValue() === 'refdes', 'Reference is read as designators');
    const footprintHead = () => page.locator('table.preview thead th', { hasText: /^footprint$/ }).count();
    check(await page.locator('select[data-column="Footprint"]').inputValue() === 'property' && await footprintHead() === 1, 'Footprint is kept as a property at first');
    // Leave the Footprint column out: the server previews again with the changed mapping.
    await page.locator('select[data-column="Footprint"]').selectOption('ignore');
    await page.locator('tr.changed select[data-column="Footprint"]').waitFor();
    await previewOf(page, KICAD_FILE);
    check(await footprintHead() === 0, 'the left-out column is gone from the items');
    check((await page.locator('[data-testid=import-profile-found]').textContent()).trim() === found, 'the recognised profile stays');
    await page.getByLabel('Profile name').fill(PROFILE);
    await page.getByRole('button', { name: 'Save as profile' }).click();
    await page.getByText(`Saved the import profile “${PROFILE}”.`).waitFor();
    await until(async () => (await page.locator('#import-profile option:checked').textContent()) === PROFILE, 'the saved profile is picked');
    await previewOf(page, KICAD_FILE);
    check(await page.locator('select[data-column="Footprint"]').inputValue() === 'ignore' && await footprintHead() === 0, 'the saved profile leaves Footprint out');
    check(!(await page.locator('tr.changed').count()), 'the change now lives in the profile');
    await checkLabels(page, 'import preview');
    await shot(page, '14e-import-kicad-profile');
    await page.getByLabel('BOM name').fill('ApogeoShield');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await heading(page, 'ApogeoShield').waitFor();
    const kicadId = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
    const items = await page.evaluate(async (id) => (await (await fetch(`/api/v1/boms/${id}/items`)).json()).items, kicadId);
    check(items.length === 9 && items.every((i) => !('footprint' in i.properties)) && items.some((i) => i.refdes.includes('J4')),
      `the import used the profile (${items.length} items, ${JSON.stringify(items[0])})`);

    await page.getByRole('link', { name: 'Import', exact: true }).click();
    await heading(page, 'Import a BOM').waitFor();
    await page.setInputFiles('#csv-file', { name: 'synth_openbom_multilevel.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: openbom });
    counts = await previewOf(page, 'synth_openbom_multilevel.xlsx');
    check(counts.startsWith('14 items'), `the three sheets preview as one BOM of 14 items (${counts})`);
    check((await page.locator('[data-testid=import-format]').textContent()).includes('3 sheets as one BOM'), 'the combined sheets are said');
    check(await page.locator('#import-profile option', { hasText: PROFILE }).count() === 1, 'the saved profile is offered');
    const sheets = await page.locator('#import-sheet option').allTextContents();
    check(sheets.length === 4 && sheets.includes('DRN-120 Flight Controller'), `every sheet is offered (${sheets.join(' | ')})`);
    await page.locator('#import-sheet').selectOption('DRN-120 Flight Controller');
    await until(async () => (await page.locator('section[data-file] [data-testid=import-format]').textContent()).includes('DRN-120'), 'the preview of the picked sheet');
    counts = await previewOf(page, 'synth_openbom_multilevel.xlsx');
    const n = Number(/^(\d+) item/.exec(counts)[1]);
    check(n > 0 && n < 14, `the picked sheet alone has fewer items (${counts})`);
    await shot(page, '14f-import-sheet-picked');
    await page.getByLabel('BOM name').fill('Flight controller');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await heading(page, 'Flight controller').waitFor();
    const tree = page.getByRole('treeitem');
    await tree.first().waitFor();
    check(await tree.count() === n, `the BOM holds the picked sheet's ${n} items (got ${await tree.count()})`);
  });

  await step('editor shares with the viewer found by address; the viewer sees it', async () => {
    // The viewer chooses how colleagues see them.
    viewer = await persona('viewer');
    await signIn(viewer, VIEWER);
    await viewer.page.getByRole('link', { name: 'Account', exact: true }).click();
    await viewer.page.getByLabel('Display name').fill('Vera Viewer');
    await viewer.page.getByRole('button', { name: 'Save name' }).click();
    await viewer.page.getByText('Colleagues now see you as Vera Viewer.').waitFor();

    const { page } = editor;
    await page.goto(`${BASE}/#/boms/${encodeURIComponent(bomA)}`);
    await heading(page, 'Gearbox GBX-100 rev A').waitFor();
    await page.getByRole('button', { name: 'Sharing…' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByText('It is not shared with anyone.').waitFor();
    // Colleagues are found by name or address, not by pasting ids.
    await dlg.getByLabel('Share with').fill(VIEWER);
    await dlg.getByLabel('Access').selectOption('view');
    await dlg.getByRole('button', { name: 'Share', exact: true }).click();
    await dlg.locator('table.shares tbody tr').first().waitFor();
    check((await dlg.locator('table.shares tbody tr').first().textContent()).includes('Can view'), 'the share is listed');
    check((await dlg.locator('table.shares tbody tr').first().textContent()).includes('Vera Viewer'), 'the share list shows the name');
    await dlg.getByText('Shared with Vera Viewer (can view).').waitFor();
    await checkLabels(page, 'share dialog');
    await shot(page, '17-share-dialog');
    await page.keyboard.press('Escape');
    await dlg.waitFor({ state: 'detached' });

    const vp = viewer.page;
    await vp.goto(BASE + '/#/boms');
    await heading(vp, 'BOMs').waitFor();
    check(!(await vp.getByRole('link', { name: 'Import', exact: true }).count()), 'a viewer has no Import link');
    await vp.getByRole('link', { name: 'Gearbox GBX-100 rev A' }).click();
    await heading(vp, 'Gearbox GBX-100 rev A').waitFor();
    await vp.getByRole('treeitem').first().waitFor();
    check(!(await vp.getByRole('button', { name: 'Rename…' }).count()), 'a viewer cannot rename');
    await vp.locator('img.thumb').waitFor();
    check(!(await vp.getByRole('button', { name: 'Add file…' }).count()), 'a viewer cannot add files');
    check(!(await vp.getByRole('button', { name: /^Delete / }).count()), 'a viewer cannot delete files');
    await shot(vp, '18-viewer-bom');
  });

  await step('editor revokes the share (undo first, then for real); the viewer loses it', async () => {
    const { page } = editor;
    await page.getByRole('button', { name: 'Sharing…' }).click();
    const dlg = page.getByRole('dialog').first();
    const revoke = async () => {
      await dlg.getByRole('button', { name: /^Revoke access for/ }).click();
      const sure = page.getByRole('dialog', { name: 'Revoke access' });
      await sure.waitFor();
      check(await sure.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === document.activeElement), 'Cancel has the focus');
      await axeCheck(page, 'dialog: revoke access');
      await sure.getByRole('button', { name: 'Revoke access' }).click();
    };
    await revoke();
    await dlg.getByRole('button', { name: 'Undo' }).click();
    await page.locator('#flash').getByText('Undone').waitFor();
    await sleep(9000);  // past the window: nothing was sent
    check(await dlg.locator('[data-user]').count() === 1, 'the share is still there after Undo');
    await revoke();
    await dlg.locator('.undo').waitFor();
    await shot(page, '19a-revoke-undo');
    await dlg.getByText('It is not shared with anyone.').waitFor({ timeout: 20000 });
    await page.keyboard.press('Escape');
    const vp = viewer.page;
    await vp.goto(BASE + '/#/boms');
    await heading(vp, 'BOMs').waitFor();
    await vp.getByText('No BOM has been shared with you yet.').waitFor();
    await shot(vp, '19-viewer-empty');
  });

  await step('editor transfers the BOM to the viewer', async () => {
    const { page } = editor;
    await page.getByRole('button', { name: 'Transfer…' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('New owner').fill('vera');
    await until(async () => (await dlg.locator('datalist option').count()) >= 1, 'suggestions for "vera"');
    await shot(page, '20-transfer-dialog');
    await dlg.getByRole('button', { name: 'Transfer ownership' }).click();
    const sure = page.getByRole('dialog', { name: 'Transfer ownership' }).last();
    await sure.getByText('will belong to Vera Viewer').waitFor();
    await sure.getByRole('button', { name: 'Transfer', exact: true }).click();
    await heading(page, 'BOMs').waitFor();
    await page.locator('#flash').getByText('transferred to Vera Viewer').waitFor();
    await page.locator('#flash').getByText('was transferred').waitFor();
    check(!(await page.getByRole('link', { name: 'Gearbox GBX-100 rev A' }).count()), 'the editor no longer lists it');
    const vp = viewer.page;
    await vp.reload();
    await vp.getByRole('link', { name: 'Gearbox GBX-100 rev A' }).waitFor();
    await vp.getByRole('cell', { name: 'Owner', exact: true }).waitFor({ state: 'visible' });  // the viewer owns it
  });

  await step('admin searches the audit log, with filters and paging', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Audit', exact: true }).click();
    await heading(page, 'Audit log').waitFor();
    const rows = page.locator('table.audit tbody tr');
    await rows.first().waitFor();
    const actions = await page.locator('table.audit tbody tr td:nth-child(2)').allTextContents();
    for (const a of ['bom.transfer', 'bom.unshare', 'bom.share', 'user.create']) check(actions.includes(a), `the log shows ${a}`);
    await checkLabels(page, 'audit');
    await shot(page, '21-audit');
    await page.getByLabel('Action').fill('bom.share');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await until(async () => {
      const a = await page.locator('table.audit tbody tr td:nth-child(2)').allTextContents();
      return a.length === 1 && a[0] === 'bom.share';
    }, 'only the bom.share entry');
    await page.getByRole('link', { name: 'Reset' }).click();
    // Reset re-renders the page; wait for it, or the choice below is lost in the re-render.
    await until(async () => (await page.getByLabel('Action').inputValue()) === '' &&
      (await page.locator('table.audit tbody tr').count()) > 1, 'the unfiltered log');
    await page.getByLabel('Per page').selectOption('10');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name: 'Older →' }).click();
    await page.getByRole('link', { name: '← Newest' }).waitFor();
    await page.getByText('(older page)').waitFor({ state: 'visible' });  // the second page is shown
  });

  await step('admin changes the organisation settings and grants support access', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await heading(page, 'Organisation settings').waitFor();
    await page.getByLabel('Audit depth').fill('50');
    await page.getByLabel('Multi-factor authentication').selectOption('administrators');
    await page.getByLabel('Notice period (days)').fill('14');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    await page.getByRole('button', { name: 'Grant support access' }).click();
    await page.getByText('Support access granted for 4 hours.').waitFor();
    await checkLabels(page, 'settings');
    await shot(page, '22-settings');
    await page.reload();
    await heading(page, 'Organisation settings').waitFor();
    check(await page.getByLabel('Audit depth').inputValue() === '50', 'audit depth persisted');
    check(await page.getByLabel('Multi-factor authentication').inputValue() === 'administrators', 'MFA policy persisted');
    check(await page.getByLabel('Notice period (days)').inputValue() === '14', 'purge days persisted');
  });

  await step('admin creates an API token (shown once) and revokes it', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await heading(page, 'Account').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('ci-script');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.locator('#new-token').textContent()).trim();
    check(token.length > 20, 'the new token is shown');
    const res = await fetch(BASE + '/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });
    check(res.ok, 'the token works');
    await shot(page, '23-account-tokens');
    await page.getByRole('button', { name: 'Revoke the token ci-script' }).click();
    await page.getByRole('dialog').last().waitFor();
    await axeCheck(page, 'dialog: Revoke token');
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('You have no API tokens.').waitFor();
    check((await fetch(BASE + '/api/v1/me', { headers: { Authorization: `Bearer ${token}` } })).status === 401, 'the revoked token fails');
  });

  await step('lost phone: the editor signs in with a recovery code, an Administrator resets, the editor enrols again', async () => {
    const { page } = editor;
    await page.goto(BASE + '/#/account');
    await heading(page, 'Account').waitFor();
    const first = await enrolTotp(page);
    const codes = await saveRecoveryCodes(page, null);
    await page.getByText('An authenticator app is enrolled').waitFor();
    // The phone is gone: sign out, then in with a recovery code.
    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await heading(page, 'Sign in').waitFor();
    allow(editor, 401, 'POST', /^\/api\/v1\/sessions$/);
    await signIn(editor, EDITOR, { totpSecret: first.secret });
    await page.getByRole('button', { name: 'Lost your phone? Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(codes[0].toUpperCase());
    await checkLabels(page, 'sign-in with a recovery code');
    await shot(page, '26-sign-in-recovery-code');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading(page, 'BOMs').waitFor();
    await page.locator('#flash').getByText('Signed in with a recovery code').waitFor();
    editor.allowed.pop();

    // The Administrator resets the editor's two-step sign-in; the editor's session ends.
    const a = admin.page;
    await a.getByRole('link', { name: 'Users', exact: true }).click();
    await heading(a, 'Users').waitFor();
    await a.getByRole('button', { name: `Reset two-step sign-in of ${EDITOR}` }).click();
    const dlg = a.getByRole('dialog', { name: 'Reset two-step sign-in' });
    check(await dlg.getByRole('button', { name: 'Cancel' }).evaluate((b) => b === document.activeElement), 'Cancel has the focus');
    await shot(a, '27-admin-reset-mfa');
    await dlg.getByRole('button', { name: 'Reset two-step sign-in' }).click();
    await a.locator('#flash').getByText(`Two-step sign-in of ${EDITOR} was reset`).waitFor();
    // Everyone must use a second factor from now on: the editor's next sign-in may only enrol.
    await a.getByRole('link', { name: 'Settings', exact: true }).click();
    await a.getByLabel('Multi-factor authentication').selectOption('everyone');
    await a.getByRole('button', { name: 'Save settings' }).click();
    await a.getByText('Settings saved.').waitFor();

    allow(editor, 401, 'GET', /^\/api\/v1\//);
    await page.goto(BASE + '/#/boms');
    await page.reload();  // a fresh page asks who is signed in: nobody any more
    await heading(page, 'Sign in').waitFor();
    editor.allowed.pop();
    await signIn(editor, EDITOR, { enrolment: true });
    await heading(page, 'Account').waitFor();
    await page.locator('#enrol-first').waitFor();
    check((await page.locator('nav#nav a').allTextContents()).join(',') === 'Account', 'only the Account page is offered');
    await shot(page, '28-enrolment-only');
    await page.evaluate(() => { document.querySelector('main h1').dataset.stale = '1'; });
    await page.goto(BASE + '/#/boms');
    // Every page leads to the enrolment (a fresh render of it), not to "Something went wrong".
    await page.waitForFunction(() => {
      const h = document.querySelector('main h1');
      return location.hash === '#/account' && h && !h.dataset.stale && h.textContent === 'Account' &&
        document.querySelector('#enrol-first');
    });
    check(!(await page.getByText('Something went wrong').count()), 'no error page');
    const second = await enrolTotp(page, { after: first.at });
    await saveRecoveryCodes(page, null);
    await heading(page, 'Account').waitFor();
    await page.getByRole('link', { name: 'BOMs', exact: true }).waitFor();
    await page.getByText('An authenticator app is enrolled').waitFor();

    // Changing the password asks for the current one.
    allow(editor, 400, 'POST', /^\/api\/v1\/me\/password$/);
    await page.getByLabel('Current password').fill('not-my-password');
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD + '!');
    await page.getByLabel('New password again').fill(PASSWORD + '!');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('the current password is not correct').waitFor();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    editor.allowed.pop();
    await checkLabels(page, 'account with MFA');
    await shot(page, '29-account-password');

    // A new phone: re-enter the password, enrol the new one.
    await page.getByRole('button', { name: 'Move to a new phone…' }).click();
    const pw = page.getByRole('dialog', { name: 'Move to a new phone' });
    await pw.getByLabel('Your password').fill(PASSWORD + '!');
    await pw.getByRole('button', { name: 'Continue' }).click();
    await page.locator('#totp-secret').waitFor();
    const secret3 = (await page.locator('#totp-secret').textContent()).replace(/\s/g, '');
    check(secret3 !== second.secret, 'a new secret for the new phone');
    if (Date.now() / 1000 % 30 > 25) await sleep(6000);
    await page.getByLabel('Code from the app').fill(totpAt(secret3, await stepAfter(second.at)));
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();
    await saveRecoveryCodes(page, null);
    await page.getByText('An authenticator app is enrolled').waitFor();

    await a.getByLabel('Multi-factor authentication').selectOption('administrators');
    await a.getByRole('button', { name: 'Save settings' }).click();
    await a.getByText('Settings saved.').waitFor();
    const audit = await (await a.request.get(BASE + '/api/v1/audit?action=mfa.reset')).json();
    check(audit.entries.length === 1, 'the reset is audited');
  });

  await step('small screen: the BOM tree and the lists become cards', async () => {
    const mobile = await editor.context.newPage();
    await mobile.setViewportSize({ width: 390, height: 844 });
    mobile.on('pageerror', (e) => problems.push(`[mobile] page error: ${e.message}`));
    await mobile.goto(`${BASE}/#/boms/${encodeURIComponent(bomB)}`);
    await heading(mobile, 'Gearbox GBX-100 rev B').waitFor();
    await mobile.getByRole('treeitem').first().waitFor();
    const overflow = await mobile.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, `no sideways scrolling of the page (${overflow}px)`);
    const box = await mobile.getByRole('treeitem').first().boundingBox();
    check(box.height >= 50 && box.width <= 390, `tree rows are two-line cards (${box.width}×${box.height})`);
    const sideways = await mobile.locator('.vscroll').evaluate((e) => e.scrollWidth - e.clientWidth);
    check(sideways <= 1, `the tree does not scroll sideways (${sideways}px)`);
    await shot(mobile, '24-mobile-bom');
    await mobile.goto(`${BASE}/#/boms`);
    await heading(mobile, 'BOMs').waitFor();
    const card = await mobile.locator('table.boms tbody tr').first().boundingBox();
    check(card.width <= 390, 'BOM list rows are cards');
    check(await mobile.evaluate(() => document.documentElement.scrollWidth - window.innerWidth) <= 1, 'the list does not scroll sideways');
    await shot(mobile, '24b-mobile-boms');
    await mobile.close();
  });

  await step('dark mode and forced colours: the tree keeps open and closed rows apart', async () => {
    const page = await editor.context.newPage();
    page.on('pageerror', (e) => problems.push(`[dark] page error: ${e.message}`));
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${BASE}/#/boms/${encodeURIComponent(bomB)}`);
    await heading(page, 'Gearbox GBX-100 rev B').waitFor();
    await page.getByRole('treeitem').first().waitFor();
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(bg !== 'rgb(243, 245, 248)', `the dark theme applies (${bg})`);
    await shot(page, '30-dark-bom');
    await page.goto(`${BASE}/#/account`);
    await heading(page, 'Account').waitFor();
    await shot(page, '30b-dark-account');
    await page.emulateMedia({ colorScheme: 'light', forcedColors: 'active' });
    await page.goto(`${BASE}/#/boms/${encodeURIComponent(bomB)}`);
    await page.getByRole('treeitem').first().waitFor();
    const shaft = page.locator('[role=treeitem]:has(.pn:text-is("SHF-7"))');
    await shaft.locator('.chev-box').click();
    await until(async () => (await shaft.getAttribute('aria-expanded')) === 'false', 'the shaft to close');
    const marks = await page.evaluate(() => [...document.querySelectorAll('[role=treeitem][aria-expanded] .chev')]
      .map((c) => getComputedStyle(c, '::before').content));
    check(marks.includes('"▸"') && marks.includes('"▾"'), `open and closed rows differ without colour (${marks.join(' ')})`);
    await page.screenshot({ path: path.join(SHOTS, '31-forced-colors-bom.png'), fullPage: true });
    await page.close();
  });

  await step('admin opens Sources: adds a folder source, a REST API-key source and an OAuth one (secret write-only), pulls a dropped export into a BOM', async () => {
    const { page } = admin;
    const me = await page.evaluate(() => fetch('/api/v1/me').then((r) => r.json()));
    // The export job's drop: a real KiCad export from tests/corpus in DROP/<org id>/plm/released.
    const folder = path.join(process.env.BV_SOURCE_DIR, me.org_id, 'plm', 'released');
    fs.mkdirSync(folder, { recursive: true });
    fs.copyFileSync(new URL('../corpus/kicad/esp32-poe_pcbnew_bom.csv', import.meta.url), path.join(folder, 'esp32-poe.csv'));
    await page.getByRole('link', { name: 'Sources', exact: true }).click();
    await heading(page, 'Data sources').waitFor();
    await page.getByText('No data sources yet.').waitFor();
    await axeStrict(page, 'sources: empty (admin)');

    await page.getByRole('button', { name: 'Add a source…' }).click();
    let dlg = page.getByRole('dialog', { name: 'Add a data source' });
    await dlg.getByLabel('Tryton database').waitFor();
    await checkLabels(page, 'add source: tryton');
    await axeStrict(page, 'dialog: add a Tryton source');
    await dlg.getByLabel('Kind', { exact: true }).selectOption('folder');
    check(await dlg.getByLabel('Base URL').isHidden(), 'a folder has no base URL');
    await dlg.getByLabel('Name', { exact: true }).fill('PDM drop');
    await dlg.getByLabel('Folder', { exact: true }).fill('plm/released');
    await dlg.getByLabel('Import profile').selectOption('kicad-pcbnew');
    await axeStrict(page, 'dialog: add a folder source');
    await dlg.getByRole('button', { name: 'Add source' }).click();
    await dlg.waitFor({ state: 'detached' });
    const drop = page.locator('section.source[data-kind=folder]');
    await drop.getByRole('cell', { name: 'esp32-poe.csv', exact: true }).waitFor();
    check((await drop.locator('tbody tr').first().textContent()).includes('New'), 'the dropped file is new');

    await page.getByRole('button', { name: 'Add a source…' }).click();
    dlg = page.getByRole('dialog', { name: 'Add a data source' });
    await dlg.getByLabel('Kind', { exact: true }).selectOption('rest');
    await dlg.getByLabel('Authorization URL').waitFor();
    await checkLabels(page, 'add source: rest');
    await axeStrict(page, 'dialog: add a REST source (OAuth)');
    await dlg.getByLabel('Name', { exact: true }).fill('Parts API');
    await dlg.getByLabel('Base URL').fill(`${partsApi.base}/api`);
    await dlg.getByLabel(/^Internal/).check();
    await dlg.getByLabel('How users sign in').selectOption('api_key');
    check(await dlg.getByLabel('Client secret').isHidden(), 'API keys need no client secret');
    await dlg.getByRole('button', { name: 'Add source' }).click();
    await dlg.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Add a source…' }).click();
    dlg = page.getByRole('dialog', { name: 'Add a data source' });
    await dlg.getByLabel('Kind', { exact: true }).selectOption('rest');
    await dlg.getByLabel('Name', { exact: true }).fill('PLM');
    await dlg.getByLabel('Base URL').fill(`${partsApi.base}/plm`);
    await dlg.getByLabel(/^Internal/).check();
    await dlg.getByLabel('Authorization URL').fill(`${oidc.issuer}/auth`);
    await dlg.getByLabel('Token URL').fill(`${oidc.issuer}/token`);
    await dlg.getByLabel('Revocation URL (RFC 7009)').fill(`${oidc.issuer}/token/revocation`);
    await dlg.getByLabel('Client id').fill('bomvault');
    await dlg.getByLabel('Client secret').fill(PLANTED_SECRET);
    await dlg.getByLabel('Scopes').fill('openid boms');
    check((await dlg.getByText(`Register ${BASE}/ as the redirect URI`).count()) === 1, 'the form names the redirect URI to register');
    await dlg.getByRole('button', { name: 'Add source' }).click();
    await dlg.waitFor({ state: 'detached' });
    const plm = page.locator('section.source').filter({ has: page.getByRole('heading', { name: /^PLM/ }) });
    await plm.getByText('OAuth 2.0').waitFor();
    // The secret is never shown back: the change form's field is empty and says one is kept.
    await plm.getByRole('button', { name: 'Change PLM' }).click();
    dlg = page.getByRole('dialog', { name: 'Change “PLM”' });
    await dlg.getByText('A secret is stored; leave empty to keep it.').waitFor();
    check((await dlg.getByLabel('Client secret').inputValue()) === '', 'the secret field is empty');
    check(!(await page.content()).includes(PLANTED_SECRET), 'the secret is nowhere in the page');
    check(await dlg.getByLabel('Kind', { exact: true }).isDisabled(), 'the kind is fixed');
    await axeStrict(page, 'dialog: change a REST source');
    await dlg.getByLabel('Scopes').fill('openid boms offline_access');
    await dlg.getByRole('button', { name: 'Save changes' }).click();
    await dlg.waitFor({ state: 'detached' });
    const saved = await page.evaluate((id) => fetch(`/api/v1/sources/${id}`).then((r) => r.json()), await plm.getAttribute('data-id'));
    check(saved.scopes === 'openid boms offline_access' && saved.client_secret_set === true, `an empty secret field kept the secret (${JSON.stringify(saved)})`);

    // Pull the dropped file: a job with a progress bar, then the BOM.
    await drop.getByRole('button', { name: 'Pull esp32-poe.csv' }).click();
    await page.getByText('Pulled 81 items.').waitFor({ timeout: 20000 });
    await checkLabels(page, 'sources (admin)');
    await shot(page, '32-sources-admin');
    await axeStrict(page, 'sources (admin)');
    await drop.getByRole('cell', { name: 'Pulled', exact: true }).waitFor();
    await page.getByRole('link', { name: 'Open the BOM' }).click();
    await heading(page, 'esp32-poe').waitFor();
    await page.getByRole('treeitem').first().waitFor();
    check(await page.getByRole('button', { name: 'Refresh…' }).count() === 1, 'a pulled BOM offers Refresh');
  });

  await step('editor on Sources sees only id, name and kind; connects with an API key, pulls, refreshes, cancels, sends and disconnects', async () => {
    const { page } = editor;
    const listed = page.waitForResponse((r) => r.url().endsWith('/api/v1/sources') && r.request().method() === 'GET');
    await page.getByRole('link', { name: 'Sources', exact: true }).click();
    await heading(page, 'Data sources').waitFor();
    const list = await (await listed).json();
    check(list.sources.length === 3 && list.sources.every((s) => Object.keys(s).sort().join() === 'connected,id,kind,name'),
      `an Editor gets id, name, kind and connected only (${JSON.stringify(list)})`);
    await page.locator('section.source[data-kind=folder] tbody tr').first().waitFor();
    const html = await page.content();
    for (const planted of [PLANTED_SECRET, partsApi.base, oidc.issuer, 'plm/released', 'openid boms', 'kicad-pcbnew']) {
      check(!html.includes(planted), `the Editor's page does not show ${planted}`);
    }
    check(!(await page.getByRole('button', { name: /^Change |^Delete |Add a source/ }).count()), 'no administration for an Editor');
    await axeStrict(page, 'sources (editor)');

    // Connect asks the server what to enter (a 400 credentials_required answer by design).
    allow(editor, 400, 'PUT', /^\/api\/v1\/sources\/[^/]+\/connection$/);
    await page.getByRole('button', { name: 'Connect to Parts API' }).click();
    const dlg = page.getByRole('dialog', { name: 'Connect to Parts API' });
    await dlg.getByLabel('API key', { exact: true }).waitFor();
    check(!(await dlg.getByLabel('Password').count()), 'an API-key source asks for the key only');
    await checkLabels(page, 'connect dialog');
    await axeStrict(page, 'dialog: connect with an API key');
    await dlg.getByLabel('API key', { exact: true }).fill(PARTS_KEY);
    await dlg.getByRole('button', { name: 'Connect' }).click();
    await dlg.waitFor({ state: 'detached' });
    const parts = page.locator('section.source').filter({ has: page.getByRole('heading', { name: /^Parts API/ }) });
    await parts.getByText('You are connected with your own credentials.').waitFor();
    // An OAuth source starts with the same question; it answers "oauth" (the browser would leave
    // for the provider's sign-in, which the integration tests drive against oidc-provider).
    const probe = await page.evaluate((id) => fetch(`/api/v1/sources/${id}/connection`, {
      method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-Bomvault-Csrf': '1' }, body: '{}',
    }).then((r) => r.json()), list.sources.find((s) => s.name === 'PLM').id);
    check(probe.error.needs === 'oauth' && !JSON.stringify(probe).includes(partsApi.base), `the probe says oauth and nothing else (${JSON.stringify(probe)})`);

    // Pull from… a record of the REST source, with the editor's own key.
    await page.getByRole('button', { name: 'Pull from…' }).click();
    let pd = page.getByRole('dialog', { name: 'Pull a BOM from a source' });
    await pd.getByLabel('Source', { exact: true }).selectOption({ label: 'Parts API (rest)' });
    await pd.getByLabel('Record id at the source').fill('mtr-1');
    await axeStrict(page, 'dialog: pull from a source');
    await pd.getByRole('button', { name: 'Pull', exact: true }).click();
    await pd.getByText('Pulled 4 items.').waitFor({ timeout: 20000 });
    check(partsApi.keys.every((k) => k === PARTS_KEY) && partsApi.keys.length >= 1, 'the source saw the editor\'s own key');
    // Cancel: a record the source answers slowly; the progress bar's Cancel ends the job.
    await pd.getByLabel('Record id at the source').fill('slow');
    await pd.getByRole('button', { name: 'Pull', exact: true }).click();
    await pd.getByRole('progressbar').waitFor();
    await pd.getByRole('button', { name: 'Cancel', exact: true }).click();
    await pd.getByText('The pull was cancelled.').waitFor({ timeout: 20000 });
    await pd.getByRole('link', { name: 'Open the BOM' }).waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await pd.waitFor({ state: 'detached' });

    await page.getByRole('link', { name: 'BOMs', exact: true }).click();
    await heading(page, 'BOMs').waitFor();
    await page.getByRole('link', { name: 'Motor', exact: true }).click();
    await heading(page, 'Motor').waitFor();
    // Refresh: the source changed a quantity; a new revision with the change counted.
    partsApi.boms['mtr-1'].items[3].quantity = 10;
    await page.getByRole('button', { name: 'Refresh…' }).click();
    const rd = page.getByRole('dialog', { name: 'Refresh “Motor”' });
    await rd.getByRole('button', { name: 'Refresh now' }).click();
    await rd.getByText('Revision 2: 0 added, 0 removed, 1 changed.').waitFor({ timeout: 20000 });
    await axeStrict(page, 'dialog: refresh');
    await rd.getByRole('button', { name: 'Done' }).click();
    await rd.waitFor({ state: 'detached' });
    // Send to… the same source: it gets a new record.
    await page.getByRole('button', { name: 'Send to…' }).click();
    const sd = page.getByRole('dialog', { name: 'Send “Motor”' });
    await sd.getByLabel('Source', { exact: true }).selectOption({ label: 'Parts API (rest)' });
    await axeStrict(page, 'dialog: send to a source');
    await sd.getByRole('button', { name: 'Send' }).click();
    // It came from record mtr-1, so the send updates that record (PUT), with the editor's key.
    await sd.getByText('Sent: it is record mtr-1 in Parts API.').waitFor({ timeout: 20000 });
    check(partsApi.writes.join() === 'PUT /api/boms/mtr-1', `the source received the BOM (${partsApi.writes.join()})`);
    await page.keyboard.press('Escape');

    await page.getByRole('link', { name: 'Sources', exact: true }).click();
    await heading(page, 'Data sources').waitFor();
    await shot(page, '33-sources-editor');
    await parts.getByRole('button', { name: 'Disconnect from Parts API' }).click();
    await page.getByRole('dialog', { name: 'Disconnect from Parts API?' }).getByRole('button', { name: 'Disconnect' }).click();
    await parts.getByText('You are not connected.').waitFor();
    editor.allowed.pop();
  });

  await step('editor connects to an OAuth source: signs in at the provider, comes back, pulls with that token, disconnects (revoked); then with client credentials', async () => {
    const { page } = editor;
    allow(editor, 400, 'PUT', /^\/api\/v1\/sources\/[^/]+\/connection$/);
    const plm = page.locator('section.source').filter({ has: page.getByRole('heading', { name: /^PLM/ }) });
    await plm.getByRole('button', { name: 'Connect to PLM' }).click();
    // The provider's own sign-in and consent pages (oidc-provider's development interactions).
    await page.waitForURL((u) => u.origin === oidc.issuer);
    await page.locator('input[name=login]').fill('alice');
    await page.locator('input[name=password]').fill('any');
    await page.locator('button[type=submit]').click();
    await page.locator('button[type=submit]', { hasText: 'Continue' }).click();
    // Back here: the code leaves the address at once and the connection is made.
    await heading(page, 'Data sources').waitFor();
    await plm.getByText('You are connected with your own credentials.').waitFor();
    await page.locator('#flash').getByText('Connected to PLM').waitFor();
    check(page.url() === `${BASE}/#/sources`, `the code and state are gone from the address (${page.url()})`);
    check(await page.evaluate(() => !history.state && !location.search), 'nothing of the sign-in is left in the history entry');
    await axeStrict(page, 'sources: back from the OAuth sign-in');

    await page.getByRole('button', { name: 'Pull from…' }).click();
    const pd = page.getByRole('dialog', { name: 'Pull a BOM from a source' });
    await pd.getByLabel('Source', { exact: true }).selectOption({ label: 'PLM (rest)' });
    await pd.getByLabel('Record id at the source').fill('mtr-1');
    await pd.getByRole('button', { name: 'Pull', exact: true }).click();
    await pd.getByText('Pulled 4 items.').waitFor({ timeout: 20000 });
    check(oidc.subjects.length >= 1 && oidc.subjects.every((s) => s === 'alice'), `the source saw alice's token only (${oidc.subjects.join()})`);
    await page.keyboard.press('Escape');
    await pd.waitFor({ state: 'detached' });

    const last = oidc.tokens[oidc.tokens.length - 1];
    check((await introspect(last)).active === true, 'the token is live while connected');
    await plm.getByRole('button', { name: 'Disconnect from PLM' }).click();
    await page.getByRole('dialog', { name: 'Disconnect from PLM?' }).getByRole('button', { name: 'Disconnect' }).click();
    await plm.getByText('You are not connected.').waitFor();
    check((await introspect(last)).active === false, 'disconnecting revoked the token at the provider');

    // Client credentials: the user's own OAuth client, exchanged for a token at once.
    const made = await admin.page.evaluate((b) => fetch('/api/v1/sources', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Bomvault-Csrf': '1' },
      body: JSON.stringify({ name: 'Machine API', kind: 'rest', base_url: `${b.api}/plm`, internal: true, auth_method: 'client_credentials',
        token_url: `${b.issuer}/token`, scopes: 'openid offline_access boms' }),
    }).then((r) => r.status), { api: partsApi.base, issuer: oidc.issuer });
    check(made === 201, `the admin made a client-credentials source (${made})`);
    await page.reload();
    await heading(page, 'Data sources').waitFor();
    const machine = page.locator('section.source').filter({ has: page.getByRole('heading', { name: /^Machine API/ }) });
    await machine.getByRole('button', { name: 'Connect to Machine API' }).click();
    const cd = page.getByRole('dialog', { name: 'Connect to Machine API' });
    await cd.getByLabel('Client id').fill('bomvault');
    await cd.getByLabel('Client secret').fill('not-the-secret');
    await axeStrict(page, 'dialog: connect with client credentials');
    allow(editor, 422, 'PUT', /^\/api\/v1\/sources\/[^/]+\/connection$/);
    await cd.getByRole('button', { name: 'Connect' }).click();
    await cd.getByRole('alert').waitFor();
    check((await cd.getByLabel('Client secret').inputValue()) === '', 'a refused secret is cleared from the field');
    await cd.getByLabel('Client secret').fill(PLANTED_SECRET);
    await cd.getByRole('button', { name: 'Connect' }).click();
    await cd.waitFor({ state: 'detached' });
    await machine.getByText('You are connected with your own credentials.').waitFor();
    editor.allowed.pop();
    editor.allowed.pop();
  });

  await step('viewer on Sources: no pulls and no administration; connects with a user name and password, then disconnects', async () => {
    const made = await admin.page.evaluate((base) => fetch('/api/v1/sources', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Bomvault-Csrf': '1' },
      body: JSON.stringify({ name: 'Supplier portal', kind: 'rest', base_url: `${base}/portal`, internal: true, auth_method: 'basic' }),
    }).then((r) => r.status), partsApi.base);
    check(made === 201, `the admin made a basic-auth source (${made})`);
    const { page } = viewer;
    await page.goto(BASE + '/#/sources');
    await heading(page, 'Data sources').waitFor();
    const portal = page.locator('section.source').filter({ has: page.getByRole('heading', { name: /^Supplier portal/ }) });
    await portal.waitFor();
    check(!(await page.getByRole('button', { name: /^Pull|^Change |^Delete |Add a source/ }).count()), 'a Viewer neither pulls nor administers');
    check(!(await page.locator('table.source-files').count()), 'a Viewer gets no file list');
    check(!(await page.content()).includes(partsApi.base), 'no base URL on the Viewer\'s page');
    allow(viewer, 400, 'PUT', /^\/api\/v1\/sources\/[^/]+\/connection$/);
    await portal.getByRole('button', { name: 'Connect to Supplier portal' }).click();
    const dlg = page.getByRole('dialog', { name: 'Connect to Supplier portal' });
    await dlg.getByLabel('User name').waitFor();
    check(!(await dlg.getByLabel('API key', { exact: true }).count()), 'a basic source asks for a user name and password');
    await checkLabels(page, 'connect with a password');
    await axeStrict(page, 'dialog: connect with a password');
    await dlg.getByLabel('User name').fill('vera');
    await dlg.getByLabel('Password', { exact: true }).fill('portal-password-e2e-41c');
    await dlg.getByRole('button', { name: 'Connect' }).click();
    await dlg.waitFor({ state: 'detached' });
    await portal.getByText('You are connected with your own credentials.').waitFor();
    await axeStrict(page, 'sources (viewer)');
    await portal.getByRole('button', { name: 'Disconnect from Supplier portal' }).click();
    await page.getByRole('dialog', { name: 'Disconnect from Supplier portal?' }).getByRole('button', { name: 'Disconnect' }).click();
    await portal.getByText('You are not connected.').waitFor();
    viewer.allowed.pop();
  });

  await step('operator sees the support grant and seals the vault from the UI', async () => {
    const { page } = op;
    await page.getByRole('link', { name: 'Organisations', exact: true }).click();
    await heading(page, 'Organisations').waitFor();
    await page.getByRole('cell', { name: /^until / }).waitFor();
    await page.getByRole('link', { name: 'Seal', exact: true }).click();
    await page.getByRole('button', { name: 'Seal the vault now' }).click();
    await page.getByRole('dialog').last().waitFor();
    await axeCheck(page, 'dialog: Seal now');
    await page.getByRole('dialog').getByRole('button', { name: 'Seal now' }).click();
    await heading(page, 'The vault is sealed').waitFor();
    await shot(page, '25-sealed-again');
    const h = await (await fetch(BASE + '/api/v1/health')).json();
    check(h.sealed === true, 'the server reports sealed');
  });
}

let crashed = false;
try {
  await main();
} catch (e) {
  crashed = true;
  console.log(`e2e crashed: ${e && e.stack || e}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (oidc.proc) oidc.proc.kill();
}
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed + (crashed ? 1 : 0);
if (failed && process.env.BV_SERVER_LOG) {
  try {
    const log = fs.readFileSync(process.env.BV_SERVER_LOG, 'utf8').trim().split('\n').slice(-15);
    console.log('--- last server log lines ---\n' + log.join('\n'));
  } catch { /* no log */ }
}
const axeSerious = axeChecked.reduce((a, x) => a + x.serious, 0);
console.log(`axe-core ${JSON.parse(fs.readFileSync(new URL('./node_modules/axe-core/package.json', import.meta.url), 'utf8')).version}: ` +
  `${axeChecked.length} pages and dialogs checked, ${axeSerious} serious or critical violations, ` +
  `${axeChecked.reduce((a, x) => a + x.violations, 0)} violations of any impact`);
console.log(`screenshots: ${SHOTS}`);
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
