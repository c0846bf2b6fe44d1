// The year-end on the demo year, as its people do it: the secretary imports
// the job side, reads the proposals, overrides one grade with a reason,
// locks the year and publishes the notice; a member reads the notice on the
// phone; the committee admin sees the branch locked with its grades; the
// batch print of the members' sheets is one A4 page per member.
import assert from 'node:assert/strict';
import { login } from './interop.mjs';
import { eventually, openPage, readyMember, signIn, withServer } from './harness.mjs';

async function hydrated(page) {
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
}

async function getJson(base, session, path) {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${session.token}` } });
  assert.equal(res.status, 200, path);
  return res.json();
}

// Pages of a PDF: its page objects, not the page tree's.
function pdfPages(bytes) {
  return (bytes.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
}

export function yearEndTests(test) {
  test('on the demo year, the secretary imports the job side, overrides a grade with a reason, locks and publishes; the phone shows the notice, the committee the locked branch, and the batch print is a page per member', async ({ browser }) => {
    await withServer(async server => {
      const base = server.base;
      const secretary = await login(base, 'secretary01');
      const branch = (await getJson(base, secretary, '/api/me')).branch.id;
      const sheet = await getJson(base, secretary, `/api/branches/${branch}/job-results`);
      assert.ok(sheet.rows.length >= 10, 'the demo branch');
      // The unit's appraisal: one 不称职, the top scorer 优秀, the rest 称职.
      const word = r => (r.username === 'member04' ? '不称职' : r.username === 'member08' ? '优秀' : '称职');
      // The secretary's own row is another officer's to enter.
      const others = sheet.rows.filter(r => !r.own);
      assert.equal(others.length, sheet.rows.length - 1, "only the secretary's own row is held back");
      const csv = '\ufeff用户名,姓名,年度考核,交办任务,完成任务\n'
        + others.map(r => `${r.username},${r.name},${word(r)},10,9`).join('\n') + '\n';

      const desk = await openPage(browser);
      await signIn(desk.page, base, 'secretary01');
      await desk.page.waitForURL(`${base}/`, { timeout: 10000 });
      await desk.page.goto(`${base}/console/evaluation/job`);
      await hydrated(desk.page);
      await desk.page.getByLabel('选择文件（.xlsx 或 .csv）').setInputFiles({
        name: '业务考核.csv', mimeType: 'text/csv', buffer: Buffer.from(csv),
      });
      await desk.page.getByText(`已导入 ${others.length} 名党员的业务考核结果。`).waitFor({ timeout: 15000 });

      // The proposals, with their reasons in words.
      await desk.page.getByRole('link', { name: '下一步：评议与锁定 →' }).click();
      await desk.page.waitForURL(`${base}/console/evaluation`);
      await hydrated(desk.page);
      const row = name => desk.page.locator('table.evaluation-table tbody tr', { has: desk.page.getByRole('link', { name, exact: true }) });
      await eventually(async () => (await row('刘洋').textContent()).includes('年度考核不称职'), 'the 不称职 reason');
      assert.match(await row('黄丽').locator('td').last().textContent(), /优秀/);

      // An override with its reason, kept beside the proposal: 刘洋's
      // 不称职 was the unit's mistake.
      await row('刘洋').getByRole('button', { name: '改评' }).click();
      const form = desk.page.locator('tr.override-form');
      await form.getByLabel('改评为').selectOption('qualified');
      await form.getByLabel(/^理由/).fill('经支部党员大会复议：年度考核结果登记有误');
      await form.getByRole('button', { name: '保存改评' }).click();
      await eventually(async () => (await row('刘洋').textContent()).includes('年度考核结果登记有误'), 'the override and its reason');
      assert.match(await row('刘洋').locator('td').last().textContent(), /合格/);
      const evaluation = await getJson(base, secretary, `/api/branches/${branch}/evaluation`);
      const liu = evaluation.rows.find(r => r.name === '刘洋');
      assert.equal(liu.final, 'qualified');
      assert.equal(liu.proposed, 'basic', 'the proposal stays beside the override');
      const excellent = evaluation.rows.filter(r => r.final === 'excellent').length;
      assert.equal(evaluation.quota.excellent, excellent);
      assert.equal(evaluation.quota.exceeded, excellent > evaluation.quota.limit);

      // Lock, then the notice. What is unfinished is listed first, as the
      // API names it.
      const warnings = desk.page.getByRole('alert', { name: '锁定前请注意' });
      for (const w of evaluation.warnings) await warnings.getByText(w.message).waitFor();
      assert.ok(evaluation.warnings.some(w => w.code === 'pending_reviews'), JSON.stringify(evaluation.warnings));
      await desk.page.getByLabel('已经支部党员大会审议，确认锁定').check();
      await desk.page.getByRole('button', { name: '锁定', exact: true }).click();
      await desk.page.locator('.badge.locked', { hasText: '已锁定' }).waitFor({ timeout: 15000 });
      await desk.page.getByRole('link', { name: '下一步：发布结果公示 →' }).click();
      await desk.page.waitForURL(`${base}/console/evaluation/notice`);
      await hydrated(desk.page);
      await desk.page.getByRole('button', { name: '发布公示' }).click();
      await desk.page.getByText(/^已发布。/).waitFor({ timeout: 15000 });
      await desk.page.locator('article.notice-sheet', { hasText: '黄丽' }).waitFor();

      // The lock fixed the grades, not the branch: next week's event is made.
      await desk.page.goto(`${base}/console/events`);
      await hydrated(desk.page);
      await desk.page.getByRole('button', { name: '新建活动' }).click();
      await desk.page.getByLabel('类型').selectOption({ label: '主题党日' });
      await desk.page.getByLabel('标题').fill('锁定之后的主题党日');
      const soon = new Date(Date.now() + 8 * 3600e3 + 3 * 3600e3).toISOString().slice(0, 16);
      await desk.page.getByLabel('开始').fill(soon);
      await desk.page.getByRole('button', { name: '保存' }).click();
      await desk.page.getByText('已保存：锁定之后的主题党日').waitFor({ timeout: 10000 });

      // The member's phone shows the notice.
      const { page: phone } = await readyMember(browser, base, 'member09');
      await phone.getByRole('link', { name: '我的台账', exact: true }).click();
      const card = phone.getByRole('region', { name: '评议结果公示' });
      await card.waitFor({ timeout: 15000 });
      const said = await card.textContent();
      assert.match(said, /黄丽：优秀/);
      assert.doesNotMatch(said, /刘洋/, 'only the grades the branch chose are named');

      // The committee admin: the branch locked, with its grade distribution.
      const committee = await openPage(browser);
      await signIn(committee.page, base, 'admin');
      await committee.page.waitForURL(`${base}/`, { timeout: 10000 });
      await committee.page.goto(`${base}/console/committee`);
      await hydrated(committee.page);
      const line = committee.page.locator('table.committee-table tbody tr', { hasText: '第一党支部' });
      await line.waitFor({ timeout: 15000 });
      const text = await line.textContent();
      assert.match(text, /已锁定/);
      assert.match(text, new RegExp(`最终：优秀 ${excellent} `));

      // Every member's sheet, one A4 page each.
      await desk.page.goto(`${base}/console/ledger/sheets?branch=${branch}`);
      await hydrated(desk.page);
      const count = await desk.page.locator('section.sheet-page').count();
      assert.equal(count, sheet.rows.length);
      const pdf = await desk.page.pdf({ format: 'A4', printBackground: false });
      assert.equal(pdfPages(pdf), count, 'one page per member');
    });
  });
}
