// The console's bundle: the pages of secretaries and officers hydrate from
// their own WASM, which a member's phone never downloads.
import assert from 'node:assert/strict';
import { openPage, readyMember, signIn } from './harness.mjs';

// The bundle files a page loaded.
function bundlesLoaded(page) {
  return page.evaluate(() => performance.getEntriesByType('resource')
    .map(r => new URL(r.name).pathname)
    .filter(p => p.startsWith('/pkg/') && p.endsWith('.wasm')));
}

export function consoleTests(test) {
  test('the console bundle hydrates /members and /host with no console error', async ({ browser, base }) => {
    const { context, page, problems } = await openPage(browser);
    await signIn(page, base, 'secretary01');
    await page.waitForURL(`${base}/`, { timeout: 10000 });
    for (const path of ['/members', '/host', '/console']) {
      await page.goto(`${base}${path}`);
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      assert.deepEqual(await bundlesLoaded(page), ['/pkg/console_bg.wasm'], path);
      // The frame: who is signed in, their branch, and the console's tab.
      await page.locator('header .who').filter({ hasText: '赵书记' }).filter({ hasText: '第一党支部' }).waitFor();
      assert.equal(await page.locator('nav.tabs a[href="/console"]').getAttribute('aria-current'), 'page', path);
    }
    // A link inside the console routes without a new page load.
    await page.goto(`${base}/console`);
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
    const loads = await page.evaluate(() => performance.getEntriesByType('navigation').length);
    await page.getByRole('link', { name: '成员管理' }).click();
    await page.waitForURL(`${base}/console/members`);
    await page.getByRole('row', { name: /王建国/ }).waitFor();
    assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation').length), loads);
    // And a tab of the member's pages loads the phone's bundle.
    await page.getByRole('link', { name: '我的台账' }).click();
    await page.waitForURL(`${base}/ledger`);
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
    assert.deepEqual(await bundlesLoaded(page), ['/pkg/vanguard_bg.wasm']);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("a member's phone never loads the console bundle, and its controls are 44 px tall", async ({ browser, base }) => {
    const { context, page, problems } = await readyMember(browser, base, 'member02');
    await page.setViewportSize({ width: 360, height: 740 });
    for (const path of ['/checkin', '/records', '/ledger']) {
      await page.getByRole('link', { name: { '/checkin': '签到', '/records': '我的记录', '/ledger': '我的台账' }[path], exact: true }).click();
      await page.waitForURL(`${base}${path}`);
      const small = await page.$$eval('nav.tabs a, header a, header button', els => els
        .filter(e => e.offsetParent !== null)
        .map(e => [e.textContent.trim(), e.getBoundingClientRect().height])
        .filter(([, h]) => h < 44));
      assert.deepEqual(small, [], `controls under 44 px on ${path}`);
    }
    assert.equal(await page.locator('nav.tabs a[href="/console"]').count(), 0, 'no console tab for a member');
    const fetched = await page.evaluate(() => performance.getEntriesByType('resource').map(r => new URL(r.name).pathname));
    assert.ok(!fetched.some(p => p.startsWith('/pkg/console')), fetched.join(', '));
    const cached = await page.evaluate(async () => {
      const out = [];
      for (const name of await caches.keys()) {
        for (const req of await (await caches.open(name)).keys()) out.push(new URL(req.url).pathname);
      }
      return out;
    });
    assert.ok(cached.includes('/pkg/vanguard_bg.wasm') && !cached.some(p => p.startsWith('/pkg/console')), cached.join(', '));
    assert.deepEqual(problems, []);
    await context.close();
  });
}
