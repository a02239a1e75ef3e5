// Passkeys through the UI in Debian's chromium (playwright-core), with the DevTools protocol's
// virtual authenticator (CTAP2, resident keys, user verification): add a passkey on the Account
// page, sign in with it alone (passwordless), sign in with the password and the passkey as the
// second factor, then copy the credential (WebAuthn.getCredentials) onto a fresh authenticator
// with a lower signature counter (WebAuthn.addCredential): that clone must be refused.
// Run by tests/integration/test_passkeys.py with BV_BASE (an http://localhost:PORT origin, the
// server's --public-url), BV_EMAIL, BV_PASSWORD and BV_SCREENSHOTS; exits non-zero on any failed
// check, page error or console error.
import { chromium } from 'playwright-core';
import fs from 'node:fs';

const { BV_BASE: BASE, BV_EMAIL: EMAIL, BV_PASSWORD: PASSWORD } = process.env;
const SHOTS = process.env.BV_SCREENSHOTS || 'build/screenshots';
fs.mkdirSync(SHOTS, { recursive: true });

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const problems = [];
const check = (ok, text) => { if (!ok) problems.push(text); };
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // The refusals this test provokes answer 401/409, which Chromium logs as failed loads.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const authenticator = async () => (await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true,
    },
  })).authenticatorId;
  const first = await authenticator();

  const me = () => page.evaluate(async () => { const r = await fetch('/api/v1/me'); return { status: r.status, body: await r.json() }; });
  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.locator('#passkey-sign-in').waitFor({ timeout: 20000 });
    check((await me()).status === 401, 'still signed in after signing out');
  };
  const signedIn = () => page.getByRole('button', { name: 'Sign out', exact: true }).waitFor({ timeout: 20000 });

  // 1. Password sign-in, then add a passkey on the Account page.
  await page.goto(`${BASE}/#/sign-in`);
  await page.locator('#passkey-sign-in').waitFor({ timeout: 20000 });
  await page.screenshot({ path: `${SHOTS}/passkey-sign-in.png` });
  await page.fill('input[name=email]', EMAIL);
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await signedIn();
  await page.goto(`${BASE}/#/account`);
  await page.locator('#passkeys').waitFor({ timeout: 20000 });
  await page.fill('input[name=passkey_name]', 'Chromium virtual key');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.locator('#passkey-list td', { hasText: 'Chromium virtual key' }).waitFor({ timeout: 20000 });
  await page.screenshot({ path: `${SHOTS}/passkey-account.png` });
  const registered = (await cdp.send('WebAuthn.getCredentials', { authenticatorId: first })).credentials;
  check(registered.length === 1 && registered[0].isResidentCredential, `registered: ${JSON.stringify(registered.map((c) => c.rpId))}`);

  // Rename it through the dialog.
  await page.getByRole('button', { name: 'Rename passkey Chromium virtual key' }).click();
  await page.fill('dialog input[name=new_name]', 'Virtual key');
  await page.locator('dialog').getByRole('button', { name: 'Save' }).click();
  await page.locator('#passkey-list td', { hasText: 'Virtual key' }).waitFor({ timeout: 20000 });
  await signOut();

  // 2. Passwordless.
  await page.locator('#passkey-sign-in').click();
  await signedIn();
  let who = await me();
  check(who.status === 200 && who.body.email === EMAIL, `passwordless: ${JSON.stringify(who)}`);
  await signOut();

  // 3. Password, then the passkey as the second factor.
  await page.fill('input[name=email]', EMAIL);
  await page.fill('input[name=password]', PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#passkey-second-factor').waitFor({ timeout: 20000 });
  await page.screenshot({ path: `${SHOTS}/passkey-second-factor.png` });
  await page.locator('#passkey-second-factor').click();
  await signedIn();
  who = await me();
  check(who.status === 200 && who.body.email === EMAIL && who.body.passkeys === 1, `second factor: ${JSON.stringify(who)}`);
  await signOut();

  // 4. The clone: the same credential on a fresh authenticator, its counter behind.
  const [cred] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId: first })).credentials;
  check(cred.signCount >= 2, `the virtual authenticator's counter is ${cred.signCount}`);
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: first });
  const clone = await authenticator();
  await cdp.send('WebAuthn.addCredential', { authenticatorId: clone, credential: { ...cred, signCount: 0 } });
  await page.locator('#passkey-sign-in').click();
  const refusal = page.locator('[role=alert], .error', { hasText: 'copied' });
  await refusal.first().waitFor({ timeout: 20000 });
  await page.screenshot({ path: `${SHOTS}/passkey-clone-refused.png` });
  check((await me()).status === 401, 'the clone signed in');
} catch (e) {
  problems.push(String(e && e.stack || e));
} finally {
  await browser.close();
}
for (const p of problems) console.log(p);
console.log(problems.length ? 'passkeys e2e: FAILED' : 'passkeys e2e: ok');
process.exit(problems.length ? 1 : 0);
