// What every browser test shares: the server under test (which can be
// stopped and started again on the same port and database, to take the
// network away from a service worker too), and pages that record problems.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';

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
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()}`);
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

