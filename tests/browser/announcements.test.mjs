// Announcements and terms in headless Chromium on a phone: an operator
// writes an important notice in the console (preview in both languages),
// publishes it, and the traveller in its audience gets the email and a
// banner until they read it; a traveller outside the audience sees none.
// Then the operator publishes terms that must be accepted, and the
// traveller's next page is the terms page until they accept.
// Screenshots land in tests/browser/artifacts/40-*.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BASE_URL,
  DATA_DIR,
  TERN_BIN,
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

/** An admin account made with the real CLI (`tern admin create`). */
async function createAdmin(email) {
  if (!TERN_BIN) throw new Error('TERN_BIN must be set (scripts/browser-tests sets it)');
  const dir = await mkdtemp(join(tmpdir(), 'tern-admin-'));
  try {
    const env = { ...process.env, TERN_DATA_DIR: DATA_DIR, TERN_CONFIG: join(dir, 'none.toml') };
    if (!env.TERN_DATABASE_URL) delete env.TERN_DATABASE_URL;
    await promisify(execFile)(
      TERN_BIN,
      ['admin', 'create', '--email', email, '--role', 'admin', '--password', PASSWORD],
      { env, cwd: dir, timeout: 60000 },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function signIn(page, email) {
  await page.goto(`${BASE_URL}/login`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== '/login'),
    page.locator('main').getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
}

/** JSON API call. */
async function api(method, path, { token, body, headers = {} } = {}) {
  const res = await fetch(`${BASE_URL}/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Gives the signed-up traveller an eSIM for the UAE (voucher, then an order). */
async function buyUaeEsim(email) {
  const { body: session } = await api('POST', '/sessions', { body: { email, password: PASSWORD } });
  const token = session.token;
  const [code] = await issueVouchers({ value: '20.00' });
  assert.equal((await api('POST', '/wallet/redeem', { token, body: { code } })).status, 200);
  const order = await api('POST', '/orders', {
    token,
    body: { plan_code: 'AE-3GB-7D' },
    headers: { 'idempotency-key': `uae-${Date.now()}` },
  });
  assert.equal(order.status, 201, JSON.stringify(order.body));
  for (let i = 0; i < 100; i++) {
    const o = await api('GET', `/orders/${order.body.id}`, { token });
    if (o.body.state === 'completed') return token;
    await sleep(200);
  }
  throw new Error('the order never completed');
}

/** The live script elements and javascript: links in the page's main area. */
async function activeContent(page) {
  return page.evaluate(() => ({
    scripts: document.querySelectorAll('main script').length,
    jsLinks: [...document.querySelectorAll('main a[href]')].filter((a) => a.href.startsWith('javascript:')).length,
    handlers: [...document.querySelectorAll('main *')].filter((el) =>
      [...el.attributes].some((a) => a.name.startsWith('on')),
    ).length,
  }));
}

describe('announcements and terms', { skip: IMMEDIATE && 'runs in the default pass only' }, () => {
  test('an important announcement reaches its audience as an email and a banner until read', async () => {
    const adminEmail = uniqueEmail('admin');
    await createAdmin(adminEmail);
    const travellerEmail = uniqueEmail('dubai');
    const otherEmail = uniqueEmail('stayhome');

    const traveller = await mobileContext(browser);
    const tPage = await traveller.newPage();
    let alerted = false;
    tPage.on('dialog', async (d) => {
      alerted = true;
      await d.dismiss();
    });
    await signUpVerifySignIn(tPage, { email: travellerEmail, password: PASSWORD });
    await buyUaeEsim(travellerEmail);
    const other = await mobileContext(browser);
    const oPage = await other.newPage();
    await signUpVerifySignIn(oPage, { email: otherEmail, password: PASSWORD });

    // The operator writes it, previews both languages, publishes.
    const admin = await mobileContext(browser);
    const aPage = await admin.newPage();
    await signIn(aPage, adminEmail);
    await aPage.goto(`${BASE_URL}/admin/announcements`);
    const title = `Network works in Dubai ${Date.now().toString(36)}`;
    await aPage.getByLabel('Kind', { exact: true }).selectOption('maintenance');
    await aPage.getByLabel(/Important: show a banner/).check();
    await aPage.getByLabel('Title (English)').fill(title);
    await aPage
      .getByLabel('Text (English)')
      .fill('Tonight **02:00–03:00** GST.\n\n<script>alert(1)</script> [more](javascript:alert(2))');
    await aPage.getByLabel('Title (Simplified Chinese)').fill('迪拜网络维护');
    await aPage.getByLabel('Text (Simplified Chinese)').fill('今晚 **02:00–03:00**（海湾标准时间）。');
    await aPage.getByLabel('Audience', { exact: true }).selectOption('countries');
    await aPage.getByLabel('Countries', { exact: true }).fill('AE');
    await Promise.all([aPage.waitForNavigation(), aPage.getByRole('button', { name: 'Preview' }).click()]);
    const preview = aPage.getByRole('region', { name: 'Preview' });
    assert.match(await preview.innerText(), /Tonight 02:00–03:00 GST\./);
    assert.match(await preview.innerText(), /今晚 02:00–03:00（海湾标准时间）。/);
    assert.match(await preview.innerText(), /<script>alert\(1\)<\/script>/, 'raw HTML shows as text');
    assert.deepEqual(await activeContent(aPage), { scripts: 0, jsLinks: 0, handlers: 0 });
    await shot(aPage, '40-announcement-preview');
    await Promise.all([
      aPage.waitForURL(/\/admin\/announcements\/[0-9a-f-]+$/),
      aPage.getByRole('button', { name: 'Publish', exact: true }).click(),
    ]);
    let progress = '';
    for (let i = 0; i < 50 && !/Sent 1 of 1 .*done/.test(progress); i++) {
      await sleep(200);
      await aPage.reload();
      progress = (await aPage.locator('#mail-progress').innerText()).trim();
    }
    assert.match(progress, /^Sent 1 of 1 \(skipped 0\); done$/);
    await shot(aPage, '41-announcement-sent');

    // The traveller in the audience: one email, and a banner on every page.
    const mail = await waitForMail(travellerEmail, { match: (m) => m.subject === `Tern: ${title}` });
    assert.match(mail.text, /Tonight \*\*02:00–03:00\*\* GST\./);
    await tPage.goto(`${BASE_URL}/wallet`);
    const banner = tPage.getByRole('complementary', { name: 'Important notice:' });
    assert.match(await banner.innerText(), new RegExp(title));
    await shot(tPage, '42-announcement-banner');
    await Promise.all([tPage.waitForNavigation(), banner.getByRole('link', { name: 'Read it' }).click()]);
    assert.equal(new URL(tPage.url()).pathname, '/announcements');
    const article = tPage.locator('main article', { hasText: title });
    assert.match(await article.innerText(), /<script>alert\(1\)<\/script>/);
    assert.deepEqual(await activeContent(tPage), { scripts: 0, jsLinks: 0, handlers: 0 });
    await Promise.all([tPage.waitForNavigation(), article.getByRole('button', { name: 'Mark as read' }).click()]);
    await tPage.goto(`${BASE_URL}/wallet`);
    assert.equal(await tPage.locator('.announce-banner').count(), 0, 'banner gone once read');
    assert.equal(alerted, false, 'no script ran');

    // Outside the audience: no banner, nothing listed, no mail.
    await oPage.goto(`${BASE_URL}/account`);
    assert.equal(await oPage.locator('.announce-banner').count(), 0);
    await oPage.goto(`${BASE_URL}/announcements`);
    assert.equal(await oPage.locator('main article').count(), 0);
    await assert.rejects(waitForMail(otherEmail, { timeoutMs: 1500, match: (m) => m.subject.includes(title) }));

    await Promise.all([traveller.close(), other.close(), admin.close()]);
  });

  test('a required terms version blocks the portal until accepted', async () => {
    const adminEmail = uniqueEmail('admin');
    await createAdmin(adminEmail);
    const email = uniqueEmail('terms');
    const traveller = await mobileContext(browser);
    const tPage = await traveller.newPage();
    await signUpVerifySignIn(tPage, { email, password: PASSWORD });
    await tPage.goto(`${BASE_URL}/wallet`);
    assert.equal(new URL(tPage.url()).pathname, '/wallet');

    const admin = await mobileContext(browser);
    const aPage = await admin.newPage();
    await signIn(aPage, adminEmail);
    await aPage.goto(`${BASE_URL}/admin/terms`);
    const stamp = Date.now().toString(36);
    await aPage.getByLabel('Terms (English)').fill(`# Terms ${stamp}\n\nYou agree to **travel light**.`);
    await aPage.getByLabel('Terms (Simplified Chinese)').fill(`# 条款 ${stamp}\n\n您同意**轻装出行**。`);
    await aPage.getByLabel(/must accept this version/).check();
    await Promise.all([aPage.waitForNavigation(), aPage.getByRole('button', { name: 'Preview' }).click()]);
    const preview = aPage.getByRole('region', { name: 'Preview' });
    assert.match(await preview.innerText(), /You agree to travel light\./);
    assert.match(await preview.innerText(), /您同意轻装出行。/);
    await Promise.all([
      aPage.waitForNavigation(),
      aPage.getByRole('button', { name: 'Publish this version' }).click(),
    ]);
    assert.match(await aPage.locator('main ul').first().innerText(), /acceptance required · in effect/);
    await shot(aPage, '43-terms-console');

    // The traveller's next page is the terms page, wherever they were going.
    await tPage.goto(`${BASE_URL}/wallet`);
    assert.equal(new URL(tPage.url()).pathname, '/terms');
    assert.match(await tPage.getByRole('alert').innerText(), /The terms have changed/);
    assert.match(await tPage.locator('main article').innerText(), /You agree to travel light\./);
    await shot(tPage, '44-terms-required');
    // Closing the account is never blocked by new terms.
    await tPage.goto(`${BASE_URL}/account/close`);
    assert.equal(new URL(tPage.url()).pathname, '/account/close');
    await tPage.goto(`${BASE_URL}/esims`);
    assert.equal(new URL(tPage.url()).pathname, '/terms');
    await Promise.all([
      tPage.waitForURL((u) => u.pathname === '/esims'),
      tPage.getByRole('button', { name: 'I accept these terms' }).click(),
    ]);
    await tPage.goto(`${BASE_URL}/wallet`);
    assert.equal(new URL(tPage.url()).pathname, '/wallet', 'through once accepted');

    // Someone signing up now accepts the version in effect and is not stopped.
    const fresh = await mobileContext(browser);
    const fPage = await fresh.newPage();
    await signUpVerifySignIn(fPage, { email: uniqueEmail('newcomer'), password: PASSWORD });
    await fPage.goto(`${BASE_URL}/wallet`);
    assert.equal(new URL(fPage.url()).pathname, '/wallet');

    await Promise.all([traveller.close(), admin.close(), fresh.close()]);
  });
});
