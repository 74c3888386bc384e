// page.test.mjs - the static page in Debian's Chromium: loads cleanly under its CSP,
// every visible section draws, settings round-trip through the URL, works offline.
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ARTIFACTS, glCoverage, openPage, start } from './harness.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.close(); });

test('the page loads with no console errors and no CSP violations', async () => {
  const context = await env.browser.newContext({ reducedMotion: 'reduce', viewport: { width: 1100, height: 900 } });
  try {
    const { page, problems, readyMs } = await openPage(context, env.base);
    const status = await page.textContent('#status');
    console.log(`page ready in ${readyMs} ms: ${status}`);
    assert.match(status, /^Ready/);
    assert.deepEqual(problems, { console: [], errors: [], csp: [] });
    assert.match(await page.textContent('#build-info'), /^Build [0-9a-f]{7,}|^Build unknown/);
    await page.screenshot({ path: join(ARTIFACTS, 'page-full.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('the CSP detector fires: an inline script is blocked and reported', async () => {
  const context = await env.browser.newContext({ reducedMotion: 'reduce' });
  try {
    const { page, problems } = await openPage(context, env.base);
    const ran = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.append(s);
      return new Promise((ok) => setTimeout(() => ok(window.__inlineRan === true), 100));
    });
    assert.equal(ran, false, 'the inline script must not run');
    assert.ok(problems.csp.some((v) => /script-src/.test(v)), `violations seen: ${problems.csp}`);
  } finally {
    await context.close();
  }
});

test('every visible section draws non-empty WebGL plots', async () => {
  const context = await env.browser.newContext({ reducedMotion: 'reduce', viewport: { width: 1100, height: 900 } });
  try {
    const { page } = await openPage(context, env.base);
    await page.waitForFunction(() => document.getElementById('transform-readout').textContent !== ''
      && document.getElementById('forward-readout').textContent !== ''
      && ['reverse', 'score', 'map1d', 'vae'].every((id) => document.getElementById(id).dataset.state === 'done'),
    null, { timeout: 60000 });
    // (The training section draws its samples once trained: tests/browser/train.test.mjs; the
    // digits section fetches its weights when first scrolled to: tests/browser/digits.test.mjs.)
    const plots = await glCoverage(page, 'section:not([hidden]):not(#train):not(#digits) canvas.plot-gl');
    assert.ok(plots.length >= 18, `only ${plots.length} plots`);
    for (const p of plots) {
      assert.ok(p.w > 100 && p.h > 80, `a ${p.section} plot is ${p.w}x${p.h}`);
      assert.ok(p.fraction > 0.01, `a ${p.section} plot is empty (${(100 * p.fraction).toFixed(2)}% drawn)`);
    }
    await page.locator('#transform').screenshot({ path: join(ARTIFACTS, 'section-transform.png') });
  } finally {
    await context.close();
  }
});

test('the transform section follows its URL settings and writes them back', async () => {
  const context = await env.browser.newContext({ reducedMotion: 'reduce' });
  try {
    const { page } = await openPage(context, `${env.base}?transform.seed=7&transform.n=1000&transform.bins=20`);
    await page.waitForFunction(() => /1,000 draws/.test(document.getElementById('transform-readout').textContent));
    assert.equal(await page.inputValue('#transform-controls [name=seed]'), '7');
    await page.fill('#transform-controls [name=seed]', '8');
    await page.waitForFunction(() => location.search.includes('transform.seed=8'));
    // A bad value in the URL falls back to the default rather than breaking the page.
    const bad = await openPage(context, `${env.base}?transform.seed=-3&transform.n=5`);
    assert.equal(await bad.page.inputValue('#transform-controls [name=seed]'), '1');
    assert.equal(await bad.page.inputValue('#transform-controls [name=n]'), '10000');
  } finally {
    await context.close();
  }
});

test('a phone-sized screen gets one column without horizontal scrolling', async () => {
  const context = await env.browser.newContext({ reducedMotion: 'reduce', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  try {
    const { page } = await openPage(context, env.base);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(ARTIFACTS, 'page-phone.png') });
  } finally {
    await context.close();
  }
});

test('after one visit the page works offline (service worker cache)', async () => {
  const context = await env.browser.newContext({ reducedMotion: 'reduce' });
  try {
    const { page } = await openPage(context, env.base);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 10000 })
      .catch(() => page.reload());
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await context.setOffline(true);
    const offline = await openPage(context, `${env.base}?transform.seed=5`);
    assert.match(await offline.page.textContent('#status'), /^Ready/);
    // Every section starts offline: all the files they import are in the cache.
    await offline.page.waitForFunction(() => document.getElementById('transform-readout').textContent !== ''
      && document.getElementById('forward-readout').textContent !== ''
      && document.getElementById('reverse').dataset.state === 'done', null, { timeout: 30000 });
    assert.deepEqual(offline.problems.errors, []);
  } finally {
    await context.close();
  }
});

test('reverse diffusion with the exact score lands the particles on the 8 modes', async () => {
  const context = await env.browser.newContext({ reducedMotion: 'reduce', viewport: { width: 1100, height: 900 } });
  try {
    const { page, problems } = await openPage(context,
      `${env.base}?reverse.model=exact&reverse.sampler=ode-heun&reverse.kind=vp&reverse.steps=60&reverse.n=4096&reverse.seed=3&reverse.trails=1`);
    await page.waitForFunction(() => ['reverse', 'score'].every((id) => document.getElementById(id).dataset.state === 'done'),
      null, { timeout: 60000 });
    const result = await page.evaluate(() => {
      const run = window.thinkdiffPage.reverse;
      const hits = new Array(8).fill(0);
      let near = 0;
      for (let i = 0; i < run.n; i++) {
        const x = run.x[2 * i], y = run.x[2 * i + 1];
        const k = ((Math.round(Math.atan2(y, x) / (Math.PI / 4)) % 8) + 8) % 8;
        const d = Math.hypot(x - 2 * Math.cos(k * Math.PI / 4), y - 2 * Math.sin(k * Math.PI / 4));
        if (d < 0.06) { near++; hits[k]++; }
      }
      return { n: run.n, near, hits, metrics: document.getElementById('reverse-metrics').textContent };
    });
    console.log(result.metrics);
    assert.equal(result.n, 4096);
    assert.ok(result.near / result.n > 0.95, `only ${result.near} of ${result.n} within 3 std of a mode`);
    for (const h of result.hits) assert.ok(h > 300, `mode counts ${result.hits}`);
    assert.match(result.metrics, /modes covered\s+8 \/ 8/);
    const plots = await glCoverage(page, '#reverse canvas.plot-gl');
    for (const p of plots) assert.ok(p.fraction > 0.005, `a reverse plot is empty (${p.fraction})`);
    assert.deepEqual(problems, { console: [], errors: [], csp: [] });
    await page.locator('#reverse').screenshot({ path: join(ARTIFACTS, 'section-reverse.png') });
    await page.locator('#forward').screenshot({ path: join(ARTIFACTS, 'section-forward.png') });
  } finally {
    await context.close();
  }
});

test('the reverse section plays the trajectory, or shows its end at once to a reader who prefers reduced motion', async () => {
  const url = `${env.base}?reverse.model=exact&reverse.steps=20&reverse.n=1024&reverse.seed=2`;
  const ends = {};
  for (const motion of ['no-preference', 'reduce']) {
    const context = await env.browser.newContext({ reducedMotion: motion, viewport: { width: 1100, height: 900 } });
    try {
      const { page, problems } = await openPage(context, url);
      await page.waitForFunction(() => document.getElementById('reverse').dataset.state === 'done', null, { timeout: 60000 });
      ends[motion] = await page.evaluate(() => {
        const section = document.getElementById('reverse'), r = window.thinkdiffPage.reverse;
        return { played: section.dataset.played, t: document.getElementById('reverse-metrics').dataset.t,
          first: [r.x[0], r.x[1]], metrics: /modes covered/.test(document.getElementById('reverse-metrics').textContent) };
      });
      if (motion === 'reduce') {
        // Replay is an explicit request: it animates even here.
        await page.click('#reverse-controls [name=replay]');
        await page.waitForFunction(() => document.getElementById('reverse').dataset.played === 'animated');
      }
      assert.deepEqual(problems, { console: [], errors: [], csp: [] });
    } finally {
      await context.close();
    }
  }
  assert.equal(ends['no-preference'].played, 'animated');
  assert.equal(ends.reduce.played, 'still');
  // Both end on the same frame, the same particles and the metrics.
  assert.deepEqual(ends.reduce, { ...ends['no-preference'], played: 'still' });
  assert.ok(ends.reduce.metrics);
});

test('the static server sends wasm as application/wasm and refuses paths outside web/', async () => {
  const wasm = await fetch(`${env.base}thinkdiff.wasm`);
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.match((await fetch(`${env.base}js/main.js`)).headers.get('content-type'), /^text\/javascript/);
  // fetch() normalises '..' away; a raw request sends it as is.
  const { port } = new URL(env.base);
  const raw = (path) => new Promise((ok, fail) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => { res.resume(); ok(res.statusCode); }).on('error', fail);
  });
  assert.equal(await raw('/../build-wasm.sh'), 404, 'dot segments resolve inside web/');
  assert.equal(await raw('/..%2fbuild-wasm.sh'), 403, 'an encoded slash cannot climb out');
  assert.equal((await fetch(`${env.base}missing.js`)).status, 404);
});
