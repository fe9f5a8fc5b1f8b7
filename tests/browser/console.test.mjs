// The operator console in headless Chromium: staff made with the real CLI
// (`tern admin create`); a support agent finds a traveller's account and
// is refused the wallet adjustment (a 403 page), and a finance agent
// makes one that shows in the account's ledger.
//
// Run through scripts/browser-tests (TERN_URL, TERN_DATA_DIR, TERN_BIN).
// Screenshots land in tests/browser/artifacts/40-*.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BASE_URL, DATA_DIR, TERN_BIN, launch, mobileContext, shot, signUpVerifySignIn, uniqueEmail } from './lib.mjs';

const PASSWORD = 'correct horse battery staple';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Creates a staff account with the real CLI against the server's database. */
async function createStaff(email, role) {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'tern-staff-'));
  try {
    const env = { ...process.env, TERN_DATA_DIR: DATA_DIR, TERN_CONFIG: join(dir, 'none.toml'), TERN_ADMIN_PASSWORD: PASSWORD };
    if (!env.TERN_DATABASE_URL) delete env.TERN_DATABASE_URL;
    await promisify(execFile)(TERN_BIN, ['admin', 'create', '--email', email, '--role', role], {
      env,
      cwd: dir,
      timeout: 60000,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function signIn(page, email) {
  await page.goto(`${BASE_URL}/login?next=/admin`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== '/login'),
    page.locator('main').getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
}

/** Searches the console for `q` and opens the only result. */
async function openAccount(page, q) {
  await page.goto(`${BASE_URL}/admin/accounts`);
  await page.getByLabel('Find an account').fill(q);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Search' }).click()]);
  const link = page.locator('main ul a', { hasText: q });
  assert.equal(await link.count(), 1);
  await Promise.all([page.waitForNavigation(), link.click()]);
  assert.match(new URL(page.url()).pathname, /^\/admin\/accounts\/[^/]+$/);
  return page.url();
}

describe('operator console', () => {
  test('a support user is refused a finance action; finance adjusts the wallet', async () => {
    const traveller = uniqueEmail('console-traveller');
    const support = uniqueEmail('console-support');
    const finance = uniqueEmail('console-finance');
    await createStaff(support, 'support');
    await createStaff(finance, 'finance');

    const travellerCtx = await mobileContext(browser);
    await signUpVerifySignIn(await travellerCtx.newPage(), { email: traveller, password: PASSWORD });
    await travellerCtx.close();

    // Support: the console without the money links, the account without
    // the adjustment form, and a 403 page when posting it anyway.
    const supportCtx = await mobileContext(browser);
    const sp = await supportCtx.newPage();
    await signIn(sp, support);
    assert.equal(new URL(sp.url()).pathname, '/admin');
    const nav = sp.getByRole('navigation', { name: 'Operator console' });
    assert.equal(await nav.getByRole('link', { name: 'Closures' }).count(), 1);
    assert.equal(await nav.getByRole('link', { name: 'Payouts' }).count(), 0);
    const accountUrl = await openAccount(sp, traveller);
    assert.equal(await sp.getByLabel('Reason').count(), 0, 'no adjustment form for support');
    await shot(sp, '40-console-support-account');
    const accountPath = new URL(accountUrl).pathname;
    // The form a finance user would post, sent from support's session
    // with its own CSRF token (as a crafted page would): the server refuses.
    const [response] = await Promise.all([
      sp.waitForNavigation(),
      sp.evaluate((path) => {
        const csrf = document.querySelector('input[name="csrf"]').value;
        const f = document.createElement('form');
        f.method = 'post';
        f.action = `${path}/wallet-adjustments`;
        for (const [k, v] of Object.entries({ csrf, amount: '5.00', bucket: 'cash', reason: 'support tries' })) {
          const i = document.createElement('input');
          i.type = 'hidden';
          i.name = k;
          i.value = v;
          f.appendChild(i);
        }
        document.body.appendChild(f);
        f.submit();
      }, accountPath),
    ]);
    assert.equal(response.status(), 403);
    assert.match(await sp.locator('main').innerText(), /does not allow this/);
    await shot(sp, '41-console-support-refused');
    await supportCtx.close();

    // Finance: the form is there; the credit shows in the ledger.
    const financeCtx = await mobileContext(browser);
    const fp = await financeCtx.newPage();
    await signIn(fp, finance);
    await openAccount(fp, traveller);
    await fp.getByLabel('Amount (USD)').fill('7.25');
    await fp.getByLabel('Balance').selectOption('cash');
    await fp.getByLabel('Reason').fill('Goodwill credit after a network outage');
    await Promise.all([fp.waitForNavigation(), fp.getByRole('button', { name: 'Adjust' }).click()]);
    assert.match(await fp.locator('[role="status"]').innerText(), /wallet was adjusted/);
    const ledger = await fp.locator('#ledger').innerText();
    assert.match(ledger, /adjustment/);
    assert.match(ledger, /7\.25/);
    assert.match(await fp.locator('main').innerText(), /Goodwill credit after a network outage/);
    // A debit past the balance is refused beside the form, in words.
    await fp.getByLabel('Amount (USD)').fill('-100.00');
    await fp.getByLabel('Reason').fill('too much');
    await Promise.all([fp.waitForNavigation(), fp.getByRole('button', { name: 'Adjust' }).click()]);
    assert.match(await fp.locator('[role="alert"]').innerText(), /cannot go below zero/);
    await shot(fp, '42-console-finance-adjusted');
    await financeCtx.close();
  });
});
