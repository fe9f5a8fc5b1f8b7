// Closing an account from the portal, in headless Chromium on a phone.
//
// Two server configurations (scripts/browser-tests starts both):
// - the default 7-day cooling-off: ask, see the banner on every page, call
//   it off, and the account is as it was; errors beside their fields, in
//   Chinese, up to the wrong-password throttle;
// - no cooling-off (TERN_CLOSURE__COOLING_OFF=0s): ask, the in-process
//   worker closes the account, the public status page shows the receipt,
//   and the old credentials no longer sign in.
// Each story skips itself on the other configuration. Screenshots land in
// tests/browser/artifacts/30-* (and closure-now/31-*).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL,
  issueVouchers,
  launch,
  mobileContext,
  shot,
  signUpVerifySignIn,
  uniqueEmail,
  waitForMail,
} from './lib.mjs';

const PASSWORD = 'correct horse battery staple';
const IMMEDIATE = /^0\w*$/.test(process.env.TERN_CLOSURE__COOLING_OFF || '');

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function h1(page) {
  return (await page.locator('h1').innerText()).trim();
}

async function notice(page) {
  return (await page.locator('main .notice[role=status]').first().innerText()).trim();
}

/** Asserts the page does not scroll sideways (see portal.test.mjs). */
async function assertNoSidewaysScroll(page) {
  const { scroll, view } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    view: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= view, `${new URL(page.url()).pathname}: ${scroll}px wide in a ${view}px viewport`);
}

/** Every form control on the page has a label (what screen readers announce). */
async function assertLabelled(page) {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')]
      .filter((el) => !(el.labels && el.labels.length))
      .map((el) => el.name),
  );
  assert.deepEqual(unlabelled, [], `controls without a label: ${unlabelled.join(', ')}`);
}

/** Signs up, verifies, signs in and redeems a voucher of `value` USD. */
async function travellerWithBalance(page, tag, value = '20.00') {
  const email = uniqueEmail(tag);
  await signUpVerifySignIn(page, { email, password: PASSWORD, name: 'Ada Traveller' });
  const [code] = await issueVouchers({ value, currency: 'USD', count: 1 });
  await page.goto(`${BASE_URL}/wallet`);
  await page.getByLabel('Voucher code').fill(code);
  await Promise.all([
    page.waitForURL(/\/wallet\?notice=voucher_redeemed/),
    page.getByRole('button', { name: 'Redeem', exact: true }).click(),
  ]);
  return email;
}

/** Buys the Japan 5 GB plan from the wallet and waits for its eSIM. */
async function buyJapanPlan(page) {
  await page.goto(`${BASE_URL}/plans/JP-5GB-15D`);
  await Promise.all([
    page.waitForURL(/\/esims\?notice=order_placed/),
    page.getByRole('button', { name: 'Pay 11.50 USD from my wallet' }).click(),
  ]);
  const esimLink = page.locator('main a[href^="/esims/"]');
  const deadline = Date.now() + 15000;
  while ((await esimLink.count()) === 0) {
    assert.ok(Date.now() < deadline, 'an eSIM appears on /esims within 15 s');
    await sleep(500);
    await page.reload();
  }
  return (await esimLink.innerText()).trim();
}

/** Submits the closure form and waits for the answer page. */
async function submitClosure(page, { phrase, password, reason, text }) {
  if (reason !== undefined) await page.locator('#reason_code').selectOption(reason);
  if (text !== undefined) await page.locator('#reason_text').fill(text);
  await page.locator('#confirmation').fill(phrase);
  await page.locator('#password').fill(password);
  const [res] = await Promise.all([
    page.waitForNavigation(),
    page.locator('main form[action^="/account/close"] button[type=submit]').click(),
  ]);
  return res;
}

/** The text beside a field (its error), trimmed. */
async function fieldError(page, name) {
  const input = page.locator(`#${name}`);
  assert.equal(await input.getAttribute('aria-invalid'), 'true', `${name} is marked invalid`);
  return (await page.locator(`#${name}-error`).innerText()).trim();
}

describe('closure with cooling-off (mobile)', { skip: IMMEDIATE && 'needs the default cooling-off' }, () => {
  test('preview in both languages, ask, banner everywhere, cancel, account as it was', async (t) => {
    const context = await mobileContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    const email = await travellerWithBalance(page, 'closure-cancel');
    const iccid = await buyJapanPlan(page);

    // 1. From the bottom of the account page to the preview.
    await page.goto(`${BASE_URL}/account`);
    await Promise.all([
      page.waitForURL(/\/account\/close$/),
      page.locator('main').getByRole('link', { name: 'Close my account' }).click(),
    ]);
    assert.equal(await h1(page), 'Close your account');
    const main = page.locator('main');
    assert.ok(await main.getByText('Wallet balance: 8.50 USD').isVisible(), 'balance');
    assert.ok(
      await main.getByText(/^8\.50 USD is paid out to you by our finance team/).isVisible(),
      'a voucher balance is paid out by hand',
    );
    const esim = main.locator('section[aria-labelledby=esims-h] li');
    assert.equal(await esim.count(), 1, 'the eSIM that will stop');
    assert.match(await esim.innerText(), new RegExp(`eSIM ${iccid}`));
    assert.match(await esim.innerText(), /5 GB of data left/);
    for (const h of ['Your money', 'eSIMs that will stop working', 'Deleted for good', 'When', 'Confirm']) {
      assert.ok(await main.getByRole('heading', { level: 2, name: h }).isVisible(), `section ${h}`);
    }
    assert.ok(
      await main.getByText(/^Until \d{4}-\d\d-\d\d, as accounting law requires:$/).isVisible(),
      'kept, until when and why',
    );
    assert.ok(await main.getByText(/^You can change your mind until \d{4}-\d\d-\d\d/).isVisible(), 'cooling-off end');
    assert.ok(await main.getByText(/^It will be done by \d{4}-\d\d-\d\d at the latest/).isVisible(), 'due date');
    assert.equal((await main.locator('label[for=confirmation] .phrase').innerText()).trim(), 'CLOSE MY ACCOUNT');
    const reasons = await page.locator('#reason_code option').evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(reasons, ['', 'no_longer_needed', 'found_cheaper', 'poor_coverage', 'privacy', 'moving', 'other']);
    await assertLabelled(page);
    await assertNoSidewaysScroll(page);
    await shot(page, '30-01-close-preview-en');

    // The same page in Chinese, phrase included.
    await Promise.all([
      page.waitForURL(/\/account\/close$/),
      page.locator('header').getByRole('link', { name: '中文' }).click(),
    ]);
    assert.equal(await h1(page), '注销账户');
    assert.ok(await main.getByText('钱包余额：8.50 USD').isVisible());
    assert.equal((await main.locator('label[for=confirmation] .phrase').innerText()).trim(), '注销我的账户');
    await assertNoSidewaysScroll(page);
    await shot(page, '30-02-close-preview-zh');
    await Promise.all([
      page.waitForURL(/\/account\/close$/),
      page.locator('header').getByRole('link', { name: 'English' }).click(),
    ]);

    // 2. A wrong phrase: said beside the field; the reason is kept.
    const reasonText = 'Back home for good — thank you for the trips!';
    let res = await submitClosure(page, {
      phrase: 'close account',
      password: PASSWORD,
      reason: 'moving',
      text: reasonText,
    });
    assert.equal(res.status(), 422);
    assert.equal(
      await fieldError(page, 'confirmation'),
      'The confirmation does not match. Type the phrase exactly as shown.',
    );
    assert.equal(await page.locator('#reason_text').inputValue(), reasonText, 'the reason text is kept');
    assert.equal(await page.locator('#reason_code').inputValue(), 'moving', 'the reason is kept');
    // The answer opens at the form (its action ends in #confirm), where
    // the errors are, not at the top of a long page.
    assert.ok((await page.evaluate(() => window.scrollY)) > 1000, 'scrolled to the form');
    await assertNoSidewaysScroll(page);
    await shot(page, '30-03-close-wrong-phrase');

    // 3. The right phrase (case does not matter) and the password.
    res = await submitClosure(page, { phrase: 'close my account', password: PASSWORD });
    assert.equal(new URL(page.url()).pathname, '/account/closure');
    assert.equal(await h1(page), 'Your closure request');
    assert.equal(
      await notice(page),
      'We received your request to close your account and emailed you the details.',
    );
    assert.match(await main.locator('.badge').first().innerText(), /^(Received|Waiting: you can still cancel)$/);
    assert.equal((await main.locator('dt:text-is("Your reason") + dd').innerText()).trim(), 'I am moving');
    assert.equal(await page.locator('.closing').count(), 0, 'no banner where the page has its own button');
    const statusUrl = await main.getByRole('link', { name: 'Open the status page' }).getAttribute('href');
    assert.match(statusUrl, /\/closure-status\/[0-9a-f]{64}$/);
    await assertNoSidewaysScroll(page);
    await shot(page, '30-04-closure-requested');

    // The "received" email carries the same status link.
    const mail = await waitForMail(email, { match: (m) => /close your/i.test(m.subject || '') });
    assert.ok((mail.text || '').includes(statusUrl), 'the email links the status page');

    // 4. The banner on every other signed-in page.
    for (const path of ['/wallet', '/esims', '/account', '/plans']) {
      await page.goto(`${BASE_URL}${path}`);
      const banner = page.locator('main .closing');
      assert.match(
        await banner.innerText(),
        /Your account is scheduled to close on \d{4}-\d\d-\d\d \d\d:\d\d UTC\./,
        `banner on ${path}`,
      );
      assert.ok(await banner.getByRole('button', { name: 'Cancel closure' }).isVisible());
    }
    await page.goto(`${BASE_URL}/wallet`);
    await assertNoSidewaysScroll(page);
    await shot(page, '30-05-banner-wallet');

    // The public status page, signed out.
    const visitor = await mobileContext(browser);
    t.after(() => visitor.close());
    const pub = await visitor.newPage();
    res = await pub.goto(statusUrl);
    assert.equal(res.status(), 200);
    assert.equal(await h1(pub), 'Account closure status');
    assert.equal(await pub.locator('header').getByRole('link', { name: 'Sign in' }).count(), 1, 'signed out');
    assert.ok((await pub.locator('ol.steps li.todo').count()) >= 7, 'steps still to do');
    const body = await pub.locator('body').innerText();
    assert.ok(!body.includes(email) && !body.includes('Ada'), 'no personal data on the status page');
    assert.equal(await pub.getByRole('heading', { name: 'Receipt' }).count(), 0, 'no receipt yet');
    await assertNoSidewaysScroll(pub);
    await shot(pub, '30-06-status-cooling-off');

    // 5. Cancel from the banner.
    await Promise.all([
      page.waitForURL(/\/account\?notice=closure_canceled/),
      page.locator('main .closing').getByRole('button', { name: 'Cancel closure' }).click(),
    ]);
    assert.equal(await notice(page), 'Your account will not be closed. Everything stays as it was.');
    assert.equal(await page.locator('.closing').count(), 0, 'banner gone');
    await shot(page, '30-07-closure-canceled');

    // The account works as before: balance, eSIM, closure page, new preview.
    await page.goto(`${BASE_URL}/wallet`);
    assert.equal(await page.locator('.closing').count(), 0, 'no banner on the wallet');
    assert.equal((await page.locator('main .price').innerText()).trim(), '8.50 USD');
    await page.goto(`${BASE_URL}/esims`);
    assert.equal((await page.locator('main a[href^="/esims/"]').innerText()).trim(), iccid);
    await page.goto(`${BASE_URL}/account/closure`);
    assert.equal((await page.locator('main .badge').first().innerText()).trim(), 'Cancelled');
    assert.equal(await page.getByRole('button', { name: 'Cancel closure' }).count(), 0, 'nothing to cancel');
    await page.goto(`${BASE_URL}/account/close`);
    assert.equal(await h1(page), 'Close your account', 'a new request can be made');
    await pub.reload();
    assert.equal((await pub.locator('main .badge').first().innerText()).trim(), 'Cancelled');
  });

  test('errors in Chinese beside their fields, up to the wrong-password throttle', async (t) => {
    const context = await mobileContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    await signUpVerifySignIn(page, { email: uniqueEmail('closure-errors'), password: PASSWORD });
    await page.goto(`${BASE_URL}/lang?l=zh-CN&next=/account/close`);
    assert.equal(await h1(page), '注销账户');
    assert.ok(await page.getByText('您的钱包余额为零，无需退款。').isVisible(), 'empty wallet said plainly');
    assert.ok(await page.getByText('您没有仍在使用的 eSIM。').isVisible());

    const text = '信号在山里不太好。';
    let res = await submitClosure(page, { phrase: '注销账户', password: 'not my password', reason: 'poor_coverage', text });
    assert.equal(res.status(), 422);
    assert.equal(await fieldError(page, 'confirmation'), '确认文字不一致，请按显示的内容准确输入。');
    assert.equal(await page.locator('#reason_text').inputValue(), text);

    // Five wrong passwords are refused one by one, the sixth try is throttled.
    for (let i = 0; i < 5; i++) {
      res = await submitClosure(page, { phrase: '注销我的账户', password: `wrong password ${i}` });
      assert.equal(res.status(), 422, `wrong password ${i + 1}`);
      assert.equal(await fieldError(page, 'password'), '密码不正确。');
    }
    res = await submitClosure(page, { phrase: '注销我的账户', password: PASSWORD });
    assert.equal(res.status(), 429);
    assert.match(await fieldError(page, 'password'), /^密码错误次数过多，请 \d+ 分钟后再试。$/);
    assert.equal(await page.locator('#reason_text').inputValue(), text, 'still kept');
    assert.equal(await page.locator('#reason_code').inputValue(), 'poor_coverage');
    await assertNoSidewaysScroll(page);
    await shot(page, '30-08-close-throttled-zh');
    await page.goto(`${BASE_URL}/account`);
    assert.equal(await page.locator('.closing').count(), 0, 'nothing was asked for');
  });

  test('an unknown status link is a friendly 404', async (t) => {
    const context = await mobileContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    const res = await page.goto(`${BASE_URL}/closure-status/${'0'.repeat(64)}`);
    assert.equal(res.status(), 404);
    assert.equal(await h1(page), 'We cannot find this request');
    assert.ok(await page.getByRole('link', { name: 'Go to the home page' }).isVisible());
    await assertNoSidewaysScroll(page);
  });
});

describe('closure without cooling-off (mobile)', { skip: !IMMEDIATE && 'needs TERN_CLOSURE__COOLING_OFF=0s' }, () => {
  test('ask, the worker closes the account, the status page shows the receipt, old credentials fail', async (t) => {
    const context = await mobileContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    const email = await travellerWithBalance(page, 'closure-now');

    await page.goto(`${BASE_URL}/account/close`);
    const main = page.locator('main');
    assert.ok(await main.getByText(/^Closing starts as soon as you confirm/).isVisible(), 'no cooling-off, said plainly');
    assert.ok(await main.getByText(/^20\.00 USD is paid out to you by our finance team/).isVisible());
    await assertNoSidewaysScroll(page);
    await shot(page, '31-01-close-preview-now');

    // Asking signs out at once, so the answer is the public status page.
    await submitClosure(page, { phrase: 'CLOSE MY ACCOUNT', password: PASSWORD, reason: 'privacy' });
    await page.waitForURL(/\/closure-status\/[0-9a-f]{64}\?notice=closure_requested(#.*)?$/);
    assert.equal(
      await notice(page),
      'We received your request to close your account and emailed you the details.',
    );
    const statusUrl = page.url().replace(/[?#].*$/, '');

    // Opened without signing in: reload until the worker is done.
    const visitor = await mobileContext(browser);
    t.after(() => visitor.close());
    const pub = await visitor.newPage();
    await pub.goto(statusUrl);
    const badge = pub.locator('main .badge').first();
    const deadline = Date.now() + 60000;
    while ((await badge.innerText()).trim() !== 'Completed') {
      assert.ok(Date.now() < deadline, `completed within 60 s (now: ${await badge.innerText()})`);
      await sleep(1000);
      await pub.reload();
    }
    assert.equal(await pub.locator('header').getByRole('link', { name: 'Sign in' }).count(), 1, 'signed out');
    assert.equal(await pub.locator('ol.steps li.done').count(), 8, 'every step done');
    assert.equal(await pub.locator('ol.steps li.todo').count(), 0);
    const receipt = pub.locator('section[aria-labelledby=receipt-h]');
    const lines = (await receipt.locator('li').allInnerTexts()).map((s) => s.trim());
    for (const line of [
      'Refunded: 20.00 USD',
      'Paid out by our finance team: 20.00 USD',
      'Profile fields (email, phone, name, password): 3',
    ]) {
      assert.ok(lines.includes(line), `receipt line "${line}" in ${JSON.stringify(lines)}`);
    }
    assert.ok(!lines.some((l) => /^Card payments:|: 0$/.test(l)), 'kinds with nothing in them are left out');
    assert.ok(
      lines.some((l) => /^Wallet ledger entries: [1-9]\d*, until \d{4}-\d\d-\d\d$/.test(l)),
      `retained with its end date: ${JSON.stringify(lines)}`,
    );
    assert.ok(await receipt.getByText('There was no eSIM to stop.').isVisible(), 'no eSIM, said so');
    assert.match(
      (await receipt.locator('.notice').innerText()).trim(),
      /^0 traces found in [1-9]\d* tables \/ [1-9]\d* files\.$/,
    );
    const body = await pub.locator('body').innerText();
    assert.ok(!body.includes(email) && !body.includes('Ada'), 'no personal data on the status page');
    await assertNoSidewaysScroll(pub);
    await shot(pub, '31-02-status-completed-en');
    await Promise.all([
      pub.waitForURL(/\/closure-status\//),
      pub.locator('header').getByRole('link', { name: '中文' }).click(),
    ]);
    assert.equal((await badge.innerText()).trim(), '已完成');
    assert.ok(await pub.getByText(/^在 \d+ 个数据表 \/ \d+ 个文件中发现 0 处遗留。$/).isVisible());
    await assertNoSidewaysScroll(pub);
    await shot(pub, '31-03-status-completed-zh');

    // The session ended, and the old credentials sign in no more.
    await page.goto(`${BASE_URL}/account`);
    assert.equal(new URL(page.url()).pathname, '/login', 'signed out by the closure');
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await Promise.all([
      page.waitForLoadState('load'),
      page.locator('main').getByRole('button', { name: 'Sign in', exact: true }).click(),
    ]);
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal((await page.getByRole('alert').innerText()).trim(), 'The email or password is not correct.');
    await shot(page, '31-04-old-credentials-refused');
  });
});
