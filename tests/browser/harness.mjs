// What every browser test shares: the server under test (which can be
// stopped and started again on the same port and database, to take the
// network away from a service worker too), and pages that record problems.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { login } from './interop.mjs';

export const root = resolve(import.meta.dirname, '..', '..');
const serverBin = process.env.VANGUARD_BIN ?? join(root, 'target', 'debug', 'vanguard');

function freePort() {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => ok(port)); });
    srv.on('error', fail);
  });
}

// Starts the server on a scratch SQLite database with demo data; pass an
// earlier server's `port` and `dir` to bring it back.
export async function startServer({ port, dir, site } = {}) {
  dir ??= mkdtempSync(join(tmpdir(), 'vanguard-e2e-'));
  port ??= await freePort();
  const child = spawn(serverBin, ['serve'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'e2e.db')}`, VANGUARD_ADDR: `127.0.0.1:${port}`,
      VANGUARD_SITE_ROOT: site ?? join(root, 'target', 'site'), VANGUARD_DEMO: '1', RUST_LOG: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) return { base, child, dir, port, site }; } catch { /* not up yet */ }
    await new Promise(r => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('server did not start');
}

export async function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise(r => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

// Opens a page that records console errors and failed requests.
export async function openPage(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('console', m => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', e => problems.push(`page error: ${e.message}`));
  // A request cut off by leaving the page (a background sync) is no fault.
  page.on('requestfailed', r => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  return { context, page, problems };
}

// Signs in through the login page, as a person would.
export async function signIn(page, base, username, password = 'demo-password') {
  await page.goto(`${base}/login`);
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
}


export async function waitStatus(page, pattern, timeout = 20000) {
  await page.waitForFunction(
    p => [...document.querySelectorAll('[role=status]')].some(e => new RegExp(p).test(e.textContent)),
    pattern.source, { timeout });
}

// Signs in, opens /checkin, and waits until the documents are on the device
// and the service worker controls the page.
export async function readyMember(browser, base, username) {
  const opened = await openPage(browser);
  const { page } = opened;
  await signIn(page, base, username);
  await page.waitForURL(`${base}/`, { timeout: 10000 });
  await nav(page, '签到').click();
  await page.waitForURL(`${base}/checkin`);
  await waitStatus(page, /已同步/);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20000 });
  return opened;
}

// A tab of the navigation every page shares (the home page has its own
// 签到 buttons for today's events).
export function nav(page, name) {
  return page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name, exact: true });
}

export async function checkIn(page, { kind, hours, note, code }) {
  await page.getByLabel('类型').selectOption({ label: kind });
  if (hours !== undefined) await page.getByLabel('时长（小时）').fill(String(hours));
  if (code !== undefined) await page.getByLabel('签到码').fill(code);
  if (note !== undefined) await page.getByLabel('备注').fill(note);
  await page.getByRole('button', { name: '签到', exact: true }).click();
}

export function recordItem(page, text) {
  return page.locator('li.record').filter({ hasText: text });
}

export async function withServer(fn, options = {}) {
  let server = await startServer(options);
  const handle = {
    get base() { return server.base; },
    stop: () => stopServer(server),
    restart: async () => { server = await startServer({ port: server.port, dir: server.dir, site: server.site }); },
  };
  try {
    await fn(handle);
  } finally {
    await stopServer(server);
    rmSync(server.dir, { recursive: true, force: true });
  }
}

// Retries until `fn` answers something truthy: for what arrives by a
// background sync.
export async function eventually(fn, what, timeout = 20000) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 250));
  }
}

// Offline, the only failures allowed are the requests the stopped server
// could not answer.
export function onlyOfflineFailures(problems) {
  assert.deepEqual(problems.filter(p => !/ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|Failed to load resource/.test(p)), []);
}

const sessions = new Map();

// Saves a screenshot of the whole page as target/screenshots/{name}.png,
// for the people who judge how the pages look.
export async function shot(page, name) {
  const dir = join(root, 'target', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

// One JSON API call with a session's token.
export async function api(base, session, path, init = {}) {
  const res = await fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

export async function serverRecords(base, username) {
  const key = `${base} ${username}`;
  if (!sessions.has(key)) sessions.set(key, await login(base, username));
  const session = sessions.get(key);
  const year = new Date(Date.now() + 8 * 3600e3).getUTCFullYear();
  const res = await fetch(`${base}/api/members/${session.member_id}/records?year=${year}`, {
    headers: { authorization: `Bearer ${session.token}` },
  });
  assert.equal(res.status, 200);
  return res.json();
}

// The bytes a first visit transfers for one bundle (`vanguard` for the
// phone's, `console` for the console's): the gzip copies the server sends a
// browser that accepts gzip (written by `vanguard precompress`), with the
// stylesheet both share and the console's own.
export async function firstLoadBytes(base, bundle) {
  let total = 0;
  const styles = bundle === 'console' ? ['vanguard.css', 'console.css'] : ['vanguard.css'];
  for (const f of [`${bundle}_bg.wasm`, `${bundle}.js`, ...styles]) {
    const res = await fetch(`${base}/pkg/${f}`, { headers: { 'accept-encoding': 'gzip' } });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.headers.get('content-encoding') !== 'gzip') {
      throw new Error(`${f} was not served gzipped`);
    }
    const sent = Number(res.headers.get('content-length'));
    // What arrived unpacks to the file, and gzip -9 of it is no smaller.
    if (!(sent > 0 && sent <= gzipSync(body, { level: 9 }).length)) {
      throw new Error(`${f}: ${sent} bytes sent, gzip -9 would send ${gzipSync(body, { level: 9 }).length}`);
    }
    total += sent;
  }
  return total;
}
