// harness.mjs - serve web/ on a free loopback port and drive Debian's Chromium
// with playwright-core (never a downloaded browser), collecting console errors,
// page errors and Content-Security-Policy violations.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT, WEB } from '../wasm/loader.mjs';

const { serve } = await import(join(ROOT, 'scripts', 'serve-web.mjs'));
const { chromium } = await import(join(ROOT, 'tests', 'node_modules', 'playwright-core', 'index.mjs'));

export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

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

// For every WebGL canvas in a visible section: how many pixels differ from the
// plot's background (its corner pixel), read back from the GL drawing buffer.
export function glCoverage(page, selector) {
  return page.evaluate((sel) => [...document.querySelectorAll(sel)].map((canvas) => {
    const gl = canvas.getContext('webgl2');
    const w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
    const px = new Uint8Array(w * h * 4);
    gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
    let differ = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (Math.abs(px[i] - px[0]) + Math.abs(px[i + 1] - px[1]) + Math.abs(px[i + 2] - px[2]) > 24) differ++;
    }
    return { section: canvas.closest('section').id, w, h, fraction: differ / (w * h) };
  }), selector);
}
