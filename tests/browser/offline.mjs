// The member's phone with no network, in real Chromium: check-ins kept
// through reloads, closed pages and spoiled saves, two devices of one member,
// a new deployment, and logging out. Each test runs its own server so that
// it can stop it: that is what takes the network away from the service
// worker too (playwright #2311), beside `context.setOffline(true)`.
import * as A from '@automerge/automerge';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { login, sync, chinaNow } from './interop.mjs';
import assert from 'node:assert/strict';
import { checkIn, nav, eventually, onlyOfflineFailures, openPage, readyMember, recordItem, root, serverRecords,
  signIn, startServer, stopServer, waitStatus, withServer } from './harness.mjs';

export function offlineTests(test) {
  test('a new deployment is announced, and taken when the member presses the button', async ({ browser }) => {
    // A copy of the built site, so that "deploying" a new version touches nothing else.
    const site = mkdtempSync(join(tmpdir(), 'vanguard-site-'));
    cpSync(join(root, 'target', 'site'), site, { recursive: true });
    try {
      await withServer(async server => {
        const { context, page } = await readyMember(browser, server.base, 'member06');
        const cacheNames = () => page.evaluate(async () => (await caches.keys()).filter(n => n.startsWith('vanguard-shell-')));
        const [before] = await cacheNames();
        const sw = join(site, 'sw.js');
        writeFileSync(sw, readFileSync(sw, 'utf8').replace(/const VERSION = '[^']*'/, "const VERSION = 'next-release'"));
        await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
        const notice = page.getByRole('alert').filter({ hasText: '新版本已就绪' });
        await notice.waitFor({ timeout: 20000 });
        // Until the member presses it, the old version keeps serving.
        assert.deepEqual(await cacheNames(), [before, 'vanguard-shell-next-release'].sort());
        await Promise.all([
          page.waitForEvent('load', { timeout: 20000 }),
          page.getByRole('button', { name: '刷新使用新版本' }).click(),
        ]);
        await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
        await page.waitForFunction(async () => (await caches.keys()).filter(n => n.startsWith('vanguard-shell-')).join() === 'vanguard-shell-next-release', null, { timeout: 20000 });
        assert.equal(await notice.count(), 0);
        await context.close();
      }, { site });
    } finally {
      rmSync(site, { recursive: true, force: true });
    }
  });

  test('logging out with an unsynced record warns first, then clears this device', async ({ browser }) => {
    await withServer(async server => {
      const { context, page } = await readyMember(browser, server.base, 'member07');
      // Signing out is on the home page: opened online, then the app routes
      // between its pages on its own.
      await nav(page, '首页').click();
      await page.getByRole('button', { name: '退出登录' }).waitFor();
      await context.setOffline(true);
      await server.stop();
      await nav(page, '签到').click();
      await checkIn(page, { kind: '谈心谈话', note: '与入党积极分子谈心' });
      await page.getByText('已签到').waitFor();
      // A start with no network (the service worker's page), then 首页: it
      // needs the server, and still offers signing out.
      await page.reload();
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      await nav(page, '首页').click();
      await page.getByText('离线时仍可以签到').waitFor({ timeout: 20000 });
      const asked = [];
      page.once('dialog', d => { asked.push(d.message()); d.dismiss(); });
      await page.getByRole('button', { name: '退出登录' }).click();
      await page.waitForTimeout(300);
      assert.match(asked[0] ?? '', /1 条记录尚未同步/);
      await nav(page, '我的记录').click();
      await recordItem(page, '与入党积极分子谈心').getByText('待同步').waitFor();
      await nav(page, '首页').click();
      page.once('dialog', d => d.accept());
      await page.getByRole('button', { name: '退出登录' }).click();
      await page.waitForURL(/\/login$/, { timeout: 20000 });
      const left = await page.evaluate(async () => ({
        keys: Object.keys(localStorage).filter(k => k.startsWith('vanguard/') && k !== 'vanguard/peer'),
        caches: await caches.keys(),
      }));
      assert.deepEqual(left, { keys: [], caches: [] });
      await context.close();
    });
  });

  test('a check-in made offline survives a reload and a closed page, and syncs with no click', async ({ browser }) => {
    await withServer(async server => {
      const { context, page, problems } = await readyMember(browser, server.base, 'member01');
      await context.setOffline(true);
      await server.stop();
      await page.reload();
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      await waitStatus(page, /离线/);
      await checkIn(page, { kind: '志愿服务', hours: 'abc', note: '社区志愿服务（离线）' });
      await page.getByRole('alert').filter({ hasText: '时长应为数字' }).waitFor({ timeout: 5000 });
      await page.getByLabel('时长（小时）').fill('2');
      // The position only when asked for, and it works with no network.
      await context.grantPermissions(['geolocation']);
      await context.setGeolocation({ latitude: 39.9042, longitude: 116.4074 });
      await page.getByRole('button', { name: '添加当前位置' }).click();
      await page.getByText('已记录位置').waitFor({ timeout: 5000 });
      await page.getByRole('button', { name: '签到', exact: true }).click();
      await page.getByText('已签到，已保存在本机').waitFor({ timeout: 5000 });
      await waitStatus(page, /离线，1 条待同步/);
      await page.getByRole('link', { name: '我的记录' }).click();
      await recordItem(page, '社区志愿服务（离线）').getByText('待同步').waitFor({ timeout: 5000 });

      // A new page, still with no network: the record is still there.
      await page.close();
      const again = await context.newPage();
      await again.goto(`${server.base}/records`);
      await again.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      await recordItem(again, '社区志愿服务（离线）').getByText('待同步').waitFor({ timeout: 5000 });

      // The network returns: the record goes up without a click.
      await server.restart();
      await context.setOffline(false);
      await recordItem(again, '社区志愿服务（离线）').getByText('待审核').waitFor({ timeout: 20000 });
      await waitStatus(again, /已同步/);
      const stored = await eventually(async () =>
        (await serverRecords(server.base, 'member01')).find(r => r.note === '社区志愿服务（离线）'), 'the record on the server');
      assert.equal(stored.kind, 'volunteer');
      assert.equal(stored.hours, 2);
      assert.deepEqual([stored.lat, stored.lon], [39.9042, 116.4074]);
      assert.equal(stored.status, 'submitted');
      onlyOfflineFailures(problems);
      await context.close();
    });
  });

  test('a check-in whose appended save was spoiled is salvaged, and the next save replaces the bad bytes', async ({ browser }) => {
    await withServer(async server => {
      const { context, page, problems } = await readyMember(browser, server.base, 'member01');
      await context.setOffline(true);
      await server.stop();
      await checkIn(page, { kind: '集中学习', note: '学习（追加保存）' });
      await page.getByText('已签到，已保存在本机').waitFor({ timeout: 5000 });
      // The check-in was appended after the full save; bytes Automerge
      // cannot read now follow it, so the two no longer load together.
      const key = await page.evaluate(() => {
        const key = Object.keys(localStorage).find(k => k.startsWith('vanguard/tail/checkins:'));
        if (!key) return null;
        // gloo-storage keeps each value as JSON: a quoted base64 string.
        const spoiled = atob(JSON.parse(localStorage.getItem(key))) + '\x85\x6f\x4a\x83\xde\xad\xbe\xef';
        localStorage.setItem(key, JSON.stringify(btoa(spoiled)));
        return key;
      });
      assert.ok(key, 'the check-in went into the appended part');
      await page.goto(`${server.base}/records`);
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      await recordItem(page, '学习（追加保存）').getByText('待同步').waitFor({ timeout: 5000 });

      // The next save writes the document whole and drops the bad bytes,
      // so a later check-in survives a reload too.
      await nav(page, '签到').click();
      await checkIn(page, { kind: '集中学习', note: '学习（整存之后）' });
      await page.getByText('已签到，已保存在本机').waitFor({ timeout: 5000 });
      assert.equal(await page.evaluate(k => localStorage.getItem(k), key), null);
      await page.goto(`${server.base}/records`);
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      for (const note of ['学习（追加保存）', '学习（整存之后）']) {
        await recordItem(page, note).getByText('待同步').waitFor({ timeout: 5000 });
      }
      onlyOfflineFailures(problems);
      await context.close();
    });
  });

  test('past 32 KiB of appended saves, the next save writes the document whole', async ({ browser }) => {
    await withServer(async server => {
      const { context, page, problems } = await readyMember(browser, server.base, 'member01');
      await context.setOffline(true);
      await server.stop();
      await checkIn(page, { kind: '集中学习', note: '学习（长尾之前）' });
      await page.getByText('已签到，已保存在本机').waitFor({ timeout: 5000 });
      // The same changes appended again and again: still a tail that loads
      // (Automerge skips changes it has), now past the 32 KiB limit.
      const before = await page.evaluate(() => {
        const tail = Object.keys(localStorage).find(k => k.startsWith('vanguard/tail/checkins:'));
        const doc = tail.replace('/tail/', '/doc/');
        const bytes = atob(JSON.parse(localStorage.getItem(tail)));
        localStorage.setItem(tail, JSON.stringify(btoa(bytes.repeat(Math.ceil(33 * 1024 / bytes.length)))));
        return { tail, doc, full: localStorage.getItem(doc) };
      });
      await page.reload();
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      await checkIn(page, { kind: '集中学习', note: '学习（长尾之后）' });
      await page.getByText('已签到，已保存在本机').waitFor({ timeout: 5000 });
      const after = await page.evaluate(({ tail, doc }) =>
        ({ tail: localStorage.getItem(tail), full: localStorage.getItem(doc) }), before);
      assert.equal(after.tail, null, 'the tail is dropped');
      assert.notEqual(after.full, before.full, 'the document was saved whole');
      await page.goto(`${server.base}/records`);
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      for (const note of ['学习（长尾之前）', '学习（长尾之后）']) {
        await recordItem(page, note).getByText('待同步').waitFor({ timeout: 5000 });
      }
      onlyOfflineFailures(problems);
      await context.close();
    });
  });

  test('two browsers of one member check in offline and each sees both records', async ({ browser }) => {
    await withServer(async server => {
      const a = await readyMember(browser, server.base, 'member02');
      const b = await readyMember(browser, server.base, 'member02');
      await a.context.setOffline(true);
      await b.context.setOffline(true);
      await server.stop();
      await checkIn(a.page, { kind: '走访', note: '走访困难党员（手机）' });
      await checkIn(b.page, { kind: '集中学习', note: '学习党章（电脑）' });
      await a.page.getByText('已签到').waitFor();
      await b.page.getByText('已签到').waitFor();
      await server.restart();
      await a.context.setOffline(false);
      await waitStatus(a.page, /已同步/);
      await b.context.setOffline(false);
      await waitStatus(b.page, /已同步/);
      // A syncs again on its next start, and gets B's record.
      await a.page.goto(`${server.base}/records`);
      for (const { page } of [a, b]) {
        if (!page.url().endsWith('/records')) await page.getByRole('link', { name: '我的记录' }).click();
        await recordItem(page, '走访困难党员（手机）').waitFor({ timeout: 20000 });
        await recordItem(page, '学习党章（电脑）').waitFor({ timeout: 20000 });
      }
      await a.context.close();
      await b.context.close();
    });
  });
}
