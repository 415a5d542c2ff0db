/* global self, caches, fetch, URL, Response */
// Offline shell: the page and its assets are cached at install and served from the cache when the
// network is gone. API calls are never cached here: the app keeps its own queue (IndexedDB) and
// shows what is pending; the live stream reconnects by itself.
const CACHE = 'shell-v1';
const SHELL = ['/', '/manifest.webmanifest', '/icon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL);
    // The hashed assets the page references.
    const html = await (await cache.match('/')).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    await cache.addAll(assets);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/') || url.pathname === '/docs') return;
  if (event.request.mode === 'navigate') {
    // Network first for the page (a new build reaches the tablet), the cached shell when offline.
    event.respondWith(fetch(event.request).then((res) => {
      const copy = res.clone();
      void caches.open(CACHE).then((c) => c.put('/', copy));
      return res;
    }).catch(async () => (await caches.match('/')) ?? Response.error()));
    return;
  }
  event.respondWith((async () => {
    const hit = await caches.match(event.request);
    if (hit) return hit;
    const res = await fetch(event.request);
    if (res.ok && url.pathname.startsWith('/assets/')) {
      const copy = res.clone();
      void caches.open(CACHE).then((c) => c.put(event.request, copy));
    }
    return res;
  })());
});
