// harness.mjs - serve web/ on a free loopback port and drive Debian's Chromium
// with playwright-core (never a downloaded browser), collecting console errors,
// page errors and Content-Security-Policy violations.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT, WEB } from '../wasm/loader.mjs';

const { serve } = await import(join(ROOT, 'scripts', 'serve-web.mjs'));
const { chromium } = await import(join(ROOT, 'tests', 'node_modules', 'playwright-core', 'index.mjs'));

export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

// The tests' contexts ask for reduced motion (reducedMotion: 'reduce'): the reverse section
// then shows its end at once instead of playing its 2.6 s animation; page.test.mjs checks both.
export async function start() {
  const server = await serve(WEB, 0);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: CHROMIUM_ARGS });
  return {
    base, browser,
    async close() {
      await browser.close();
      await new Promise((ok) => server.close(ok));
    },
  };
}

// A page that records what went wrong: console errors, uncaught errors, CSP violations.
export async function openPage(context, url) {
  const page = await context.newPage();
  const problems = { console: [], errors: [], csp: [] };
  page.on('console', (m) => { if (m.type() === 'error') problems.console.push(m.text()); });
  page.on('pageerror', (e) => problems.errors.push(String(e)));
  await page.exposeFunction('__reportCsp', (v) => problems.csp.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation',
      (e) => window.__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
  });
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true'
    || document.getElementById('status').classList.contains('error'), null, { timeout: 30000 });
  const readyMs = Date.now() - t0;
  return { page, problems, readyMs };
}

// For every plot canvas matching the selector: how many pixels differ from the plot's
// background (its corner pixel). Plots render with the page's one shared WebGL2 context
// and copy each frame to their own canvas (web/js/gl.js), which is read back here.
export function glCoverage(page, selector) {
  return page.evaluate((sel) => [...document.querySelectorAll(sel)].map((canvas) => {
    const w = canvas.width, h = canvas.height;
    const px = canvas.getContext('2d').getImageData(0, 0, w, h).data;
    let differ = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (Math.abs(px[i] - px[0]) + Math.abs(px[i + 1] - px[1]) + Math.abs(px[i + 2] - px[2]) > 24) differ++;
    }
    return { section: canvas.closest('section').id, w, h, fraction: differ / (w * h) };
  }), selector);
}

// While a shipped weights file has not landed in web/weights/ yet, TD_EXTRA_WEIGHTS may
// name a folder of locally trained stand-ins; the browser is served those in its place.
// Files that exist in web/weights/ are always served as they are.
export async function routeStandInWeights(context) {
  const dir = process.env.TD_EXTRA_WEIGHTS;
  if (!dir) return;
  const { existsSync, readFileSync } = await import('node:fs');
  await context.route('**/weights/*.safetensors', (route) => {
    const file = new URL(route.request().url()).pathname.split('/').pop();
    const shipped = join(WEB, 'weights', file), standIn = join(dir, file);
    if (!existsSync(shipped) && existsSync(standIn))
      return route.fulfill({ status: 200, contentType: 'application/octet-stream', body: readFileSync(standIn) });
    return route.continue();
  });
}

// The native CLI, for page-versus-CLI checks: TD_CLI, else build/native/thinkdiff (built if missing).
export function nativeCli() {
  for (const p of [process.env.TD_CLI, join(ROOT, 'build', 'native', 'thinkdiff')].filter(Boolean))
    if (existsSync(p)) return p;
  const dir = join(ROOT, 'build', 'native');
  execFileSync('cmake', ['-S', ROOT, '-B', dir, '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'ignore' });
  execFileSync('cmake', ['--build', dir, '-j2', '--target', 'thinkdiff_cli'], { stdio: 'ignore' });
  return join(dir, 'thinkdiff');
}

// A little-endian float32 .npy file (what `thinkdiff sample` writes) -> { shape, data }.
export function readNpy(path) {
  const b = readFileSync(path);
  assert.equal(b.toString('latin1', 1, 6), 'NUMPY');
  const headerLen = b[6] === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8), start = b[6] === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + headerLen);
  assert.match(header, /'descr': '<f4'/);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const bytes = b.subarray(start + headerLen);
  return { shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) };
}
