// Re-authentication through the UI in Debian's chromium (playwright-core): the server runs with a
// short window (--reauth-window), so deleting a BOM some seconds after signing in is refused with
// reauth_required; the UI then asks "Confirm it is you" in a modal dialog, a wrong password shows
// an error in it, the right one closes it and the delete is sent again and completes. axe-core
// checks the dialog (every violation counts). Run by tests/integration/test_reauth.py with BV_BASE,
// BV_EMAIL, BV_PASSWORD, BV_BOM (a BOM the user owns), BV_WINDOW (the server's window, seconds)
// and BV_SCREENSHOTS; exits non-zero on any failed check, page error or console error.
import { chromium } from 'playwright-core';
import fs from 'node:fs';

const { BV_BASE: BASE, BV_EMAIL: EMAIL, BV_PASSWORD: PASSWORD, BV_BOM: BOM } = process.env;
const WINDOW = Number(process.env.BV_WINDOW || '3');
const SHOTS = process.env.BV_SCREENSHOTS || 'build/screenshots';
fs.mkdirSync(SHOTS, { recursive: true });
const AXE = fs.readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const problems = [];
const check = (ok, text) => { if (!ok) problems.push(text); };
try {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // The refusals this test provokes (403, 400) are logged by Chromium as failed loads.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  const bomStatus = () => page.evaluate(async (id) => (await fetch(`/api/v1/boms/${id}`)).status, BOM);

  await page.goto(`${BASE}/#/sign-in`);
  await page.getByLabel('E-mail address').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'BOMs', exact: true }).waitFor({ timeout: 20000 });
  await page.goto(`${BASE}/#/boms/${BOM}`);
  await page.getByRole('button', { name: 'Delete…' }).waitFor({ timeout: 20000 });
  // Let the sign-in's proof grow older than the window.
  await page.waitForTimeout((WINDOW + 1) * 1000);
  await page.getByRole('button', { name: 'Delete…' }).click();
  await page.getByRole('dialog', { name: 'Delete BOM' }).getByRole('button', { name: 'Delete for good' }).click();

  // After the undo delay the DELETE is refused and the dialog asks who we are.
  const dlg = page.getByRole('dialog', { name: 'Confirm it is you' });
  await dlg.waitFor({ timeout: 30000 });
  check(await dlg.getByLabel('Password').evaluate((e) => e === document.activeElement), 'the password field has no focus');
  await page.evaluate(AXE);
  const axe = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  check(axe.violations.length === 0, `dialog: Confirm it is you: axe finds ${axe.violations.map((v) => `${v.impact} ${v.id}`).join(', ')}`);
  await page.screenshot({ path: `${SHOTS}/reauth-dialog.png` });
  check((await bomStatus()) === 200, 'the BOM went before the user re-authenticated');

  await dlg.getByLabel('Password').fill('not-the-password-9');
  await dlg.getByRole('button', { name: 'Confirm' }).click();
  await dlg.getByRole('alert').filter({ hasText: 'password is not correct' }).waitFor({ timeout: 20000 });
  await page.screenshot({ path: `${SHOTS}/reauth-wrong-password.png` });
  check(await dlg.isVisible(), 'the dialog closed on a wrong password');
  check((await bomStatus()) === 200, 'the BOM went after a wrong password');

  await dlg.getByLabel('Password').fill(PASSWORD);
  await dlg.getByRole('button', { name: 'Confirm' }).click();
  await dlg.waitFor({ state: 'detached', timeout: 20000 });
  // The original request is sent once more, and this time it goes through.
  await page.locator('#flash', { hasText: 'was deleted' }).waitFor({ timeout: 20000 });
  check((await bomStatus()) === 404, 'the BOM is still there after re-authenticating');
} catch (e) {
  problems.push(String(e && e.stack || e));
} finally {
  await browser.close();
}
for (const p of problems) console.log(p);
console.log(problems.length ? 'reauth e2e: FAILED' : 'reauth e2e: ok');
process.exit(problems.length ? 1 : 0);
