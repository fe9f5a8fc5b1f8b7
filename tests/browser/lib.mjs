// Shared helpers for the portal browser tests: launching Debian's
// Chromium through playwright-core, reading the mail outbox, screenshots.

import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { simpleParser } from 'mailparser';

const here = dirname(fileURLToPath(import.meta.url));

/** Where the server under test listens, e.g. http://127.0.0.1:8080 (no trailing slash). */
export const BASE_URL = (process.env.TERN_URL || '').replace(/\/+$/, '');
/** The server's data directory; mail lands in <dir>/outbox/mail/. */
export const DATA_DIR = process.env.TERN_DATA_DIR || '';
/** Screenshots go here; a pass label (e.g. "postgres") keeps passes apart. */
export const ARTIFACTS = join(here, 'artifacts', process.env.TERN_TEST_PASS || '');

if (!BASE_URL || !DATA_DIR) {
  throw new Error(
    'TERN_URL and TERN_DATA_DIR must be set (scripts/browser-tests starts a server and sets them)',
  );
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    // playwright-core adds its own --headless flag too; ours is harmless.
    headless: true,
  });
}

/** A phone-sized context (iPhone 12–15 class). */
export async function mobileContext(browser, extra = {}) {
  return browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'en-GB',
    ...extra,
  });
}

/** Full-page PNG screenshot into artifacts/<name>.png. */
export async function shot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A unique, valid-looking address per run so repeated runs never collide. */
export function uniqueEmail(tag = 'traveller') {
  const n = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  return `${tag}+${n}@example.com`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for an email to `to` in the outbox and returns it parsed
 * (subject, text, html, headers). Polls because a background worker
 * delivers mail a little after the request that caused it.
 */
export async function waitForMail(to, { timeoutMs = 15000, match = () => true } = {}) {
  const dir = join(DATA_DIR, 'outbox', 'mail');
  const seen = new Map();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let names = [];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.eml'));
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    for (const name of names) {
      if (!seen.has(name)) {
        const parsed = await simpleParser(await readFile(join(dir, name)));
        seen.set(name, parsed);
      }
      const mail = seen.get(name);
      const rcpts = (mail.to?.value || []).map((a) => a.address.toLowerCase());
      if (rcpts.includes(to.toLowerCase()) && match(mail)) return mail;
    }
    await sleep(200);
  }
  throw new Error(`no email to ${to} in ${dir} within ${timeoutMs} ms`);
}

/** The first link in the mail (text or HTML part) whose path is `path`. */
export function linkIn(mail, path) {
  const bodies = [mail.text || '', mail.html || ''];
  for (const body of bodies) {
    for (const m of body.matchAll(/https?:\/\/[^\s"'<>]+/g)) {
      const raw = m[0].replace(/&amp;/g, '&').replace(/[).,;]+$/, '');
      const url = new URL(raw);
      if (url.pathname === path) return url.toString();
    }
  }
  throw new Error(`no ${path} link in mail "${mail.subject}"`);
}

// --- helpers for the shop story (shop.test.mjs) -----------------------------

/** The Tern binary the server runs (scripts/browser-tests exports it). */
export const TERN_BIN = process.env.TERN_BIN || '';

/**
 * Signs up `email` on /signup, opens the verification link from the mail
 * and signs in on /login (English UI). Ends on /account.
 */
export async function signUpVerifySignIn(page, { email, password, name = '' }) {
  await page.goto(`${BASE_URL}/signup`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  if (name) await page.getByLabel('Name (optional)').fill(name);
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Create account' }).click(),
  ]);
  await page.goto(linkIn(await waitForMail(email), '/verify-email'));
  await page.goto(`${BASE_URL}/login`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== '/login'),
    page.locator('main').getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
}

/**
 * Issues voucher codes with the real CLI (`tern vouchers issue`) against
 * the running server's data directory and database, and returns the codes
 * read back from the CSV it writes.
 */
export async function issueVouchers({ value = '20.00', currency = 'USD', count = 1 } = {}) {
  if (!TERN_BIN) throw new Error('TERN_BIN must be set (scripts/browser-tests sets it)');
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'tern-vouchers-'));
  try {
    const out = join(dir, 'codes.csv');
    const env = { ...process.env, TERN_DATA_DIR: DATA_DIR, TERN_CONFIG: join(dir, 'none.toml') };
    // Same database as the server: SQLite in the data dir unless a URL is set.
    if (!env.TERN_DATABASE_URL) delete env.TERN_DATABASE_URL;
    await promisify(execFile)(
      TERN_BIN,
      ['vouchers', 'issue', '--value', value, '--currency', currency, '--count', String(count), '--out', out],
      { env, cwd: dir, timeout: 60000 },
    );
    const [header, ...rows] = (await readFile(out, 'utf8')).trim().split(/\r?\n/);
    const col = header.split(',').indexOf('code');
    if (col < 0) throw new Error(`no code column in ${header}`);
    return rows.map((r) => r.split(',')[col]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Creates a network API key with the real CLI (`tern admin api-key create
 * --role network`) against the running server's database, and returns it.
 */
export async function networkKey() {
  if (!TERN_BIN) throw new Error('TERN_BIN must be set (scripts/browser-tests sets it)');
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'tern-key-'));
  try {
    const env = { ...process.env, TERN_DATA_DIR: DATA_DIR, TERN_CONFIG: join(dir, 'none.toml') };
    if (!env.TERN_DATABASE_URL) delete env.TERN_DATABASE_URL;
    const { stdout } = await promisify(execFile)(
      TERN_BIN,
      ['admin', 'api-key', 'create', '--role', 'network', '--name', 'browser-test'],
      { env, cwd: dir, timeout: 60000 },
    );
    const key = stdout.match(/tern_key_[A-Za-z0-9_-]+/);
    if (!key) throw new Error(`no key in: ${stdout}`);
    return key[0];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
