// The secretary's day at the desk: an event with a code, the members'
// check-ins in the review queue with the server's verdict, decisions that
// reach the members' phones, and the attendance sheet.
import assert from 'node:assert/strict';
import { login } from './interop.mjs';
import { api, checkIn, eventually, onlyOfflineFailures, openPage, readyMember, recordItem, signIn,
  waitStatus, withServer } from './harness.mjs';

// `YYYY-MM-DDTHH:MM` in China time, as a datetime-local input takes it.
const chinaMinute = ms => new Date(ms + 8 * 3600e3).toISOString().slice(0, 16);

// Waits until the service worker controls `page`. An install that failed on
// a busy machine (one of its precache fetches refused) leaves nothing to
// control the page, and only a new page load registers it again: so wait,
// and reload when no worker became active.
async function controlledByWorker(page) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const controlled = await page.evaluate(() => Promise.race([
      navigator.serviceWorker.ready.then(() => true),
      new Promise(r => setTimeout(() => r(false), 20000)),
    ]).then(ready => ready && navigator.serviceWorker.controller !== null));
    if (controlled) return;
    await page.reload();
    await hydrated(page);
  }
  throw new Error('no service worker controls the page');
}

async function hydrated(page) {
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
}


export function reviewTests(test) {
  test('the secretary creates an event with a code; a member checks in offline; the queue shows it verified; 通过 and 退回 reach the phone; offline, a third approval and the attendance sheet wait and then reach the server', async ({ browser }) => {
    await withServer(async server => {
      const desk = await openPage(browser);
      await signIn(desk.page, server.base, 'secretary01');
      await desk.page.waitForURL(`${server.base}/`, { timeout: 10000 });
      await desk.page.goto(`${server.base}/console/events`);
      await hydrated(desk.page);
      await desk.page.getByRole('button', { name: '新建活动' }).click();
      await desk.page.getByLabel('类型').selectOption({ label: '支部党员大会' });
      await desk.page.getByLabel('标题').fill('第四季度支部党员大会');
      await desk.page.getByLabel('开始').fill(chinaMinute(Date.now() - 5 * 60e3));
      await desk.page.getByLabel('结束').fill(chinaMinute(Date.now() + 2 * 3600e3));
      await desk.page.getByRole('button', { name: '保存' }).click();
      await desk.page.getByText('已保存：第四季度支部党员大会').waitFor({ timeout: 10000 });
      await desk.page.getByRole('cell', { name: '第四季度支部党员大会' }).waitFor();

      // The host's code for it.
      const secretary = await login(server.base, 'secretary01');
      const hosted = (await api(server.base, secretary, '/api/events/hosted')).body;
      const event = hosted.find(e => e.title === '第四季度支部党员大会');
      assert.ok(event, JSON.stringify(hosted));
      const shown = (await api(server.base, secretary, `/api/events/${event.event_id}/code`)).body;

      // The member checks in with the code, and once more without an event,
      // with no network; both sync when it returns.
      const { context, page, problems } = await readyMember(browser, server.base, 'member04');
      // The desk's worker installs while the server is up: stopped midway,
      // its install fails and nothing controls the desk until a reload.
      await controlledByWorker(desk.page);
      await context.setOffline(true);
      await server.stop();
      const option = page.locator('#choice option', { hasText: '第四季度支部党员大会' }).first();
      await page.getByLabel('类型').selectOption({ label: (await option.textContent()).trim() });
      await page.getByLabel('签到码').fill(shown.code);
      await page.getByRole('button', { name: '签到', exact: true }).click();
      await page.getByText('已签到（签到码已验证）').waitFor({ timeout: 5000 });
      await checkIn(page, { kind: '走访', note: '走访老党员王大爷' });
      await page.getByText('已签到').first().waitFor();
      await checkIn(page, { kind: '集中学习', note: '学习新修订的党章' });
      onlyOfflineFailures(problems);
      await server.restart();
      await context.setOffline(false);
      await waitStatus(page, /已同步/, 30000);

      // The desk opens the meeting's attendance sheet and the queue online,
      // under its service worker: both then open with no network too.
      await controlledByWorker(desk.page);
      const member = await login(server.base, 'member04');
      const sheetUrl = `${server.base}/console/events/${event.event_id}/attendance`;
      await desk.page.goto(sheetUrl);
      await hydrated(desk.page);
      const mark = desk.page.locator(`#mark-${member.member_id}`);
      assert.equal(await mark.inputValue(), 'present', 'prefilled from the check-in');

      await desk.page.goto(`${server.base}/console/review`);
      await hydrated(desk.page);
      const meeting = desk.page.locator('table.queue tbody tr', { hasText: '第四季度支部党员大会' });
      await meeting.getByText('已验证').waitFor({ timeout: 10000 });
      await meeting.getByRole('button', { name: '通过' }).click();
      // An approval waits a few seconds with 撤销 before it is sent.
      await desk.page.getByText(/^已通过 1 条，8 秒后提交/).waitFor({ timeout: 5000 });
      await desk.page.getByText(/^已通过 1 条$/).waitFor({ timeout: 20000 });
      assert.equal(await meeting.count(), 0);
      const visit = desk.page.locator('table.queue tbody tr', { hasText: '走访老党员王大爷' });
      await visit.getByRole('button', { name: '退回' }).click();
      await desk.page.getByLabel('退回原因').fill('请补充走访对象的签字');
      await desk.page.getByRole('button', { name: '确认退回' }).click();
      await desk.page.getByText(/^已退回：/).waitFor({ timeout: 10000 });
      // The keyboard: k up to the oldest row, j down one and k back, a
      // approves the row under the cursor.
      const rows = desk.page.locator('table.queue tbody tr');
      const total = async () => Number((await desk.page.locator('.toolbar span').textContent()).match(/共 (\d+) 条/)[1]);
      const before = await total();
      for (let i = 0; i < before; i++) await desk.page.locator('body').press('k');
      await desk.page.locator('body').press('j');
      await desk.page.locator('body').press('k');
      assert.equal(await rows.first().getAttribute('class').then(c => c.includes('current')), true);
      const oldest = (await rows.first().locator('td').nth(2).textContent()).trim();
      await desk.page.locator('body').press('a');
      // Taken back: the row stays and nothing is sent.
      await desk.page.getByRole('button', { name: '撤销' }).click();
      await desk.page.getByText('已撤销 1 条通过，记录仍在待审核').waitFor();
      await desk.page.locator('body').press('k');
      await desk.page.locator('body').press('a');
      await eventually(async () => (await total()) === before - 1, 'a keyboard approval', 20000);
      assert.notEqual((await rows.first().locator('td').nth(2).textContent()).trim() + (await total()), oldest + before);

      // The member's phone, at its next sync.
      await page.reload();
      await hydrated(page);
      await page.getByRole('link', { name: '我的记录' }).click();
      await waitStatus(page, /已同步/, 30000);
      await eventually(async () => (await recordItem(page, '第四季度支部党员大会').getByText('已通过').count()) > 0,
        'the approval on the phone', 30000);
      const returned = recordItem(page, '走访');
      await returned.getByText('已退回').waitFor({ timeout: 10000 });
      await returned.getByText('退回原因：请补充走访对象的签字').waitFor();
      await context.close();

      // No network at the desk: the queue opens from this device's copy,
      // without what was decided here already; a third record is approved
      // and kept (待同步); the attendance sheet is taken and kept too.
      await desk.context.setOffline(true);
      await server.stop();
      await desk.page.goto(`${server.base}/console/review`);
      await hydrated(desk.page);
      assert.equal(await desk.page.locator('table.queue tbody tr', { hasText: '走访老党员王大爷' }).count(), 0);
      const study = desk.page.locator('table.queue tbody tr', { hasText: '学习新修订的党章' });
      await study.getByRole('button', { name: '通过' }).click();
      await desk.page.getByText(/网络不通.*待同步/).waitFor({ timeout: 20000 });
      await desk.page.getByText('待同步 1 条（联网后自动提交）').waitFor();
      await desk.page.goto(sheetUrl);
      await hydrated(desk.page);
      await desk.page.locator(`#mark-${member.member_id}`).selectOption('late');
      // Check-in is still open: the save asks first, naming who would be absent.
      let asked = '';
      desk.page.once('dialog', d => { asked = d.message(); d.accept(); });
      await desk.page.getByRole('button', { name: '保存考勤' }).click();
      await desk.page.getByText(/网络不通：考勤已保存在本机/).waitFor({ timeout: 10000 });
      assert.match(asked, /签到到 .+ 才结束。现在保存，仍为“未到”的 \d+ 名党员将记为无故缺席/);

      // The network returns: the sheet goes at once, the decision when the
      // queue is next opened.
      await server.restart();
      await desk.context.setOffline(false);
      await desk.page.getByText(/考勤已保存：实到 1 \/ 应到 \d+/).waitFor({ timeout: 20000 });
      await desk.page.goto(`${server.base}/console/review`);
      await hydrated(desk.page);
      await desk.page.getByText('已同步离线审核 1 条').waitFor({ timeout: 20000 });
      const records = await (await fetch(`${server.base}/api/members/${member.member_id}/records?year=${new Date(Date.now() + 8 * 3600e3).getUTCFullYear()}`, {
        headers: { authorization: `Bearer ${secretary.token}` },
      })).json();
      const studied = records.find(r => r.note === '学习新修订的党章');
      assert.equal(studied?.status, 'approved', JSON.stringify(studied));
      assert.equal(studied.reviewer, secretary.member_id);
      const sheet = (await api(server.base, secretary, `/api/events/${event.event_id}/attendance`)).body;
      assert.equal(sheet.confirmed, true);
      assert.equal(sheet.rows.find(r => r.member_id === member.member_id).outcome, 'late');
      // Whoever was still 未到 is absent, except the secretary's own row:
      // nobody marks themselves, so it waits for another officer.
      const own = sheet.rows.filter(r => r.own);
      assert.equal(own.length, 1, JSON.stringify(sheet.rows));
      assert.equal(own[0].recorded, false);
      assert.ok(sheet.rows.filter(r => r.member_id !== member.member_id && !r.own).every(r => r.outcome === 'unexcused'),
        JSON.stringify(sheet.rows));
      onlyOfflineFailures(desk.problems);
      await desk.context.close();
    });
  });
}
