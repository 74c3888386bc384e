// run.mjs - the page's training speed, in one headless Chromium run (Debian's /usr/bin/chromium
// through playwright-core from tests/node_modules):
//   1. steps/s of thinkdiff's trainer and of TF.js (wasm backend) on the same MLP, batch and
//      Adam (bench.js), and their ratio;
//   2. from a fresh page (new context, nothing cached), the time until "Train it yourself"
//      with its default settings (DDPM cosine on the 8-Gaussian ring) first shows 8/8 modes
//      and >= 90% high-quality samples, counted from navigation start.
// node bench/browser-train/run.mjs [--rounds N] [--seconds S] [--fresh N] [--query 'train.steps=8000&...']
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const { serve } = await import(join(ROOT, 'scripts', 'serve-web.mjs'));
const { chromium } = await import(join(ROOT, 'tests', 'node_modules', 'playwright-core', 'index.mjs'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('rounds', 2), seconds = arg('seconds', 3), fresh = arg('fresh', 2);
const qi = process.argv.indexOf('--query'), query = qi > 0 ? `?${process.argv[qi + 1]}` : '';

const server = await serve(ROOT, 0);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
try {
  // ---- 1. steps per second ------------------------------------------------------------------
  if (rounds > 0) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}bench/browser-train/index.html?rounds=${rounds}&seconds=${seconds}`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 10 * 60000 });
  const r = await page.evaluate(() => window.benchResult);
  await context.close();
  if (r.error) throw new Error(r.error);
  console.log(`${r.userAgent}`);
  console.log(`MLP [x, 32-d time embedding] -> ${r.net.depth} x ${r.net.width} SiLU -> 2, batch ${r.net.batch}, Adam ${r.net.lr}`);
  console.log(`thinkdiff (${r.oursPath}): ${r.ours.toFixed(0)} steps/s  [rounds ${r.runs.ours.map((v) => v.toFixed(0)).join(', ')}]`);
  console.log(`${r.tfjsPath}: ${r.tfjs.toFixed(0)} steps/s  [rounds ${r.runs.tfjs.map((v) => v.toFixed(0)).join(', ')}]`);
  console.log(`ratio: ${(r.ours / r.tfjs).toFixed(2)}x`);
  }

  // ---- 2. fresh page to 8/8 modes and >= 90% high quality -----------------------------------
  for (let k = 0; k < fresh; k++) {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 }, serviceWorkers: 'block' });
    const p = await ctx.newPage();
    await p.goto(`${base}web/index.html${query}`);
    await p.waitForFunction(() => document.getElementById('train').dataset.state === 'idle', null, { timeout: 60000 });
    const clickMs = await p.evaluate(() => { document.querySelector('#train-controls [name=run]').click(); return performance.now(); });
    await p.waitForFunction(() => window.thinkdiffPage.train.timeline.some((v) => v.modes === 8 && v.hq >= 0.9)
      || window.thinkdiffPage.train.state === 'done', null, { timeout: 120000 });
    const t = await p.evaluate(() => window.thinkdiffPage.train);
    const hit = t.timeline.find((v) => v.modes === 8 && v.hq >= 0.9);
    if (hit) console.log(`fresh page ${k + 1}: 8/8 modes and ${(100 * hit.hq).toFixed(1)}% HQ at step ${hit.step} after ` +
      `${(hit.ms / 1000).toFixed(1)} s from navigation (Train clicked at ${(clickMs / 1000).toFixed(1)} s)`);
    else console.log(`fresh page ${k + 1}: the run ended without 8/8 and 90% HQ (last: ${JSON.stringify(t.timeline.at(-1))})`);
    await ctx.close();
  }
} finally {
  await browser.close();
  await new Promise((ok) => server.close(ok));
}
