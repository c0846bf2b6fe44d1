// Browser end-to-end tests: the built server (the same binary and bundles
// `make run` serves) on a scratch SQLite database, driven in Debian's
// headless Chromium. One file per area; tests that change data start a
// server of their own (`withServer`), the others share one. `ONLY=text`
// runs the tests whose name contains it. Prints "browser: N passed, N failed".
import { chromium } from 'playwright-core';
import { rmSync } from 'node:fs';
import { accountTests } from './accounts.mjs';
import { consoleTests } from './console.mjs';
import { eventTests } from './events.mjs';
import { figureTests } from './figures.mjs';
import { firstLoadBytes, startServer } from './harness.mjs';
import { jsAutomergeSyncsWithTheServer } from './interop.mjs';
import { offlineTests } from './offline.mjs';
import { recordsTests } from './records.mjs';
import { reviewTests } from './review.mjs';
import { ledgerTests } from './ledger.mjs';
import { memberAppTests } from './member_app.mjs';
import { yearEndTests } from './year_end.mjs';

const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

accountTests(test);
consoleTests(test);
test('the official JavaScript Automerge syncs a record into the server', async ({ base }) => {
  await jsAutomergeSyncsWithTheServer(base);
});
offlineTests(test);
recordsTests(test);
eventTests(test);
reviewTests(test);
ledgerTests(test);
memberAppTests(test);
yearEndTests(test);
figureTests(test);

const server = await startServer();
const browser = await chromium.launch({ executablePath: chromiumPath, args: FLAGS });
let passed = 0, failed = 0;
try {
  for (const { name, fn } of tests.filter(t => t.name.includes(process.env.ONLY ?? ''))) {
    try {
      await fn({ browser, base: server.base, chromiumPath, flags: FLAGS });
      passed++;
      console.log(`ok - ${name}`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${name}\n  ${String(e?.stack ?? e).split('\n').join('\n  ')}`);
    }
  }
  const kib = async bundle => (await firstLoadBytes(server.base, bundle) / 1024).toFixed(1);
  console.log(`first load (WASM + JS + CSS, gzipped): ${await kib('vanguard')} KiB`);
  console.log(`console first load (WASM + JS + CSS, gzipped): ${await kib('console')} KiB`);
} finally {
  await browser.close();
  server.child.kill('SIGTERM');
  rmSync(server.dir, { recursive: true, force: true });
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
