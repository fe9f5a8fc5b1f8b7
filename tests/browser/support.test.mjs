// Support tickets in the portal, in headless Chromium on a phone: a
// traveller opens a ticket (with markup that must stay text), a support
// agent made with the real CLI (`tern admin create --role support`) finds
// it in the queue, answers it, and the traveller reads the answer from the
// emailed link and writes back. No JavaScript is needed; the markup never
// runs (no dialog opens). Screenshots land in tests/browser/artifacts/40-*.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  BASE_URL,
  DATA_DIR,
  TERN_BIN,
  launch,
  linkIn,
  mobileContext,
  shot,
  signUpVerifySignIn,
  uniqueEmail,
  waitForMail,
} from './lib.mjs';

const PASSWORD = 'correct horse battery staple';
const IMMEDIATE = /^0\w*$/.test(process.env.TERN_CLOSURE__COOLING_OFF || '');
const MALICIOUS = '<script>alert("x")</script>\n<img src=x onerror="alert(1)"> <a href="javascript:alert(2)">click</a>';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** A support account made with the real CLI against the server's database. */
async function supportAccount(email) {
  if (!TERN_BIN) throw new Error('TERN_BIN must be set (scripts/browser-tests sets it)');
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'tern-staff-'));
  try {
    const env = { ...process.env, TERN_DATA_DIR: DATA_DIR, TERN_CONFIG: join(dir, 'none.toml') };
    if (!env.TERN_DATABASE_URL) delete env.TERN_DATABASE_URL;
    await promisify(execFile)(
      TERN_BIN,
      ['admin', 'create', '--email', email, '--role', 'support', '--password', PASSWORD],
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

/** Fails the test if any script on the page opens a dialog. */
function noDialogs(page) {
  const seen = [];
  page.on('dialog', async (d) => {
    seen.push(d.message());
    await d.dismiss();
  });
  return seen;
}

describe('support tickets', { skip: IMMEDIATE && 'runs on the default configuration' }, () => {
  test('a user opens a ticket and a support user answers it', async () => {
    const traveller = await mobileContext(browser);
    const agent = await mobileContext(browser);
    try {
      // The agent exists before the ticket, so they are told of it.
      const staffEmail = uniqueEmail('agent');
      await supportAccount(staffEmail);
      const page = await traveller.newPage();
      const dialogs = noDialogs(page);
      const email = uniqueEmail('asker');
      await signUpVerifySignIn(page, { email, password: PASSWORD });

      // The signed-in navigation leads to support; the form asks what it is about.
      await page.locator('nav').getByRole('link', { name: 'Support' }).click();
      await page.waitForURL(/\/support$/);
      await page.getByLabel('What is it about?').selectOption('installation');
      await page.getByLabel('Subject').fill('The QR code will not scan');
      await page.getByLabel('Your message').fill(MALICIOUS);
      await shot(page, '40-support-new-ticket');
      await Promise.all([
        page.waitForURL(/\/support\/[^/?]+\?notice=created/),
        page.getByRole('button', { name: 'Send to support' }).click(),
      ]);
      const ticketUrl = page.url().split('?')[0];
      assert.equal((await page.locator('h1').innerText()).trim(), 'The QR code will not scan');
      assert.match(await page.locator('.notice[role=status]').innerText(), /Your ticket is open/);
      const body = page.locator('.message-body').first();
      assert.equal(await body.innerText(), MALICIOUS.replace('\n', '\n'));
      assert.equal(await page.locator('main script, main img, main a[href^="javascript:"]').count(), 0);
      await shot(page, '40-support-ticket-open');

      // The agent: the queue, the ticket, the answer.
      const desk = await agent.newPage();
      const deskDialogs = noDialogs(desk);
      await signIn(desk, staffEmail);
      await waitForMail(staffEmail, { match: (m) => /New support ticket/.test(m.subject) });
      await desk.goto(`${BASE_URL}/admin/tickets`);
      assert.match(await desk.locator('[data-figure=open]').innerText(), /^[1-9]\d*$/);
      await desk.getByRole('link', { name: 'The QR code will not scan' }).click();
      await desk.waitForURL(/\/admin\/tickets\/[^/]+$/);
      assert.equal(await desk.locator('main script, main img').count(), 0);
      await desk.getByLabel(/Answer the customer/).fill('Hello,\nopen the code on another screen and scan it from there.');
      await Promise.all([
        desk.waitForNavigation(),
        desk.getByRole('button', { name: 'Send answer' }).click(),
      ]);
      assert.equal((await desk.locator('main .badge').first().innerText()).trim(), 'Waiting for your reply');
      await shot(desk, '40-support-agent-answered');

      // The traveller gets the answer by email and replies from the ticket.
      const mail = await waitForMail(email, { match: (m) => /Support replied/.test(m.subject) });
      assert.match(mail.text, /open the code on another screen/);
      assert.equal(mail.html, false, 'plain text only');
      await page.goto(linkIn(mail, new URL(ticketUrl).pathname));
      assert.match(await page.locator('.message-body').nth(1).innerText(), /open the code on another screen/);
      await page.getByLabel('Reply').fill('That worked, thank you!');
      await Promise.all([
        page.waitForURL(/notice=sent/),
        page.getByRole('button', { name: 'Send reply' }).click(),
      ]);
      assert.equal((await page.locator('main .badge').first().innerText()).trim(), 'Open');
      await shot(page, '40-support-replied');
      assert.deepEqual([...dialogs, ...deskDialogs], [], 'no script from a message ever ran');
    } finally {
      await traveller.close();
      await agent.close();
    }
  });
});
