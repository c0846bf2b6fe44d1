// The app's service worker: keeps the member pages and the phone's bundle so
// they open with no network. The console's bundle is kept too, but only on a
// device that has opened the console (a member's phone never downloads it). Cache names carry the build's version, so a new
// deployment installs beside the old one and takes over only when the user
// reloads into it (the page shows 新版本已就绪).
const VERSION = '__VERSION__';
const CACHE = `vanguard-shell-${VERSION}`;
// Pages whose server HTML holds no member data: the same for everyone.
const PAGES = ['/checkin', '/records', '/ledger'];
const SHELL = [
  ...PAGES,
  '/offline.html',
  '/pkg/vanguard.js',
  '/pkg/vanguard_bg.wasm',
  '/pkg/vanguard.css',
  '/manifest.webmanifest',
  '/icon.svg',
  '/icon-192.png',
  '/icon-512.png',
];
// The console's bundle: cached when first fetched, not precached.
const CONSOLE = ['/pkg/console.js', '/pkg/console_bg.wasm', '/pkg/console.css'];
// The console's pages a secretary opens offline from their last visit on
// this device: the review queue, events and attendance sheets, the host's
// screen.
const CONSOLE_PAGES = ['/console', '/host'];

async function precache() {
  const cache = await caches.open(CACHE);
  // Straight from the server, never from the HTTP cache: the files must
  // belong to this version.
  await cache.addAll(SHELL.map(url => new Request(url, { cache: 'reload', credentials: 'omit' })));
}

self.addEventListener('install', event => {
  event.waitUntil((async () => {
    await precache();
    // Tell open pages a new version waits; the first install just activates.
    if (self.registration.active) {
      for (const client of await self.clients.matchAll({ includeUncontrolled: true })) {
        client.postMessage('update-ready');
      }
    } else {
      await self.skipWaiting();
    }
  })());
});

self.addEventListener('activate', event => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('vanguard-shell-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', event => {
  if (event.data === 'skip-waiting') self.skipWaiting();
  // After a logout emptied the caches and a new login.
  if (event.data === 'precache') event.waitUntil(precache());
});

// After a logout emptied the caches, with no network: still a page, never
// the browser's error.
function signedOutOffline() {
  const html = '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>先锋台账</title></head>' +
    '<body><h1>当前没有网络</h1><p>已退出登录，本机数据已清除。联网后请重新登录。</p></body></html>';
  return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } });
}

self.addEventListener('fetch', event => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  // Data always goes to the network: the app keeps its own copy.
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/sfn/')) return;
  const shell = SHELL.includes(url.pathname) || CONSOLE.includes(url.pathname);
  if (shell) {
    // The shell of this version, from the cache first: instant and offline.
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      const hit = await cache.match(url.pathname);
      if (hit) return hit;
      const response = await fetch(request);
      if (response.ok) await cache.put(url.pathname, response.clone());
      return response;
    })());
    return;
  }
  if (request.mode === 'navigate' && CONSOLE_PAGES.some(p => url.pathname === p || url.pathname.startsWith(`${p}/`))) {
    // A console page: from the network, keeping this device's copy of its
    // last visit, which opens with no network (the page then sends what
    // was done offline when the network returns).
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      try {
        const response = await fetch(request);
        if (response.ok && !response.redirected) await cache.put(url.pathname, response.clone());
        return response;
      } catch {
        return (await cache.match(url.pathname)) ?? (await caches.match('/offline.html')) ?? signedOutOffline();
      }
    })());
    return;
  }
  if (request.mode === 'navigate') {
    // Other pages need the server; with none, a page that says so and links
    // to the ones that work offline, never the browser's error page.
    event.respondWith(fetch(request).catch(async () =>
      (await caches.match('/offline.html')) ?? signedOutOffline()));
  }
});
