// sw.js - keeps the page working offline once it has loaded.
//
// Network first, cache as the fallback: online readers always get the files of
// one build together (the glue thinkdiff.js and thinkdiff.wasm must match), and
// every successful response refreshes the cache for the next offline visit.
const CACHE = 'thinkdiff-v4';
const ASSETS = [
  './',
  'index.html',
  'css/style.css',
  'js/main.js',
  'js/client.js',
  'js/url.js',
  'js/gl.js',
  'js/api.js',
  'js/ops.js',
  'js/ops_models.js',
  'js/ops_train.js',
  'js/ops_digits.js',
  'js/api_train.js',
  'js/weights.js',
  'js/worker.js',
  'js/sections/transform.js',
  'js/sections/forward.js',
  'js/sections/reverse.js',
  'js/sections/map1d.js',
  'js/sections/vae.js',
  'js/sections/train.js',
  'js/sections/digits.js',
  'examples/digits.bin',
  'thinkdiff.js',
  'thinkdiff.wasm',
  'build-info.json',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    try {
      const response = await fetch(request);
      if (response.ok) {
        const copy = response.clone();
        event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
      }
      return response;
    } catch (offline) {
      // Settings live in the query string: any ?... of the page is the page.
      const cached = await caches.match(request, { ignoreSearch: request.mode === 'navigate' });
      if (cached) return cached;
      throw offline;
    }
  })());
});
