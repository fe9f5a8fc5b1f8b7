// End-to-end tests of the Tern portal in headless Chromium.
//
// Run through scripts/browser-tests, which starts a fresh server and sets
// TERN_URL and TERN_DATA_DIR. Screenshots land in tests/browser/artifacts/.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL,
  launch,
  linkIn,
  mobileContext,
  shot,
  uniqueEmail,
  waitForMail,
} from './lib.mjs';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'lantern harbour pepper violet';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** The page's single h1, as text. */
async function h1(page) {
  return (await page.locator('h1').innerText()).trim();
}

/** Asserts a navigation answered with `status` (default 200). */
function assertStatus(response, status = 200) {
  assert.ok(response, 'navigation produced a response');
  assert.equal(response.status(), status, `HTTP status of ${response.url()}`);
}

async function signIn(page, { email, password, labels }) {
  await page.getByLabel(labels.email, { exact: true }).fill(email);
  await page.getByLabel(labels.password, { exact: true }).fill(password);
  await Promise.all([
    page.waitForLoadState('load'),
    page.locator('main').getByRole('button', { name: labels.submit, exact: true }).click(),
  ]);
}

describe('portal story (mobile)', () => {
  test('sign up, verify, sign in, switch to Chinese, change password, sign out, sign in again', async (t) => {
    const context = await mobileContext(browser);
    const page = await context.newPage();
    const email = uniqueEmail('story');
    t.after(() => context.close());

    // 1. Sign up.
    let res = await page.goto(`${BASE_URL}/signup`);
    assertStatus(res);
    assert.equal(await h1(page), 'Create your account');
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Name (optional)').fill('Ada Traveller');
    await shot(page, '01-signup-form');
    [res] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole('button', { name: 'Create account' }).click(),
    ]);
    assertStatus(res);
    assert.equal(await h1(page), 'Check your email');
    await shot(page, '02-check-email');

    // 2. Open the verification link from the email.
    const mail = await waitForMail(email);
    const verifyUrl = linkIn(mail, '/verify-email');
    assert.equal(new URL(verifyUrl).origin, new URL(BASE_URL).origin, 'link uses TERN_PUBLIC_URL');
    assert.match(new URL(verifyUrl).searchParams.get('token') || '', /.{16,}/, 'link carries a token');
    res = await page.goto(verifyUrl);
    assertStatus(res);
    assert.equal(await h1(page), 'Email confirmed');
    await shot(page, '03-email-confirmed');

    // 3. Sign in (through the button on the confirmation page).
    await page.locator('main').getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(/\/login/);
    await signIn(page, {
      email,
      password: PASSWORD,
      labels: { email: 'Email', password: 'Password', submit: 'Sign in' },
    });
    assert.equal(new URL(page.url()).pathname, '/account');
    assert.equal(await h1(page), 'Your account');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    for (const h of ['Profile', 'Password', 'Signed-in devices']) {
      assert.ok(await page.getByRole('heading', { level: 2, name: h }).isVisible(), `section ${h}`);
    }
    assert.ok(await page.getByText(email, { exact: true }).isVisible(), 'email shown');
    assert.ok(await page.locator('.badge.ok').first().isVisible(), 'email shows as verified');
    assert.equal(await page.getByLabel('Name (optional)').inputValue(), 'Ada Traveller');
    await shot(page, '04-account-en');

    // A second device signed in at the same time; the password change
    // below must sign it out.
    const other = await mobileContext(browser);
    t.after(() => other.close());
    const otherPage = await other.newPage();
    await otherPage.goto(`${BASE_URL}/login`);
    await signIn(otherPage, {
      email,
      password: PASSWORD,
      labels: { email: 'Email', password: 'Password', submit: 'Sign in' },
    });
    assert.equal(new URL(otherPage.url()).pathname, '/account');

    // 4. Switch the portal to Chinese with the header link.
    await page.reload();
    assert.equal(
      await page.locator('.plain li').count(),
      2,
      'both devices are listed under Signed-in devices',
    );
    await Promise.all([
      page.waitForURL(/\/account/),
      page.locator('header').getByRole('link', { name: '中文' }).click(),
    ]);
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    assert.equal(await h1(page), '我的账户');
    for (const h of ['个人资料', '密码', '已登录的设备']) {
      assert.ok(await page.getByRole('heading', { level: 2, name: h }).isVisible(), `section ${h}`);
    }
    assert.ok(await page.locator('header').getByRole('link', { name: 'English' }).isVisible());
    await shot(page, '05-account-zh');

    // 5. Change the password in the Chinese UI.
    // The two-step sign-in section asks for the password too: use the
    // password section's fields.
    const passwordSection = page.getByRole('region', { name: '密码' });
    await passwordSection.getByLabel('当前密码').fill(PASSWORD);
    await passwordSection.getByLabel('新密码').fill(NEW_PASSWORD);
    await Promise.all([
      page.waitForURL(/notice=password_changed/),
      page.getByRole('button', { name: '修改密码' }).click(),
    ]);
    const notice = page.getByRole('status');
    assert.equal((await notice.innerText()).trim(), '密码已修改，其他设备已退出登录。');
    assert.equal(await h1(page), '我的账户');
    assert.equal(await page.locator('.plain li').count(), 1, 'only this device is left');
    await shot(page, '06-password-changed-zh');

    // The other device is signed out.
    await otherPage.goto(`${BASE_URL}/account`);
    assert.equal(new URL(otherPage.url()).pathname, '/login', 'other device was signed out');

    // 6. Sign out.
    await Promise.all([
      page.waitForURL(/\/login/),
      page.locator('header').getByRole('button', { name: '退出登录' }).click(),
    ]);
    assert.equal(await h1(page), '登录');
    assert.equal((await page.getByRole('status').innerText()).trim(), '您已退出登录。');
    await shot(page, '07-signed-out-zh');
    res = await page.goto(`${BASE_URL}/account`);
    assert.equal(new URL(page.url()).pathname, '/login', '/account needs signing in again');

    const zhLabels = { email: '邮箱', password: '密码', submit: '登录' };

    // 7. The old password no longer works.
    await signIn(page, { email, password: PASSWORD, labels: zhLabels });
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal((await page.getByRole('alert').innerText()).trim(), '邮箱或密码不正确。');
    assert.equal(
      await page.getByLabel('邮箱', { exact: true }).inputValue(),
      email,
      'the email is kept after a failed sign-in',
    );
    await shot(page, '08-old-password-rejected-zh');

    // 8. The new one does.
    await signIn(page, { email, password: NEW_PASSWORD, labels: zhLabels });
    assert.equal(new URL(page.url()).pathname, '/account');
    assert.equal(await h1(page), '我的账户');
    await shot(page, '09-signed-in-new-password-zh');
  });
});

/**
 * Runs in the page: the accessibility basics a plain server-rendered page
 * must have. Returns a list of problems (empty when fine).
 */
function accessibilityBasics() {
  const problems = [];
  const lang = document.documentElement.getAttribute('lang');
  if (!lang || !lang.trim()) problems.push('<html> has no lang');
  if (!document.title.trim()) problems.push('page has no <title>');
  const h1s = document.querySelectorAll('h1');
  if (h1s.length !== 1) problems.push(`expected one <h1>, found ${h1s.length}`);

  const describe = (el) =>
    `<${el.tagName.toLowerCase()}${el.id ? ` id="${el.id}"` : ''}${el.name ? ` name="${el.name}"` : ''}>`;
  const controls = document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea',
  );
  for (const el of controls) {
    const byFor = el.id
      ? [...document.querySelectorAll('label[for]')].filter((l) => l.htmlFor === el.id)
      : [];
    const wrapped = el.closest('label');
    const aria =
      (el.getAttribute('aria-label') || '').trim() ||
      (el.getAttribute('aria-labelledby') || '')
        .split(/\s+/)
        .filter(Boolean)
        .map((id) => document.getElementById(id)?.textContent.trim())
        .join('');
    const text = [...byFor.map((l) => l.textContent.trim()), wrapped?.textContent.trim(), aria]
      .filter(Boolean)
      .join(' ');
    if (!text) problems.push(`${describe(el)} has no label`);
    if (el.id && document.querySelectorAll(`[id="${CSS.escape(el.id)}"]`).length > 1) {
      problems.push(`${describe(el)} id is not unique`);
    }
    for (const id of (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)) {
      if (!document.getElementById(id)) {
        problems.push(`${describe(el)} aria-describedby="${id}" points at nothing`);
      }
    }
  }
  for (const b of document.querySelectorAll('button, a[href]')) {
    const name = (b.textContent || '').trim() || b.getAttribute('aria-label') || b.title;
    if (!name) problems.push(`${describe(b)} has no accessible name`);
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push(`<img src="${img.getAttribute('src')}"> has no alt`);
  }
  if (!document.querySelector('meta[name=viewport]')) problems.push('no viewport meta');
  if (!document.querySelector('main')) problems.push('no <main> landmark');
  return problems;
}

describe('accessibility basics', () => {
  const pages = [
    ['home', '/'],
    ['sign-up', '/signup'],
    ['sign-in', '/login'],
  ];
  for (const [locale, switchTo] of [
    ['en', null],
    ['zh-CN', 'zh-CN'],
  ]) {
    for (const [name, path] of pages) {
      test(`${name} page (${locale}) has lang, one h1 and labelled inputs`, async (t) => {
        const context = await browser.newContext({ locale: 'en-GB' });
        t.after(() => context.close());
        const page = await context.newPage();
        if (switchTo) {
          // The language link sets a cookie and comes back to `next`.
          await page.goto(`${BASE_URL}/lang?l=${switchTo}&next=${encodeURIComponent(path)}`);
          assert.equal(new URL(page.url()).pathname, path);
        } else {
          assertStatus(await page.goto(`${BASE_URL}${path}`));
        }
        assert.equal(await page.locator('html').getAttribute('lang'), locale);
        const problems = await page.evaluate(accessibilityBasics);
        assert.deepEqual(problems, [], `${path} (${locale}): ${problems.join('; ')}`);
        if (path === '/signup') {
          // getByLabel is how a screen reader user finds the fields too.
          const labels =
            locale === 'en'
              ? ['Email', 'Password', 'Name (optional)', 'Mobile number (optional)']
              : ['邮箱', '密码', '姓名（选填）', '手机号码（选填）'];
          for (const label of labels) {
            assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label);
          }
        }
      });
    }
  }

  test('sign-up errors are announced and tied to their fields', async (t) => {
    const context = await mobileContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`${BASE_URL}/signup`);
    await page.getByLabel('Email', { exact: true }).fill('not-an-email');
    await page.getByLabel('Password', { exact: true }).fill('password');
    const [res] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole('button', { name: 'Create account' }).click(),
    ]);
    assertStatus(res, 422);
    const email = page.getByLabel('Email', { exact: true });
    assert.equal(await email.getAttribute('aria-invalid'), 'true');
    assert.equal(await email.inputValue(), 'not-an-email', 'what was typed is kept');
    const described = await email.getAttribute('aria-describedby');
    assert.ok(described, 'the email field points at its error');
    assert.ok((await page.locator(`#${described}`).innerText()).trim().length > 0);
    const problems = await page.evaluate(accessibilityBasics);
    assert.deepEqual(problems, [], problems.join('; '));
    await shot(page, '10-signup-errors');
  });
});

describe('mobile layout', () => {
  // A long email address must wrap inside its card rather than make the
  // page scroll sideways on a 390 px phone.
  test(
    'no page scrolls sideways at 390 px',
    async (t) => {
      const context = await mobileContext(browser);
      t.after(() => context.close());
      const page = await context.newPage();
      // A long but ordinary address, as real people have.
      const email = uniqueEmail('firstname.lastname.travelling');
      await page.goto(`${BASE_URL}/signup`);
      await page.getByLabel('Email', { exact: true }).fill(email);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await Promise.all([
        page.waitForNavigation(),
        page.getByRole('button', { name: 'Create account' }).click(),
      ]);
      await page.goto(linkIn(await waitForMail(email), '/verify-email'));
      await page.goto(`${BASE_URL}/login`);
      await signIn(page, {
        email,
        password: PASSWORD,
        labels: { email: 'Email', password: 'Password', submit: 'Sign in' },
      });
      assert.equal(new URL(page.url()).pathname, '/account');

      // Signed out, the other pages; signed in, /account.
      const visitor = await (await mobileContext(browser)).newPage();
      t.after(() => visitor.context().close());
      const wide = [];
      for (const [p, path] of [
        [page, '/account'],
        [visitor, '/'],
        [visitor, '/signup'],
        [visitor, '/login'],
      ]) {
        await p.goto(`${BASE_URL}${path}`);
        assert.equal(new URL(p.url()).pathname, path);
        // clientWidth, not innerWidth: a mobile browser zooms out to fit
        // wide content, which makes innerWidth grow with it.
        const { scroll, view } = await p.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          view: document.documentElement.clientWidth,
        }));
        if (scroll > view) wide.push(`${path}: ${scroll}px wide in a ${view}px viewport`);
      }
      await shot(page, '11-account-long-email');
      assert.deepEqual(wide, [], wide.join('; '));
    },
  );
});
