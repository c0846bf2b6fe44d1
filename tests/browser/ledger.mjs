// The official ledger on the demo year: the branch table, a member's sheet,
// and a new rulebook version previewed, published and priced on the phone.
import assert from 'node:assert/strict';
import { login } from './interop.mjs';
import { eventually, openPage, readyMember, signIn, withServer } from './harness.mjs';

async function hydrated(page) {
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
}

async function get(base, session, path) {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${session.token}` } });
  assert.equal(res.status, 200, path);
  return res;
}

// The shipped 主题党日 rule, and the same rule at twice the points.
const THEME_DAY = 'points = { present = 5, late = 3, excused = 0, made_up = 2, unexcused = -2 }\ncaps = [{ period = "year", max = 60 }]';
const DOUBLED = 'points = { present = 10, late = 6, excused = 0, made_up = 4, unexcused = -4 }\ncaps = [{ period = "year", max = 120 }]';

export function ledgerTests(test) {
  test('on the demo year, the secretary sorts the branch ledger by total, reads a sheet\'s rule and reviewer, previews and publishes a rulebook doubling 主题党日, and the phone\'s provisional total follows', async ({ browser }) => {
    await withServer(async server => {
      const base = server.base;
      const member = await login(base, 'member09');
      const secretary = await login(base, 'secretary01');
      const branch = (await (await get(base, secretary, '/api/me')).json()).branch.id;
      const { page: phone } = await readyMember(browser, base, 'member09');
      await phone.getByRole('link', { name: '我的台账', exact: true }).click();
      const shownTotal = async () => Number(await phone.locator('[data-total]').textContent({ timeout: 10000 }));
      const before = await shownTotal();
      const served = async () => (await (await get(base, member, `/api/members/${member.member_id}/ledger?mode=provisional`)).json()).total;
      assert.equal(before, await served(), 'the phone and the server price the demo year alike');

      const desk = await openPage(browser);
      await signIn(desk.page, base, 'secretary01');
      await desk.page.waitForURL(`${base}/`, { timeout: 10000 });
      await desk.page.goto(`${base}/console/ledger`);
      await hydrated(desk.page);
      await desk.page.getByRole('button', { name: /^总分/ }).click();
      const totals = (await desk.page.locator('table.ledger-table tbody td.total').allTextContents()).map(Number);
      assert.ok(totals.length >= 10, String(totals));
      assert.deepEqual(totals, [...totals].sort((a, b) => b - a), 'highest first');

      await desk.page.getByRole('link', { name: '周明', exact: true }).click();
      await desk.page.getByRole('heading', { name: '周明 的积分清单' }).waitFor({ timeout: 10000 });
      const row = desk.page.locator('table.sheet-table tbody tr', { hasText: '1月主题党日' }).first();
      const cells = await row.locator('td').allTextContents();
      assert.equal(cells[2], '主题党日', `the rule: ${cells}`);
      assert.match(cells[6], /赵书记/, `the reviewer: ${cells}`);

      // The current rulebook, downloaded, edited and uploaded.
      const toml = await (await get(base, secretary, `/api/orgs/${branch}/rulebook.toml`)).text();
      assert.ok(toml.includes(THEME_DAY), toml);
      await desk.page.goto(`${base}/console/rulebook`);
      await hydrated(desk.page);
      await desk.page.getByLabel('选择 TOML 文件').setInputFiles({
        name: 'rulebook.toml', mimeType: 'text/plain', buffer: Buffer.from(toml.replace(THEME_DAY, DOUBLED)),
      });
      await eventually(async () => (await desk.page.getByLabel('或粘贴细则内容').inputValue()).includes('present = 10'), 'the file read into the form');
      await desk.page.getByRole('button', { name: '预览' }).click();
      const summary = desk.page.getByText(/人总分或等次改变/);
      await summary.waitFor({ timeout: 10000 });
      assert.match(await summary.textContent(), /[1-9]\d* 人总分或等次改变/);
      const previewed = desk.page.locator('table.preview-table tbody tr', { hasText: '周明' });
      const said = Number((await previewed.locator('td').nth(3).textContent()).trim());
      await desk.page.getByRole('button', { name: '发布为第 1 版' }).click();
      await desk.page.getByText(/^已发布：/).waitFor({ timeout: 10000 });

      // The official total is what the preview said.
      const official = (await (await get(base, secretary, `/api/members/${member.member_id}/ledger`)).json());
      assert.equal(official.total, said);
      assert.equal(official.rulebook_version, 1);

      // The phone, at its next sync (a new page load asks for the rulebook).
      const after = await served();
      assert.ok(after > before, `${before} -> ${after}`);
      await phone.reload();
      await eventually(async () => (await shownTotal()) === after, `the phone's total ${after}`);
    });
  });
}
