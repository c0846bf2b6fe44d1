// Signing in and out, the member list's password reset, and unknown pages.
import assert from 'node:assert/strict';
import { openPage, signIn, withServer } from './harness.mjs';

export function accountTests(test) {
  test('the login page hydrates: an empty form is refused without a page load', async ({ browser, base }) => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(`${base}/login`);
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
    const loads = await page.evaluate(() => performance.getEntriesByType('navigation').length);
    let posted = false;
    page.on('request', r => { if (r.method() === 'POST') posted = true; });
    await page.getByRole('button', { name: '登录' }).click();
    await assert.doesNotReject(page.getByRole('alert').filter({ hasText: '请输入用户名和密码' }).waitFor({ timeout: 5000 }));
    assert.equal(posted, false, 'no request for an empty form');
    assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation').length), loads);
    assert.equal(new URL(page.url()).pathname, '/login');
    // Labels are real: the fields are reachable by their label text.
    await page.getByLabel('用户名').fill('member01');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('alert').filter({ hasText: '请输入密码' }).waitFor({ timeout: 5000 });
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('member01 logs in through the page, sees the home page, and logs out', async ({ browser, base }) => {
    const { context, page, problems } = await openPage(browser);
    await signIn(page, base, 'member01', 'wrong-password');
    await page.getByRole('alert').filter({ hasText: '用户名或密码错误' }).waitFor({ timeout: 10000 });
    await page.getByLabel('密码').fill('demo-password');
    await page.getByRole('button', { name: '登录' }).click();
    await page.waitForURL(`${base}/`, { timeout: 10000 });
    await page.getByRole('heading', { name: '您好，王建国' }).waitFor({ timeout: 10000 });
    const text = await page.textContent('body');
    assert.match(text, /第一党支部/);
    assert.match(text, /党小组长/);
    // A plain member has no member management link, and every link works.
    assert.equal(await page.getByRole('link', { name: '成员管理' }).count(), 0);
    for (const href of await page.$$eval('a[href]', as => as.map(a => a.getAttribute('href')))) {
      const res = await context.request.get(new URL(href, base).toString());
      assert.equal(res.status(), 200, `link ${href}`);
    }
    // Signing out is on the home page, after a plain confirmation.
    const asked = [];
    page.once('dialog', d => { asked.push(d.message()); d.accept(); });
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL(`${base}/login`, { timeout: 10000 });
    assert.match(asked[0] ?? '', /确定退出/);
    const me = await context.request.get(`${base}/api/me`);
    assert.equal(me.status(), 401, 'the session ended');
    // The one failed request is the deliberate wrong password, answered 401.
    assert.deepEqual(problems.filter(p => !p.includes('status of 401')), []);
    assert.equal(problems.length, 1, problems.join('\n'));
    await context.close();
  });

  test('a secretary resets a member password from the member list', async ({ browser }) => {
    // It changes a password: on a server of its own.
    await withServer(async server => {
      const base = server.base;
      const { context, page, problems } = await openPage(browser);
      await signIn(page, base, 'secretary01');
      await page.waitForURL(`${base}/`, { timeout: 10000 });
      await page.getByRole('link', { name: '成员管理' }).click();
      await page.waitForURL(`${base}/members`);
      // Nobody chooses another's password: the reset shows a one-time one.
      await page.getByRole('button', { name: '重置 刘洋 的密码' }).click();
      const shown = page.getByRole('row', { name: /刘洋/ }).getByRole('status').filter({ hasText: '一次性密码' });
      await shown.waitFor({ timeout: 10000 });
      const oneTime = (await shown.locator('code').textContent()).trim();
      assert.ok(oneTime.length >= 8, oneTime);
      // The member signs in with it and is sent to choose their own first.
      const member = await openPage(browser);
      await signIn(member.page, base, 'member04', oneTime);
      await member.page.waitForURL(`${base}/password`, { timeout: 10000 });
      await member.page.getByText('您的密码已重置').waitFor();
      await member.page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      await member.page.getByLabel('当前密码').fill(oneTime);
      await member.page.getByLabel('新密码', { exact: true }).fill('member-own-password');
      await member.page.getByLabel('再次输入新密码').fill('member-own-password');
      await member.page.getByRole('button', { name: '保存' }).click();
      await member.page.getByRole('status').filter({ hasText: '密码已修改' }).waitFor({ timeout: 10000 });
      const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'member04', password: 'member-own-password' }) });
      assert.equal(login.status, 200);
      assert.equal((await login.json()).must_change_password, false);
      assert.deepEqual(member.problems, []);
      await member.context.close();
      assert.deepEqual(problems, []);
      await context.close();
    });
  });

  test('a roster import is previewed, a typo group needs consent, and the passwords come as slips and a CSV', async ({ browser }) => {
    await withServer(async server => {
      const base = server.base;
      const { context, page, problems } = await openPage(browser);
      await signIn(page, base, 'secretary01');
      await page.waitForURL(`${base}/`, { timeout: 10000 });
      await page.goto(`${base}/console/members`);
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      await page.getByText('从 Excel 或 CSV 导入成员').click();
      const csv = '用户名,姓名,支部,党小组\nslip-a,周敏,第一党支部,\nslip-b,吴刚,第一党支部,第三党小组\n';
      await page.getByLabel('选择文件（.xlsx 或 .csv）').setInputFiles({ name: 'members.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      const preview = page.getByRole('region', { name: '导入预览' });
      await preview.getByText('预览：将导入 2 名党员（尚未导入）。').waitFor({ timeout: 10000 });
      await preview.getByRole('alert').getByText('第一党支部 / 第三党小组', { exact: true }).waitFor();
      const confirm = preview.getByRole('button', { name: '确认导入' });
      assert.equal(await confirm.isDisabled(), true, 'a new group needs consent');
      await preview.getByLabel('新建以上 1 个组织').check();
      await confirm.click();
      await page.getByText('已导入 2 名党员，新建 1 个组织。').waitFor({ timeout: 20000 });
      const slips = page.getByRole('region', { name: '初始密码' }).locator('.slip');
      assert.equal(await slips.count(), 2);
      assert.match(await slips.nth(1).textContent(), /姓名：吴刚.*用户名：slip-b.*初始密码：\S{8,}/);
      const href = await page.getByRole('link', { name: '下载 CSV' }).getAttribute('href');
      const text = Buffer.from(href.replace('data:text/csv;base64,', ''), 'base64').toString('utf8');
      assert.match(text, /^\ufeff用户名,姓名,初始密码\r\nslip-a,周敏,\S+\r\nslip-b,吴刚,\S+\r\n$/);
      const password = text.split('\r\n')[1].split(',')[2];
      const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'slip-a', password }) });
      assert.equal(login.status, 200);
      assert.deepEqual(problems, []);
      // For a person to look at (a screenshot's injected style breaks the CSP, so last).
      await page.getByRole('region', { name: '初始密码' }).screenshot({ path: '/tmp/roster-import-slips.png' });
      await context.close();
    });
  });

  test('unknown routes get a 404 page', async ({ browser, base }) => {
    const { context, page } = await openPage(browser);
    const res = await page.goto(`${base}/no/such/page`);
    assert.equal(res.status(), 404);
    await page.getByRole('heading', { name: '页面不存在' }).waitFor();
    await context.close();
  });
}
