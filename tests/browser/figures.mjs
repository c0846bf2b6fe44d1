// Figures for the closing note, printed, never asserted on time: /checkin
// opened from the service worker with no network under 4x CPU throttling,
// one check-in saved into a year document of 500 records, and each
// bundle's first load.
import * as A from '@automerge/automerge';
import { randomUUID } from 'node:crypto';
import { login, sync } from './interop.mjs';
import assert from 'node:assert/strict';
import { checkIn, nav, eventually, onlyOfflineFailures, openPage, readyMember, recordItem, root, serverRecords,
  signIn, startServer, stopServer, waitStatus, withServer } from './harness.mjs';

async function timedReload(page) {
  const started = Date.now();
  await page.reload();
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30000 });
  const hydrated = Date.now() - started;
  await page.getByRole('button', { name: '签到', exact: true }).waitFor({ timeout: 30000 });
  const interactive = Date.now() - started;
  const where = await page.evaluate(() => {
    const ms = t => Math.round(t);
    const html = ms(performance.getEntriesByType('navigation')[0].responseEnd);
    const files = performance.getEntriesByType('resource')
      .map(r => `${r.name.split('/').pop()} ${ms(r.startTime)}-${ms(r.responseEnd)}`);
    const marks = performance.getEntriesByType('mark')
      .filter(m => m.name.startsWith('vanguard-'))
      .map(m => `${m.name.replace('vanguard-', '')} ${ms(m.startTime)}`);
    return `HTML by ${html}; ${files.join(', ')}; ${marks.join(', ')}`;
  });
  // How long the old page took to go before the new one's navigation began.
  const before = Math.round(await page.evaluate(() => performance.timeOrigin) - started);
  return { hydrated, interactive, where: `navigation began ${before} ms after the reload; ${where}` };
}

export function figureTests(test) {
  test('figures: an offline start under 4x CPU throttling, and a save into 500 records', async ({ browser }) => {
    await withServer(async server => {
      const member = await login(server.base, 'member05');
      const year = new Date(Date.now() + 8 * 3600e3).getUTCFullYear();
      const docId = `checkins:${member.member_id}:${year}`;
      // The member's documents come into being when /api/me lists them.
      await fetch(`${server.base}/api/me`, { headers: { authorization: `Bearer ${member.token}` } });
      // What the demo's year already holds, besides the 500 added here.
      const existing = (await (await fetch(`${server.base}/api/members/${member.member_id}/records?year=${year}`,
        { headers: { authorization: `Bearer ${member.token}` } })).json()).length;
      const replica = { doc: A.init(), state: A.initSyncState() };
      await sync(server.base, member.token, 'figures-seed', docId, replica);
      // One change per record, as 500 check-ins over a year would be.
      for (let i = 0; i < 500; i++) {
        replica.doc = A.change(replica.doc, d => {
          d.records[randomUUID()] = { kind: 'study', occurred_at: `${year}-01-01T08:00:00+08:00`, note: `第 ${i + 1} 次学习` };
        });
      }
      const seeded = await sync(server.base, member.token, 'figures-seed', docId, replica);
      assert.equal(seeded.refusal, undefined, JSON.stringify(seeded.refusal));

      const { context, page } = await readyMember(browser, server.base, 'member05');
      await page.getByRole('link', { name: '我的记录' }).click();
      await page.waitForFunction(n => document.querySelectorAll('li.record').length === n, existing + 500, { timeout: 30000 });
      await nav(page, '签到').click();

      await context.setOffline(true);
      await server.stop();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      const throttled = await timedReload(page);
      console.log(`figure: throttled start, ms from navigation: ${throttled.where}`);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
      const fast = await timedReload(page);
      console.log(`figure: the same without throttling: hydrated in ${fast.hydrated} ms, the form in ${fast.interactive} ms; ms from navigation: ${fast.where}`);

      const saves = [];
      for (let i = 0; i < 5; i++) {
        await checkIn(page, { kind: '集中学习', note: `第 ${501 + i} 次学习` });
        await page.waitForFunction(() => document.documentElement.dataset.lastSaveMs !== undefined);
        saves.push(Number(await page.evaluate(() => document.documentElement.dataset.lastSaveMs)));
        await page.evaluate(() => { delete document.documentElement.dataset.lastSaveMs; });
      }
      await page.getByRole('link', { name: '我的记录' }).click();
      await page.waitForFunction(n => document.querySelectorAll('li.record').length === n, existing + 505, { timeout: 30000 });
      saves.sort((a, b) => a - b);
      console.log(`figure: /checkin offline from the service worker, 4x CPU throttling: hydrated in ${throttled.hydrated} ms, the check-in form ready, with the member's ${existing + 500}-record document open, in ${throttled.interactive} ms`);
      console.log(`figure: saving a check-in into a ${existing + 500}-record document: median ${saves[2]} ms, max ${saves[4]} ms (5 saves)`);
      await context.close();
    });
  });

  test('figures: /console/review with 1,000 records waiting, under 4x CPU throttling', async ({ browser }) => {
    await withServer(async server => {
      // The second branch's ten members, 100 records each, one change apiece,
      // after what the demo's year left waiting.
      const year = new Date(Date.now() + 8 * 3600e3).getUTCFullYear();
      const reviewer = await login(server.base, 'secretary02');
      const waiting = (await (await fetch(`${server.base}/api/review/queue?year=${year}`,
        { headers: { authorization: `Bearer ${reviewer.token}` } })).json()).length;
      const total = waiting + 1000;
      const month = String(new Date(Date.now() + 8 * 3600e3).getUTCMonth() + 1).padStart(2, '0');
      for (let m = 11; m <= 20; m++) {
        const member = await login(server.base, `member${m}`);
        await fetch(`${server.base}/api/me`, { headers: { authorization: `Bearer ${member.token}` } });
        const docId = `checkins:${member.member_id}:${year}`;
        const replica = { doc: A.init(), state: A.initSyncState() };
        await sync(server.base, member.token, 'figures-seed', docId, replica);
        replica.doc = A.change(replica.doc, d => {
          for (let i = 0; i < 100; i++) {
            const day = String(1 + (i % 28)).padStart(2, '0');
            const hour = String(6 + Math.floor(i / 28) * 3).padStart(2, '0');
            d.records[randomUUID()] = { kind: 'visit', occurred_at: `${year}-${month}-${day}T${hour}:00:00+08:00`, note: `走访 ${i + 1}` };
          }
        });
        const seeded = await sync(server.base, member.token, 'figures-seed', docId, replica);
        assert.equal(seeded.refusal, undefined, JSON.stringify(seeded.refusal));
      }
      const { context, page } = await openPage(browser);
      await signIn(page, server.base, 'secretary02');
      await page.waitForURL(`${server.base}/`, { timeout: 10000 });
      await page.goto(`${server.base}/console/review`);
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30000 });
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      const started = Date.now();
      await page.reload();
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 60000 });
      const hydrated = Date.now() - started;
      // The oldest page of rows, the count of all, and 批量通过 ready.
      await page.waitForFunction(() => document.querySelectorAll('table.queue tbody tr').length === 50, null, { timeout: 60000 });
      await page.getByText(new RegExp(`^共 ${total} 条待审核`)).waitFor({ timeout: 60000 });
      await page.locator('button.primary:not([disabled])', { hasText: '批量通过' }).waitFor({ timeout: 60000 });
      const interactive = Date.now() - started;
      console.log(`figure: /console/review with ${total} records waiting (the oldest 50 shown), 4x CPU throttling: hydrated in ${hydrated} ms, interactive in ${interactive} ms`);
      // And the rest a page at a time.
      const more = Date.now();
      await page.getByRole('button', { name: /显示更多/ }).click();
      await page.waitForFunction(() => document.querySelectorAll('table.queue tbody tr').length === 100, null, { timeout: 60000 });
      console.log(`figure: 显示更多 (50 more rows), 4x CPU throttling: ${Date.now() - more} ms`);
      await context.close();
    });
  });
}
