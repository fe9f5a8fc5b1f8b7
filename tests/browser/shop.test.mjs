// The traveller's shop story in headless Chromium on a phone: a voucher
// issued with the real CLI, redeemed in the wallet, a plan bought, the
// eSIM provisioned, shown with its QR code and "installed" through the
// built-in SM-DP+ emulator; and a double-submitted order buying once.
//
// Run through scripts/browser-tests, which starts a fresh server and sets
// TERN_URL, TERN_DATA_DIR and TERN_BIN. Screenshots land in
// tests/browser/artifacts/20-*.png.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL,
  issueVouchers,
  networkKey,
  launch,
  mobileContext,
  shot,
  signUpVerifySignIn,
  uniqueEmail,
} from './lib.mjs';

const PASSWORD = 'correct horse battery staple';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The page's single h1, as text. */
async function h1(page) {
  return (await page.locator('h1').innerText()).trim();
}

/** The text of the page's notice (role=status), trimmed. */
async function notice(page) {
  return (await page.locator('main [role=status]').first().innerText()).trim();
}

/** Asserts the page does not scroll sideways (see portal.test.mjs). */
async function assertNoSidewaysScroll(page) {
  const { scroll, view } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    view: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= view, `${new URL(page.url()).pathname}: ${scroll}px wide in a ${view}px viewport`);
}

/** Signs up a new traveller and fills the wallet with one voucher. */
async function travellerWithVoucher(page, tag, value = '20.00') {
  const email = uniqueEmail(tag);
  await signUpVerifySignIn(page, { email, password: PASSWORD, name: 'Ada Traveller' });
  assert.equal(new URL(page.url()).pathname, '/account', 'signed in');
  const [code] = await issueVouchers({ value, currency: 'USD', count: 1 });
  assert.match(code, /^[A-Z0-9-]{8,}$/, `voucher code from the CSV: ${code}`);
  return { email, code };
}

async function redeem(page, code) {
  await page.goto(`${BASE_URL}/wallet`);
  await page.getByLabel('Voucher code').fill(code);
  await Promise.all([
    page.waitForURL(/\/wallet\?notice=voucher_redeemed/),
    page.getByRole('button', { name: 'Redeem', exact: true }).click(),
  ]);
}

/** The order lines under the "Orders" heading on /esims. */
function orderLines(page) {
  return page.locator('main h2:has-text("Orders") + ul > li');
}

describe('shop story (mobile)', () => {
  test('voucher, wallet, plan, pay, eSIM ready, simulated install, Chinese', async (t) => {
    const context = await mobileContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();

    // 1. Sign up, verify, sign in; an operator issues a voucher with the CLI.
    const { code } = await travellerWithVoucher(page, 'shop');

    // 2. Redeem the voucher on the wallet page.
    let res = await page.goto(`${BASE_URL}/wallet`);
    assert.equal(res.status(), 200);
    assert.equal(await h1(page), 'Wallet');
    assert.equal((await page.locator('main .price').innerText()).trim(), '0.00 USD');
    assert.ok(await page.getByText('Nothing yet.').isVisible(), 'empty history');
    await assertNoSidewaysScroll(page);
    await shot(page, '20-01-wallet-empty');
    // Codes are typed by hand: lower case and spaces must not matter.
    await redeem(page, code.toLowerCase().replace(/-/g, ' '));
    assert.equal(await notice(page), 'The voucher is added to your wallet.');
    assert.equal((await page.locator('main .price').innerText()).trim(), '20.00 USD');
    const history = page.locator('section[aria-labelledby=history-h] li');
    assert.equal(await history.count(), 1);
    assert.match(await history.first().innerText(), /Voucher redeemed/);
    assert.match(await history.first().innerText(), /20\.00 USD/);
    await assertNoSidewaysScroll(page);
    await shot(page, '20-02-wallet-redeemed');

    // The same code twice is refused, next to the field.
    await page.getByLabel('Voucher code').fill(code);
    await page.getByRole('button', { name: 'Redeem', exact: true }).click();
    await page.waitForLoadState('load');
    assert.equal(
      await page.getByLabel('Voucher code').getAttribute('aria-invalid'),
      'true',
      'a used code is reported on the field',
    );
    assert.equal((await page.locator('main .price').innerText()).trim(), '20.00 USD', 'balance unchanged');
    await shot(page, '20-03-wallet-code-used');

    // 3. Look for plans for Japan.
    await page.locator('header').getByRole('link', { name: 'Plans' }).click();
    await page.waitForURL(/\/plans$/);
    assert.equal(await h1(page), 'Plans');
    await page.getByLabel('Where are you going?').selectOption({ label: 'Japan' });
    await Promise.all([
      page.waitForURL(/\/plans\?country=JP/),
      page.getByRole('button', { name: 'Show plans' }).click(),
    ]);
    assert.equal(await page.getByLabel('Where are you going?').inputValue(), 'JP');
    const names = await page.locator('ul.plans h2').allInnerTexts();
    assert.ok(names.includes('Japan 5GB 15 days'), `JP plans listed: ${names.join(', ')}`);
    assert.ok(!names.includes('Japan 2GB 7 days'), 'inactive plan not listed');
    await assertNoSidewaysScroll(page);
    await shot(page, '20-04-plans-jp');

    // 4. Open the plan.
    await Promise.all([
      page.waitForURL(/\/plans\/JP-5GB-15D$/),
      page.getByRole('link', { name: 'Japan 5GB 15 days' }).click(),
    ]);
    assert.equal(await h1(page), 'Japan 5GB 15 days');
    assert.equal((await page.locator('main .price').first().innerText()).trim(), '11.50 USD');
    assert.ok(await page.getByText('Your wallet: 20.00 USD').isVisible());
    assert.ok(await page.getByText('After this purchase: 8.50 USD').isVisible());
    const pay = page.getByRole('button', { name: 'Pay 11.50 USD from my wallet' });
    assert.ok(await pay.isVisible(), 'pay button');
    await assertNoSidewaysScroll(page);
    await shot(page, '20-05-plan-jp-5gb');

    // 5. Pay.
    await Promise.all([page.waitForURL(/\/esims\?notice=order_placed/), pay.click()]);
    assert.equal(await h1(page), 'My eSIMs');
    assert.equal(await notice(page), 'Thank you! Your order is placed.');
    assert.equal(await orderLines(page).count(), 1, 'one order');
    assert.match(await orderLines(page).first().innerText(), /Japan 5GB 15 days · 11\.50 USD/);
    await shot(page, '20-06-esims-order-placed');

    // 6. The worker provisions in a moment: reload until the eSIM shows.
    const esimLink = page.locator('main a[href^="/esims/"]');
    const deadline = Date.now() + 10000;
    while ((await esimLink.count()) === 0) {
      assert.ok(Date.now() < deadline, 'an eSIM appears on /esims within 10 s');
      await sleep(500);
      await page.reload();
    }
    assert.equal(await esimLink.count(), 1, 'one eSIM');
    const iccid = (await esimLink.innerText()).trim();
    assert.match(iccid, /^89\d{17,20}$/, `ICCID ${iccid}`);
    assert.equal((await page.locator('main .badge').first().innerText()).trim(), 'Ready to install');
    assert.match(await orderLines(page).first().innerText(), /Done/);
    await assertNoSidewaysScroll(page);
    await shot(page, '20-07-esims-ready');

    // 7. Open the eSIM: QR code and manual details.
    await Promise.all([page.waitForURL(new RegExp(`/esims/${iccid}$`)), esimLink.click()]);
    assert.equal(await h1(page), 'Your eSIM');
    assert.equal((await page.locator('main .badge').innerText()).trim(), 'Ready to install');
    const qr = page.locator('img.qr');
    await qr.waitFor();
    await page.waitForFunction(() => document.querySelector('img.qr')?.complete);
    assert.ok(
      (await qr.evaluate((img) => img.naturalWidth)) > 0,
      `QR image ${await qr.getAttribute('src')} loads`,
    );
    assert.equal(await qr.getAttribute('alt'), 'QR code of the eSIM activation code');
    const dd = (label) => page.locator(`main dt:text-is("${label}") + dd`);
    assert.equal((await dd('SM-DP+ address').innerText()).trim(), 'smdp.tern.test');
    const matchingId = (await dd('Activation code (matching ID)').innerText()).trim();
    assert.match(matchingId, /^[A-Z0-9-]{8,}$/, `matching ID ${matchingId}`);
    assert.equal(
      (await dd('Full activation code').innerText()).trim(),
      `LPA:1$smdp.tern.test$${matchingId}`,
    );
    const packages = page.locator('section[aria-labelledby=pk-h] li');
    assert.equal(await packages.count(), 1);
    assert.match(await packages.first().innerText(), /Japan 5GB 15 days/);
    await assertNoSidewaysScroll(page);
    await shot(page, '20-08-esim-ready');

    // 8. Simulate installing it on a phone.
    await Promise.all([
      page.waitForURL(/notice=install_simulated/),
      page.getByRole('button', { name: 'Simulate installing on a phone' }).click(),
    ]);
    assert.equal(await notice(page), 'The simulated phone installed the eSIM.');
    // The emulator's callback may land just after the redirect.
    for (let i = 0; i < 20; i++) {
      if ((await page.locator('main .badge').innerText()).trim() === 'Installed') break;
      await sleep(250);
      await page.reload();
    }
    assert.equal((await page.locator('main .badge').innerText()).trim(), 'Installed');
    await shot(page, '20-09-esim-installed');

    // 8b. The network reports usage; the page shows it on the chart.
    const key = await networkKey();
    const now = Date.now();
    const records = [3, 2, 1].map((h, i) => ({
      event_id: `browser-${i}`, iccid, kind: 'data', quantity: (i + 1) * 100 * 1024 * 1024,
      country: 'JP', occurred_at: new Date(now - h * 3600 * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    }));
    const usageRes = await fetch(`${BASE_URL}/api/v1/network/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ records }),
    });
    assert.equal(usageRes.status, 200, await usageRes.text());
    await page.reload();
    const chart = page.locator('svg.chart');
    assert.ok(await chart.isVisible(), 'usage chart shown');
    assert.ok((await chart.locator('rect').count()) >= 1, 'at least one bar');
    assert.ok(await page.getByRole('heading', { name: 'Data used per day' }).isVisible());
    assert.match(await page.locator('main').innerText(), /4\.4 GB of 5 GB left/);
    await shot(page, '20-09b-esim-usage-chart');

    // 9. The same page in Chinese.
    await Promise.all([
      page.waitForURL(new RegExp(`/esims/${iccid}$`)),
      page.locator('header').getByRole('link', { name: '中文' }).click(),
    ]);
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    assert.equal((await page.locator('main .badge').innerText()).trim(), '已安装');
    assert.ok(await page.locator('header').getByRole('link', { name: 'English' }).isVisible());
    await assertNoSidewaysScroll(page);
    await shot(page, '20-10-esim-installed-zh');

    // The list and the wallet in Chinese too.
    await page.goto(`${BASE_URL}/esims`);
    assert.equal((await page.locator('main .badge').first().innerText()).trim(), '已安装');
    await shot(page, '20-11-esims-zh');
    await page.goto(`${BASE_URL}/wallet`);
    assert.equal((await page.locator('main .price').innerText()).trim(), '8.50 USD');
    await shot(page, '20-12-wallet-after-zh');

    // The shop in Chinese: names from the catalogue, and 8.50 USD left is
    // 3.00 USD short of the same plan.
    await page.goto(`${BASE_URL}/plans?country=JP`);
    const zhNames = await page.locator('ul.plans h2').allInnerTexts();
    assert.ok(zhNames.includes('日本 5GB 15天'), `zh plan names: ${zhNames.join(', ')}`);
    await assertNoSidewaysScroll(page);
    await shot(page, '20-13-plans-jp-zh');
    await page.goto(`${BASE_URL}/plans/JP-5GB-15D`);
    assert.equal(await h1(page), '日本 5GB 15天');
    assert.equal(await page.locator('form[action$="/buy"]').count(), 0, 'no pay form when short');
    assert.ok(await page.locator('main a[href="/wallet"]').isVisible(), 'a way to top up');
    await shot(page, '20-14-plan-short-zh');
  });

  test('a double-submitted pay form makes one order', async (t) => {
    const context = await mobileContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    const { code } = await travellerWithVoucher(page, 'double');
    await redeem(page, code);
    assert.equal((await page.locator('main .price').innerText()).trim(), '20.00 USD');

    await page.goto(`${BASE_URL}/plans/JP-1GB-7D`);
    assert.ok(await page.getByText('After this purchase: 15.50 USD').isVisible());
    const form = page.locator('form[action="/plans/JP-1GB-7D/buy"]');
    const fields = {};
    for (const name of ['csrf', 'key', 'iccid']) {
      fields[name] = await form.locator(`input[name=${name}]`).getAttribute('value');
    }
    assert.match(fields.key, /.{16,}/, 'the form carries an idempotency key');

    // The traveller taps Pay; then the same form arrives twice more, at
    // once (a double tap, a flaky network retrying).
    await Promise.all([
      page.waitForURL(/\/esims\?notice=order_placed/),
      form.getByRole('button', { name: 'Pay 4.50 USD from my wallet' }).click(),
    ]);
    const again = await Promise.all(
      [1, 2].map(() =>
        page.request.post(`${BASE_URL}/plans/JP-1GB-7D/buy`, { form: fields, maxRedirects: 0 }),
      ),
    );
    for (const r of again) {
      assert.ok([302, 303].includes(r.status()), `resubmit answered ${r.status()}`);
      assert.match(r.headers().location || '', /^\/esims/);
    }

    // Once the worker is done: one order, one eSIM.
    const esimLink = page.locator('main a[href^="/esims/"]');
    const deadline = Date.now() + 10000;
    await page.goto(`${BASE_URL}/esims`);
    while ((await esimLink.count()) === 0 && Date.now() < deadline) {
      await sleep(500);
      await page.reload();
    }
    assert.equal(await esimLink.count(), 1, 'one eSIM on /esims');
    assert.equal(await orderLines(page).count(), 1, 'one order on /esims');
    assert.match(await orderLines(page).first().innerText(), /Japan 1GB 7 days · 4\.50 USD/);
    await shot(page, '20-15-double-submit-esims');

    await page.goto(`${BASE_URL}/wallet`);
    assert.equal((await page.locator('main .price').innerText()).trim(), '15.50 USD', 'paid once');
    const lines = await page.locator('section[aria-labelledby=history-h] li').allInnerTexts();
    assert.equal(lines.filter((l) => /Plan bought/.test(l)).length, 1, `history: ${lines.join(' | ')}`);
    await shot(page, '20-16-double-submit-wallet');
  });
});
