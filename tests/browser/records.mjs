// The member's records and ledger as a reviewer's decisions reach them.
import * as A from '@automerge/automerge';
import { randomUUID } from 'node:crypto';
import { login, sync, chinaNow } from './interop.mjs';
import assert from 'node:assert/strict';
import { api, checkIn, eventually, onlyOfflineFailures, openPage, readyMember, recordItem, root, serverRecords,
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

  test('an approved record edited on the phone warns first, and comes back to the queue as 曾通过 with its old value; a double tap checks in once', async ({ browser }) => {
    await withServer(async server => {
      const { context, page } = await readyMember(browser, server.base, 'member03');
      await checkIn(page, { kind: '志愿服务', hours: 3, note: '修缮党员活动室' });
      const record = await eventually(async () =>
        (await serverRecords(server.base, 'member03')).find(r => r.note === '修缮党员活动室'), 'the record on the server');
      const secretary = await login(server.base, 'secretary01');
      const member = await login(server.base, 'member03');
      const approved = await api(server.base, secretary, '/api/reviews', {
        method: 'POST',
        body: JSON.stringify({ member_id: member.member_id, record_id: record.record_id, status: 'approved' }),
      });
      assert.equal(approved.status, 200, JSON.stringify(approved.body));

      await page.goto(`${server.base}/records`);
      const item = recordItem(page, '修缮党员活动室');
      await item.getByText('已通过').waitFor({ timeout: 20000 });
      await item.getByRole('button', { name: '更正' }).click();
      await item.getByText('这条记录已通过审核。保存更正后，它将回到待审核，须重新审核通过。').waitFor();
      await item.getByLabel('时长（小时）').fill('8');
      await item.getByRole('button', { name: '保存更正' }).click();
      await eventually(async () =>
        (await serverRecords(server.base, 'member03')).find(r => r.record_id === record.record_id)?.hours === 8,
      'the correction on the server');

      // The queue asks again, shows what was approved, and never preselects it.
      const queue = await api(server.base, secretary, '/api/review/queue');
      const back = queue.body.find(i => i.record_id === record.record_id);
      assert.ok(back?.flags.includes('changed_after_decision'), JSON.stringify(back));
      assert.deepEqual(back.previous, { hours: 3 });
      assert.equal(back.previous_decision.status, 'approved');
      assert.equal(back.previous_decision.by, secretary.member_id);
      const desk = await openPage(browser);
      await signIn(desk.page, server.base, 'secretary01');
      await desk.page.waitForURL(`${server.base}/`, { timeout: 10000 });
      await desk.page.goto(`${server.base}/console/review`);
      await desk.page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      const row = desk.page.locator('table.queue tbody tr', { hasText: '修缮党员活动室' });
      await row.getByText(/^曾通过（.+，\d{4}-\d{2}-\d{2}）：时长：3 小时 → 8 小时$/).waitFor({ timeout: 10000 });
      await row.getByText('审核后有更改，请重新审核').waitFor();
      assert.equal(await row.getByRole('checkbox').isChecked(), false, 'never preselected');
      await desk.context.close();

      // Two taps on 签到: one record.
      await page.goto(`${server.base}/checkin`);
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      await page.getByLabel('类型').selectOption({ label: '集中学习' });
      await page.getByLabel('备注').fill('双击只记一次');
      await page.getByRole('button', { name: '签到', exact: true }).dblclick();
      await page.getByText('已签到，已保存在本机').waitFor();
      await eventually(async () =>
        (await serverRecords(server.base, 'member03')).some(r => r.note === '双击只记一次'), 'the check-in on the server');
      await new Promise(r => setTimeout(r, 1500));
      const twice = (await serverRecords(server.base, 'member03')).filter(r => r.note === '双击只记一次');
      assert.equal(twice.length, 1, JSON.stringify(twice));
      await context.close();
    });
  });
}
