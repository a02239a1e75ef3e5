// Single sign-on through the UI in Debian's chromium (playwright-core): the sign-in page's
// "Sign in with <provider>" button, the provider's own login and consent pages, back to the signed
// in UI, then "Sign out", which ends the provider's session too (RP-initiated logout).
// Run by tests/integration/test_sso.py with BV_BASE, BV_ORG, BV_LOGIN, BV_PASSWORD, BV_ISSUER and
// BV_SCREENSHOTS; exits non-zero on any failed check, page error or console error.
import { chromium } from 'playwright-core';
import fs from 'node:fs';

const { BV_BASE: BASE, BV_ORG: ORG, BV_LOGIN: LOGIN, BV_PASSWORD: PASSWORD, BV_ISSUER: ISSUER } = process.env;
const SHOTS = process.env.BV_SCREENSHOTS || 'build/screenshots';
fs.mkdirSync(SHOTS, { recursive: true });

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const problems = [];
try {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && page.url().startsWith(BASE) && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${BASE}/#/sign-in?org=${ORG}`);
  const button = page.locator('#sso-sign-in');
  await button.waitFor({ timeout: 20000 });
  const text = await button.textContent();
  if (text !== 'Sign in with Acme ID') problems.push(`button says ${text}`);
  await page.screenshot({ path: `${SHOTS}/sso-sign-in.png` });
  await button.click();
  await page.waitForURL((u) => u.href.startsWith(ISSUER), { timeout: 20000 });
  await page.fill('input[name=login]', LOGIN);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Consent', { timeout: 20000 });
  await page.click('button[type=submit]');
  await page.waitForURL((u) => u.href.startsWith(BASE), { timeout: 20000 });
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 20000 });
  const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
  if (!me.email || me.org_id !== ORG) problems.push(`not signed in: ${JSON.stringify(me)}`);
  await page.screenshot({ path: `${SHOTS}/sso-signed-in.png` });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((u) => u.href.startsWith(ISSUER), { timeout: 20000 });
  await page.click('button[name=logout]');
  await page.waitForURL((u) => u.href.startsWith(BASE), { timeout: 20000 });
  const after = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
  if (after !== 401) problems.push(`still signed in after sign-out: ${after}`);
} catch (e) {
  problems.push(String(e && e.stack || e));
} finally {
  await browser.close();
}
for (const p of problems) console.log(p);
console.log(problems.length ? 'sso e2e: FAILED' : 'sso e2e: ok');
process.exit(problems.length ? 1 : 0);
