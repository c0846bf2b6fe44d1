// The member's app as members judge it: one frame on every page, a home
// page that says what matters today, targets a thumb can hit, withdrawal and
// correction with care, a ledger that explains itself, input as people type
// it. Each member page is saved as a screenshot at 360 px and at 1366 px
// (target/screenshots/), and checked on the rendered page.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { api, checkIn, eventually, nav, openPage, readyMember, recordItem, root, serverRecords, shot, signIn,
  withServer } from './harness.mjs';
import { login } from './interop.mjs';

const shots = join(root, 'target', 'screenshots');
const PHONE = { width: 360, height: 740 };
const DESK = { width: 1366, height: 900 };

// Every visible control smaller than 44 px, and whether the page scrolls
// sideways, as the phone's viewport renders it.
async function thumbCheck(page) {
  return page.evaluate(() => {
    const small = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')]
      .filter(e => {
        const r = e.getBoundingClientRect();
        const style = getComputedStyle(e);
        return r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
      })
      .map(e => ({ e, r: e.getBoundingClientRect() }))
      .filter(({ r }) => r.height < 44)
      .map(({ e, r }) => `${e.tagName} "${(e.textContent || e.getAttribute('aria-label') || e.id).trim().slice(0, 16)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
    return { small, sideways: document.documentElement.scrollWidth > window.innerWidth };
  });
}

async function ready(page) {
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
  // Local data fills the member pages in after hydration.
  await page.waitForFunction(() => !document.querySelector('.loading'), null, { timeout: 20000 });
}

// Opens each of `paths` at both widths as `username`, saves a screenshot of
// each, and checks the phone's rendering; answers what failed.
async function walk(browser, base, username, paths) {
  mkdirSync(shots, { recursive: true });
  const failures = [];
  for (const viewport of [PHONE, DESK]) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    if (username) {
      await signIn(page, base, username);
      await page.waitForURL(`${base}/`, { timeout: 10000 });
    }
    for (const path of paths) {
      await page.goto(`${base}${path}`);
      await ready(page);
      const name = `${username ?? 'visitor'}${path.replace(/[/?=&]+/g, '-').replace(/-$/, '') || '-home'}-${viewport.width}.png`;
      await page.screenshot({ path: join(shots, name), fullPage: true });
      if (viewport === PHONE) {
        const { small, sideways } = await thumbCheck(page);
        if (small.length) failures.push(`${path}: under 44 px: ${small.join(', ')}`);
        if (sideways) failures.push(`${path}: scrolls sideways at 360 px`);
      }
    }
    await context.close();
  }
  return failures;
}

export function memberAppTests(test) {
  test('every member page: one frame, 44 px targets, nothing sideways, screenshots at 360 and 1366 px', async ({ browser, base }) => {
    const failures = [
      ...await walk(browser, base, 'member09', ['/', '/checkin', '/records', '/ledger', '/password']),
      ...await walk(browser, base, 'secretary01', ['/', '/console']),
      ...await walk(browser, base, null, ['/login', '/checkin']),
    ];
    assert.deepEqual(failures, []);

    // The same header and navigation on a member page and a console page.
    const { context, page } = await openPage(browser);
    await page.setViewportSize(PHONE);
    await signIn(page, base, 'secretary01');
    await page.waitForURL(`${base}/`, { timeout: 10000 });
    for (const [path, current] of [['/ledger', '我的台账'], ['/console', '支部管理']]) {
      await page.goto(`${base}${path}`);
      await ready(page);
      const header = page.locator('header.topbar');
      assert.match(await header.textContent(), /第一党支部/, `${path} names the branch`);
      assert.equal(await header.getByRole('button', { name: '退出登录' }).count(), 0, 'no sign-out in the header');
      const tabs = await page.getByRole('navigation', { name: '主导航' }).getByRole('link').allTextContents();
      assert.deepEqual(tabs, ['首页', '签到', '我的记录', '我的台账', '支部管理'], path);
      assert.equal(await nav(page, current).getAttribute('aria-current'), 'page', `${path} marks ${current}`);
    }
    await context.close();

    // Signed out, a phone offers no sign-out.
    const visitor = await openPage(browser);
    await visitor.page.goto(`${base}/checkin`);
    await ready(visitor.page);
    await visitor.page.getByText('本机还没有登录的党员').waitFor({ timeout: 10000 });
    assert.equal(await visitor.page.getByRole('button', { name: '退出登录' }).count(), 0);
    await visitor.context.close();
  });

  test('sign-in returns to the page that asked for it', async ({ browser, base }) => {
    const { context, page } = await openPage(browser);
    await page.goto(`${base}/members`);
    await page.waitForURL(/\/login\?next=\/members$/, { timeout: 10000 });
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
    await page.getByLabel('用户名').fill('secretary01');
    await page.getByLabel('密码').fill('demo-password');
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(`${base}/members`, { timeout: 10000 });
    await context.close();
  });

  test('home: today\'s event a tap from check-in, the next from leave; a withdrawn leave leaves the ledger', async ({ browser }) => {
    await withServer(async server => {
      const base = server.base;
      // An event next week, for the leave.
      const secretary = await login(base, 'secretary01');
      const start = new Date(Date.now() + 8 * 3600e3 + 6 * 86400e3).toISOString().slice(0, 10);
      const created = await api(base, secretary, '/api/events', { method: 'POST', body: JSON.stringify({
        kind: 'party_lecture', title: '党课：学习新党章', start: `${start}T15:00:00+08:00`, place: '三楼会议室', with_code: false,
      }) });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const lecture = created.body.event_id;

      const { context, page, problems } = await readyMember(browser, base, 'member04');
      await page.setViewportSize(PHONE);
      await nav(page, '首页').click();
      const today = page.getByRole('region', { name: '今日' });
      const lectureRow = today.locator('li.event', { hasText: '党课：学习新党章' });
      await lectureRow.waitFor({ timeout: 20000 });
      await shot(page, 'home-today-360');
      // The provisional score on the home page is the ledger's.
      const home = Number(await today.locator('[data-home-total]').textContent());
      assert.match(await today.textContent(), /已同步（\d\d:\d\d）/);

      // 签到 for today's 主题党日 opens the form with it chosen.
      const themeDay = today.locator('li.event', { hasText: '主题党日' }).first();
      await themeDay.getByRole('link', { name: '签到' }).click();
      await page.waitForURL(/\/checkin\?event=/);
      await page.waitForFunction(() => document.querySelector('#choice')?.value.startsWith('event:'), null, { timeout: 10000 });

      await nav(page, '首页').click();
      await lectureRow.getByRole('link', { name: '请假' }).click();
      await page.waitForURL(/\/checkin\?leave=/);
      await page.waitForFunction(id => document.querySelector('#leave-event')?.value === id, lecture, { timeout: 10000 });
      await page.getByLabel('请假事由').fill('出差');
      await page.getByRole('button', { name: '提交请假' }).click();
      await page.getByText('请假申请已保存').waitFor();
      await nav(page, '首页').click();
      await lectureRow.getByText('已请假').waitFor({ timeout: 10000 });
      await shot(page, 'home-leave-asked-360');

      await nav(page, '我的台账').click();
      await page.locator('[data-total]').waitFor();
      assert.equal(Number(await page.locator('[data-total]').textContent()), home);
      await page.getByText('党课：学习新党章').first().waitFor({ timeout: 10000 });
      // Withdrawn, the leave is gone from the ledger.
      await nav(page, '我的记录').click();
      const leave = recordItem(page, '党课：学习新党章');
      await leave.getByRole('button', { name: '撤回' }).click();
      await leave.getByRole('button', { name: '确定撤回' }).click();
      await leave.getByText('已撤回').waitFor();
      await nav(page, '我的台账').click();
      await page.locator('[data-total]').waitFor();
      assert.equal(await page.getByText('党课：学习新党章').count(), 0, 'a withdrawn leave is not a ledger row');

      // An officer's home says what waits for them.
      const desk = await openPage(browser);
      await signIn(desk.page, base, 'secretary01');
      await desk.page.waitForURL(`${base}/`, { timeout: 10000 });
      const waiting = desk.page.getByRole('region', { name: '待我处理' });
      await waiting.getByRole('link', { name: /^待审核记录 \d+ 条$/ }).waitFor({ timeout: 10000 });
      await shot(desk.page, 'home-officer-1280');
      await desk.context.close();
      assert.deepEqual(problems.filter(p => !p.includes('ERR_ABORTED')), []);
      await context.close();
    });
  });

  test('numbers as a Chinese keyboard types them, a future date refused, corrections kept, withdrawal asked and undone', async ({ browser }) => {
    await withServer(async server => {
      const base = server.base;
      const { context, page } = await readyMember(browser, base, 'member05');
      await page.setViewportSize(PHONE);
      // Next year is refused as the future it is.
      await page.getByLabel('类型').selectOption({ label: '志愿服务' });
      await page.getByLabel('时长（小时）').fill('２');
      const nextYear = new Date(Date.now() + 8 * 3600e3).getUTCFullYear() + 1;
      await page.getByLabel('时间（不填为现在）').fill(`${nextYear}-03-01T09:00`);
      await page.getByRole('button', { name: '签到', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: '时间不能晚于现在' }).waitFor({ timeout: 5000 });
      await shot(page, 'checkin-future-date-360');
      await page.getByLabel('时间（不填为现在）').fill('');
      // Full-width digits and point.
      await checkIn(page, { kind: '志愿服务', hours: '１．５', note: '社区清扫' });
      await page.getByText('已签到，已保存在本机').waitFor({ timeout: 5000 });

      await nav(page, '我的记录').click();
      const item = recordItem(page, '社区清扫');
      await item.getByText('1.5 小时').waitFor({ timeout: 10000 });
      // The correction form can be left without saving.
      await item.getByRole('button', { name: '更正' }).click();
      await item.getByRole('button', { name: '取消' }).click();
      assert.equal(await item.getByRole('button', { name: '保存更正' }).count(), 0);
      // A correction is marked and keeps the earlier value.
      await item.getByRole('button', { name: '更正' }).click();
      await item.getByLabel('时长（小时）').fill('２');
      await item.getByRole('button', { name: '保存更正' }).click();
      await item.getByText('已更正').waitFor({ timeout: 5000 });
      await item.getByText('2 小时').waitFor();
      await item.getByText('更正记录（1 处）').click();
      await item.getByText('更正：时长 1.5 → 2').waitFor();
      await shot(page, 'records-corrected-360');

      // 撤回 asks first; 不撤回 leaves the record as it was.
      await item.getByRole('button', { name: '撤回' }).click();
      await item.getByText('确定撤回吗').waitFor();
      await shot(page, 'records-withdraw-confirm-360');
      await item.getByRole('button', { name: '不撤回' }).click();
      assert.equal(await item.getByText('已撤回').count(), 0);
      // Withdrawn, it can be taken back until the sync (offline here, so the
      // sync cannot come first).
      await eventually(async () =>
        (await serverRecords(base, 'member05')).find(r => r.note === '社区清扫' && r.hours === 2), 'the corrected record on the server', 30000);
      await context.setOffline(true);
      await item.getByRole('button', { name: '撤回' }).click();
      await item.getByRole('button', { name: '确定撤回' }).click();
      await item.getByText('已撤回').waitFor();
      await shot(page, 'records-withdrawn-undo-360');
      await item.getByRole('button', { name: '撤销撤回' }).click();
      await item.getByRole('button', { name: '撤回' }).waitFor({ timeout: 5000 });
      assert.equal(await item.getByText('已撤回').count(), 0);
      // Back online, the record syncs as it stands: not withdrawn.
      await context.setOffline(false);
      await page.waitForFunction(() => /已同步（/.test(document.querySelector('.sync-status')?.textContent ?? ''), null, { timeout: 30000 });
      const kept = (await serverRecords(base, 'member05')).find(r => r.note === '社区清扫');
      assert.notEqual(kept.status, 'withdrawn');
      // Once synced, a withdrawal stands.
      await item.getByRole('button', { name: '撤回' }).click();
      await item.getByRole('button', { name: '确定撤回' }).click();
      await eventually(async () =>
        (await serverRecords(base, 'member05')).find(r => r.note === '社区清扫')?.status === 'withdrawn', 'the withdrawal on the server', 30000);
      await item.getByRole('button', { name: '撤销撤回' }).waitFor({ state: 'detached', timeout: 10000 });
      await context.close();
    });
  });

  test('the ledger explains each row, its sections, both sides and the grade bands', async ({ browser, base }) => {
    const { context, page } = await openPage(browser);
    await page.setViewportSize(PHONE);
    await signIn(page, base, 'member09');
    await page.waitForURL(`${base}/`, { timeout: 10000 });
    await nav(page, '我的台账').click();
    await page.locator('[data-total]').waitFor({ timeout: 20000 });
    // The member's documents arrive with the first sync after signing in.
    await page.waitForFunction(() => /志愿服务 [\d.]+ 小时 × \d+ 分\/小时 = \d+ 分/.test(document.querySelector('main')?.textContent ?? ''),
      null, { timeout: 20000 });
    const text = await page.locator('main').textContent();
    assert.match(text, /主题党日 按出席情况计 \d+ 分|主题党日 每次 \d+ 分/, 'a meeting rule in words');
    assert.match(text, /年度考核/, 'how the job side is filled');
    assert.match(text, /等次分数线/);
    const here = page.locator('[aria-current="true"]', { hasText: '≥' });
    assert.equal(await here.count(), 1, 'the band the member stands in is marked');
    await context.close();
  });
}
