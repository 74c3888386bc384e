// digits.test.mjs - section 5 (coloured digits) in Debian's Chromium: the digit weights are
// fetched only when the section is first used; the grid is drawn and our classifier (run in
// Node on the page's own pixels) labels it with the requested class; a drawn digit gives
// every class in its style; a corrupt digit weights file is reported in the section while
// the other sections keep working. Measures transfer with and without the digit files and
// the time of 16 digits x 50 steps in the page; saves screenshots.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';

import { loadApi, WEB } from '../wasm/loader.mjs';
import { ARTIFACTS, glCoverage, openPage, start } from './harness.mjs';

const DIGIT_FILES = ['digit_vae.safetensors', 'digit_latent.safetensors', 'digit_cvae.safetensors', 'classifier.safetensors'];
// TD_DIGIT_WEIGHTS=DIR serves retrained stand-ins for the digit files (while new weights are on their way).
const standIns = process.env.TD_DIGIT_WEIGHTS;

let env, td, digits;
before(async () => {
  env = await start();
  td = await loadApi();
  const { Digits } = await import(pathToFileURL(join(WEB, 'js', 'ops_digits.js')).href);
  digits = new Digits(td);
  digits.load('classifier', readFileSync(join(standIns || join(WEB, 'weights'), 'classifier.safetensors')));
});
after(async () => {
  if (digits) digits.free();
  if (env) await env.close();
});

// A context that counts the bytes of every response, with the stand-in digit weights routed in.
async function newContext(route = null) {
  const context = await env.browser.newContext({ reducedMotion: 'reduce', viewport: { width: 1100, height: 900 }, serviceWorkers: 'block' });
  const transfer = { bytes: 0, files: new Map() };
  context.on('response', async (r) => {
    try {
      const body = await r.body();
      transfer.bytes += body.length;
      transfer.files.set(new URL(r.url()).pathname, body.length);
    } catch { /* redirects and aborted requests have no body */ }
  });
  await context.route('**/weights/*.safetensors', (r) => {
    const file = new URL(r.request().url()).pathname.split('/').pop();
    if (route && route(file)) return r.fulfill(route(file));
    if (standIns && DIGIT_FILES.includes(file) && existsSync(join(standIns, file)))
      return r.fulfill({ status: 200, contentType: 'application/octet-stream', body: readFileSync(join(standIns, file)) });
    return r.continue();
  });
  return { context, transfer };
}

const waitState = (page, id, states = ['done'], timeout = 60000) => page.waitForFunction(
  ([sel, ok]) => ok.includes(document.getElementById(sel).dataset.state), [id, states], { timeout });

const MB = (b) => (b / 1e6).toFixed(2);

test('the digit section loads its weights on first use, draws a grid of the requested class, and styles a drawing', async () => {
  const { context, transfer } = await newContext();
  const { page, problems } = await openPage(context, `${env.base}?digits.class=7&digits.color=20c0ff&digits.seed=4`);
  await waitState(page, 'reverse');
  await page.waitForTimeout(500);
  const fetchedEarly = [...transfer.files.keys()].filter((p) => DIGIT_FILES.some((f) => p.endsWith(f)));
  assert.deepEqual(fetchedEarly, [], 'digit weights were fetched before the section was used');
  const before = transfer.bytes;
  assert.equal(await page.evaluate(() => window.thinkdiffPage.digitsLoaded), false);

  await page.locator('#digits').scrollIntoViewIfNeeded();
  await waitState(page, 'digits');
  const run = await page.evaluate(() => {
    const r = window.thinkdiffPage.digits;
    return { x: Array.from(r.x), n: r.n, label: r.label, rgb: r.rgb, ms: r.sampleMs, nfe: r.nfe };
  });
  assert.equal(run.label, 7);
  const { pred } = digits.classify(Float32Array.from(run.x));
  const right = Array.from(pred).filter((p) => p === 7).length;
  assert.ok(right >= 0.9 * run.n, `${right} / ${run.n} of the page's digits are 7s by our classifier (${Array.from(pred).join(' ')})`);
  const cover = await glCoverage(page, '#digits canvas.plot-gl');
  assert.equal(cover.length, 4);
  for (const c of cover.slice(0, 3)) assert.ok(c.fraction > 0.05, `grid/scrubber coverage ${c.fraction}`);

  // The scrubber: frame 0 (noise, decoded) differs from the last frame (the sample).
  await page.locator('#digits-controls input[name=scrub]').fill('0');
  assert.match(await page.locator('#digits-scrub-readout').textContent(), /prior draw/);

  // Style from a drawn digit: a "1" slanted to the right, with the mouse.
  await page.locator('#digits-pad').scrollIntoViewIfNeeded();
  const pad = await page.locator('#digits-pad').boundingBox();
  await page.mouse.move(pad.x + pad.width * 0.6, pad.y + pad.height * 0.15);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++)
    await page.mouse.move(pad.x + pad.width * (0.6 - 0.2 * i / 12), pad.y + pad.height * (0.15 + 0.7 * i / 12));
  await page.mouse.up();
  await waitState(page, 'digits-style');
  const style = await page.evaluate(() => {
    const r = window.thinkdiffPage.digitsStyle;
    return { x: Array.from(r.x), refLabel: r.refLabel, guessed: r.guessed };
  });
  assert.equal(style.guessed, true);
  assert.equal(style.refLabel, 1, `the classifier read the drawn 1 as ${style.refLabel}`);
  const sp = digits.classify(Float32Array.from(style.x)).pred;
  const styled = Array.from(sp).filter((p, c) => p === c).length;
  assert.ok(styled >= 8, `${styled} / 10 styled digits took their class (${Array.from(sp).join(' ')})`);
  // An example reference works too, and names its own label.
  await page.locator('#digits-examples button').nth(5).click();
  await page.waitForFunction(() => document.getElementById('digits-style').dataset.refLabel === '2');
  await page.locator('#digits-controls input[name=scrub]').fill('12');

  const after = transfer.bytes;
  const digitBytes = [...transfer.files].filter(([p]) => DIGIT_FILES.some((f) => p.endsWith(f)));
  console.log(`transfer: page without digit weights ${MB(before)} MB; after the digit section ${MB(after)} MB `
    + `(digit files: ${digitBytes.map(([p, b]) => `${p.split('/').pop()} ${MB(b)}`).join(', ')})`);
  console.log(`digits: ${run.n} x 50 steps (${run.nfe} calls) with 26 decoded scrubber frames: ${run.ms.toFixed(0)} ms in the page's worker`);
  await page.locator('#digits').screenshot({ path: join(ARTIFACTS, 'section-digits.png') });
  assert.deepEqual(problems, { console: [], errors: [], csp: [] });
  await context.close();
});

test('16 digits x 50 steps in the page, timed over three seeds', async () => {
  const { context } = await newContext();
  const { page } = await openPage(context, `${env.base}?digits.n=16&digits.steps=50&digits.sampler=ddim`);
  await page.locator('#digits').scrollIntoViewIfNeeded();
  await waitState(page, 'digits');
  const times = [];
  for (let s = 1; s <= 3; s++) {
    await page.locator('#digits-controls button[name=reseed]').click();
    await page.waitForFunction((seed) => window.thinkdiffPage.digits && window.thinkdiffPage.digits.seed === seed, s);
    await waitState(page, 'digits');
    times.push(await page.evaluate(() => window.thinkdiffPage.digits.sampleMs));
  }
  console.log(`digits: 16 x 50 ddim steps + 26 decoded frames, in the page: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
  assert.ok(Math.min(...times) < 5000);
  await context.close();
});

test('a corrupt digit weights file shows a visible error in the section while the other sections keep working', async () => {
  const junk = { status: 200, contentType: 'application/octet-stream', body: Buffer.from('this is not a safetensors file at all') };
  const { context } = await newContext((file) => (file === 'digit_latent.safetensors' ? junk : null));
  const { page, problems } = await openPage(context, env.base);
  await page.locator('#digits').scrollIntoViewIfNeeded();
  await waitState(page, 'digits', ['failed']);
  const message = page.locator('#digits-weights');
  await message.waitFor({ state: 'visible' });
  assert.match(await message.textContent(), /weights\/digit_latent\.safetensors\) could not be loaded/);
  assert.equal(await message.getAttribute('data-state'), 'error');
  // Style needs other files: it still works, and so do the other sections.
  await page.locator('#digits-examples button').first().click();
  await waitState(page, 'digits-style');
  await waitState(page, 'reverse');
  const cover = await glCoverage(page, '#reverse canvas.plot-gl');
  assert.ok(cover.some((c) => c.fraction > 0.01));
  await page.locator('#digits').screenshot({ path: join(ARTIFACTS, 'section-digits-error.png') });
  assert.deepEqual(problems.errors, []);
  await context.close();
});
