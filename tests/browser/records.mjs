// The member's records and ledger as a reviewer's decisions reach them.
import * as A from '@automerge/automerge';
import { randomUUID } from 'node:crypto';
import { login, sync, chinaNow } from './interop.mjs';
import assert from 'node:assert/strict';
import { checkIn, eventually, onlyOfflineFailures, openPage, readyMember, recordItem, root, serverRecords,
  signIn, startServer, stopServer, waitStatus, withServer } from './harness.mjs';

export function recordsTests(test) {
  test('a returned record shows its reason, and a withdrawn one leaves the score', async ({ browser }) => {
    await withServer(async server => {
      const { context, page } = await readyMember(browser, server.base, 'member03');
      await checkIn(page, { kind: '志愿服务', hours: 3, note: '义务植树' });
      await checkIn(page, { kind: '集中学习', note: '自学党史' });
      // The secretary returns the study record through the sync endpoint, as
      // the secretary's device will.
      const study = await eventually(async () =>
        (await serverRecords(server.base, 'member03')).find(r => r.note === '自学党史'), 'the study record on the server');
      const secretary = await login(server.base, 'secretary01');
      const member = await login(server.base, 'member03');
      const year = new Date(Date.now() + 8 * 3600e3).getUTCFullYear();
      const reviews = `reviews:${member.member_id}:${year}`;
      const replica = { doc: A.init(), state: A.initSyncState() };
      await sync(server.base, secretary.token, 'secretary-phone', reviews, replica);
      replica.doc = A.change(replica.doc, d => {
        d.decisions[study.record_id] = { status: 'returned', reason: '请补充学习笔记', by: secretary.member_id, at: chinaNow(), version: study.version };
      });
      const sent = await sync(server.base, secretary.token, 'secretary-phone', reviews, replica);
      assert.equal(sent.refusal, undefined, JSON.stringify(sent.refusal));

      await page.goto(`${server.base}/records`);
      const returned = recordItem(page, '自学党史');
      await returned.getByText('已退回').waitFor({ timeout: 20000 });
      await returned.getByText('退回原因：请补充学习笔记').waitFor();

      // The score counts the volunteering until it is withdrawn.
      await page.getByRole('link', { name: '我的台账' }).click();
      const total = async () => Number(await page.locator('[data-total]').textContent());
      await page.locator('[data-total]').waitFor();
      const before = await total();
      await page.getByRole('link', { name: '我的记录' }).click();
      await recordItem(page, '义务植树').getByRole('button', { name: '撤回' }).click();
      await recordItem(page, '义务植树').getByRole('button', { name: '确定撤回' }).click();
      await recordItem(page, '义务植树').getByText('已撤回').waitFor();
      await page.getByRole('link', { name: '我的台账' }).click();
      await page.waitForFunction(b => Number(document.querySelector('[data-total]')?.textContent) < b, before, { timeout: 5000 });
      const after = await total();
      assert.ok(after < before, `${after} < ${before}`);
      await eventually(async () =>
        (await serverRecords(server.base, 'member03')).find(r => r.note === '义务植树')?.status === 'withdrawn',
      'the withdrawal on the server');
      await context.close();
    });
  });
}
