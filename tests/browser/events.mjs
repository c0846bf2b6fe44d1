// Event codes: checked on the phone with no network, shown by the host as
// text and as a QR code of a filled-in check-in link.
import * as A from '@automerge/automerge';
import { randomUUID } from 'node:crypto';
import { login, sync, chinaNow } from './interop.mjs';
import assert from 'node:assert/strict';
import { checkIn, eventually, shot, onlyOfflineFailures, openPage, readyMember, recordItem, root, serverRecords,
  signIn, startServer, stopServer, waitStatus, withServer } from './harness.mjs';

export function eventTests(test) {
  test('an event code is checked offline: a wrong one is refused, the right one verifies', async ({ browser }) => {
    await withServer(async server => {
      const { context, page } = await readyMember(browser, server.base, 'member04');
      // Today's 主题党日 of the demo carries a code.
      const option = page.locator('#choice option', { hasText: '主题党日' }).first();
      const value = await option.getAttribute('value');
      const label = (await option.textContent()).trim();
      const eventId = value.replace(/^event:/, '');
      const secretary = await login(server.base, 'secretary01');
      const shown = await (await fetch(`${server.base}/api/events/${eventId}/code`, {
        headers: { authorization: `Bearer ${secretary.token}` },
      })).json();
      assert.match(shown.code, /^[0-9A-Z]{5}-[0-9A-Z]{5}$/, JSON.stringify(shown));
      // A member may not ask for the code.
      const member = await login(server.base, 'member04');
      const denied = await fetch(`${server.base}/api/events/${eventId}/code`, {
        headers: { authorization: `Bearer ${member.token}` },
      });
      assert.equal(denied.status, 403);

      await context.setOffline(true);
      await server.stop();
      await page.getByLabel('类型').selectOption({ label });
      await page.getByLabel('签到码').fill('ABCDE-FGHJK');
      await page.getByRole('button', { name: '签到', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: '签到码不正确' }).waitFor({ timeout: 5000 });
      await page.getByLabel('签到码').fill(shown.code.toLowerCase());
      await page.getByRole('button', { name: '签到', exact: true }).click();
      await page.getByText('已签到（签到码已验证）').waitFor({ timeout: 5000 });
      await page.getByRole('link', { name: '我的记录' }).click();
      const item = recordItem(page, '主题党日');
      await item.getByText('签到码已验证').waitFor();
      await item.getByText('待同步').waitFor();
      await context.close();
    });
  });

  test('the host shows the code as text and QR; its link fills the form offline, and the fence checks the position', async ({ browser }) => {
    await withServer(async server => {
      // The secretary's phone: 主持签到, today's 主题党日, its code and QR.
      const host = await openPage(browser);
      await signIn(host.page, server.base, 'secretary01');
      await host.page.waitForURL(`${server.base}/`, { timeout: 10000 });
      await host.page.getByRole('link', { name: '主持签到' }).click();
      await host.page.waitForURL(`${server.base}/host`);
      await host.page.locator('ul.hosted a', { hasText: '主题党日' }).first().click();
      await host.page.waitForURL(/\/host\/[^/]+$/);
      const code = (await host.page.getByLabel('签到码').textContent()).trim();
      assert.match(code, /^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
      assert.equal(await host.page.locator('.qr svg').count(), 1);
      const link = (await host.page.locator('.link').textContent()).trim();
      const eventId = host.page.url().split('/').pop();
      assert.equal(link, `${server.base}/checkin?event=${eventId}&code=${code}`);
      assert.deepEqual(host.problems, []);
      await host.context.close();

      // A member's phone with no network opens the scanned link.
      const { context, page } = await readyMember(browser, server.base, 'member05');
      await context.setOffline(true);
      await server.stop();
      await page.goto(link);
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20000 });
      await page.waitForFunction(v => document.querySelector('#choice')?.value === v, `event:${eventId}`, { timeout: 5000 });
      assert.equal(await page.getByLabel('签到码').inputValue(), code);
      await page.getByText('此活动设有签到范围（300 米）').waitFor();

      // Standing in Shanghai, 160 km away: refused, in words.
      await context.grantPermissions(['geolocation']);
      await context.setGeolocation({ latitude: 31.2304, longitude: 121.4737 });
      await page.getByRole('button', { name: '添加当前位置' }).click();
      // The position in words: how far from the event's place.
      await page.getByText(/^已记录位置（距活动地点 [\d.]+ 公里）$/).waitFor({ timeout: 5000 });
      await page.getByRole('button', { name: '签到', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: '超出签到范围（300 米）' }).waitFor({ timeout: 5000 });
      // In the activity room (the demo's, 50 m from its centre): verified.
      await context.setGeolocation({ latitude: 30.2745, longitude: 120.1553 });
      await page.getByRole('button', { name: '添加当前位置' }).click();
      await page.getByText(/^已记录位置（距活动地点 \d+ 米）$/).waitFor({ timeout: 5000 });
      // The refusal of the earlier position is gone with it.
      assert.equal(await page.getByRole('alert').filter({ hasText: '超出签到范围' }).count(), 0);
      await shot(page, 'checkin-position');
      await page.getByRole('button', { name: '签到', exact: true }).click();
      await page.getByText('已签到（签到码已验证）').waitFor({ timeout: 5000 });
      await page.getByRole('link', { name: '我的记录' }).click();
      const item = recordItem(page, '主题党日');
      await item.getByText(/签到码已验证 · 位置已核验/).waitFor({ timeout: 5000 });
      await item.getByText('待同步').waitFor();
      await context.close();
    });
  });
}
