// train.test.mjs - "Train it yourself" in Debian's Chromium: points painted with the mouse are
// learned (the loss falls, the samples move onto the drawing), a downloaded model gives the
// native CLI the page's samples for the same seed, and every bad input (too few points, a CSV
// with garbage, a file that is not a model, a model of the wrong kind) shows its message while
// the drawing and the model stay.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { WEB } from '../wasm/loader.mjs';
import { ARTIFACTS, glCoverage, nativeCli, openPage, readNpy, start } from './harness.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.close(); });

const newContext = () => env.browser.newContext({ reducedMotion: 'reduce', viewport: { width: 1100, height: 900 }, serviceWorkers: 'block',
  acceptDownloads: true });
const train = (page) => page.evaluate(() => window.thinkdiffPage.train);
const waitTrain = (page, fn, arg, timeout = 60000) =>
  page.waitForFunction(fn, arg, { timeout });

// Paint a stroke on the data plot from (x0, y0) to (x1, y1) in data coordinates.
async function stroke(page, [x0, y0], [x1, y1], moves = 40) {
  const canvas = page.locator('#train-figures figure:first-child canvas.plot-gl');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const [vx0, vy0, vx1, vy1] = (await train(page)).dataView;   // [-4, 4]^2 widened to the canvas's shape
  const px = (x) => box.x + (x - vx0) / (vx1 - vx0) * box.width, py = (y) => box.y + (vy1 - y) / (vy1 - vy0) * box.height;
  await page.mouse.move(px(x0), py(y0));
  await page.mouse.down();
  for (let i = 1; i <= moves; i++)
    await page.mouse.move(px(x0 + (x1 - x0) * i / moves), py(y0 + (y1 - y0) * i / moves));
  await page.mouse.up();
}

// Mean distance from each sample to the nearest drawn point.
function meanGap(x, pts) {
  let sum = 0;
  for (let i = 0; i < x.length; i += 2) {
    let best = Infinity;
    for (let j = 0; j < pts.length; j += 2) best = Math.min(best, Math.hypot(x[i] - pts[j], x[i + 1] - pts[j + 1]));
    sum += best;
  }
  return sum / (x.length / 2);
}

test('points painted with the mouse are learned: the loss falls and the samples move onto the drawing', async () => {
  const context = await newContext();
  try {
    const { page, problems } = await openPage(context, `${env.base}?train.steps=3000&train.width=48`);
    await page.selectOption('#train-controls [name=data]', 'drawing');
    await stroke(page, [-2.5, 2], [2.5, 2]);
    await stroke(page, [-2.5, -2], [2.5, -2]);
    const drawn = (await train(page)).drawing;
    console.log(`painted ${drawn.length / 2} points`);
    assert.ok(drawn.length / 2 >= 40, `${drawn.length / 2} points`);
    assert.ok(drawn.every((v, i) => (i % 2 ? Math.abs(Math.abs(v) - 2) < 0.2 : Math.abs(v) < 2.8)), 'points land where the mouse went');
    await page.click('#train-controls [name=run]');
    await waitTrain(page, () => window.thinkdiffPage.train.timeline.length >= 1);
    const first = await train(page);
    await waitTrain(page, () => window.thinkdiffPage.train.steps >= 1500);
    // The page stays responsive while the worker trains: Pause answers within a slice.
    const t0 = Date.now();
    await page.click('#train-controls [name=run]');
    await waitTrain(page, () => document.getElementById('train').dataset.state === 'paused'
      && window.thinkdiffPage.train.view?.progress.step === window.thinkdiffPage.train.steps);
    console.log(`paused in ${Date.now() - t0} ms`);
    const paused = await train(page);
    await page.waitForTimeout(600);
    assert.equal((await train(page)).steps, paused.steps, 'paused training went on');
    const L = paused.losses, mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
    const early = mean(L.slice(0, 50)), late = mean(L.slice(-300));
    const gap0 = meanGap(first.view.x, drawn), gap1 = meanGap(paused.view.x, drawn);
    console.log(`loss ${early.toFixed(3)} -> ${late.toFixed(3)}; sample-to-drawing gap ${gap0.toFixed(3)} -> ${gap1.toFixed(3)}; ` +
      `SW2 ${first.view.metrics.sw2.toFixed(3)} -> ${paused.view.metrics.sw2.toFixed(3)} (floor ${paused.view.metrics.sw2Floor.toFixed(3)})`);
    assert.ok(late < 0.7 * early, `the loss did not fall (${early} -> ${late})`);
    assert.ok(gap1 < 0.5 * gap0 && gap1 < 0.3, `samples did not move onto the drawing (${gap0} -> ${gap1})`);
    assert.ok(Number.isNaN(paused.view.metrics.hqFraction), 'ring metrics on drawn data');
    // Resume carries on from the same step.
    await page.click('#train-controls [name=run]');
    await waitTrain(page, (n) => window.thinkdiffPage.train.steps > n + 100, paused.steps);
    await page.click('#train-controls [name=run]');
    // The drawing is in the URL: a fresh page opens with it.
    const url = page.url();
    assert.match(url, /train\.pts=/);
    const again = await openPage(context, url);
    assert.deepEqual((await train(again.page)).drawing.length, drawn.length);
    assert.equal(await again.page.inputValue('#train-controls [name=data]'), 'drawing');
    assert.equal(await again.page.inputValue('#train-controls [name=width]'), '48');
    const plots = await glCoverage(page, '#train canvas.plot-gl');
    assert.equal(plots.length, 4);
    for (const p of plots) assert.ok(p.fraction > 0.005, `a training plot is empty (${(100 * p.fraction).toFixed(2)}% drawn)`);
    await page.locator('#train').screenshot({ path: join(ARTIFACTS, 'section-train-drawing.png') });
    assert.deepEqual(problems, { console: [], errors: [], csp: [] });
  } finally {
    await context.close();
  }
});

test('a downloaded model gives the native CLI the same samples as the page for the same seed', async () => {
  const cli = nativeCli(), tmp = mkdtempSync(join(tmpdir(), 'td-train-'));
  const context = await newContext();
  try {
    const { page } = await openPage(context, `${env.base}?train.steps=1500&train.width=32&train.sde=ddpm-linear`);
    await page.click('#train-controls [name=run]');
    await waitTrain(page, () => window.thinkdiffPage.train.steps >= 400);
    await page.click('#train-controls [name=run]');
    await waitTrain(page, () => document.getElementById('train').dataset.state === 'paused'
      && window.thinkdiffPage.train.view?.progress.step === window.thinkdiffPage.train.steps);
    const { view } = await train(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-controls [name=download]')]);
    const file = join(tmp, 'page.safetensors'), out = join(tmp, 'cli.npy');
    await download.saveAs(file);
    assert.match(download.suggestedFilename(), /\.safetensors$/);
    execFileSync(cli, ['sample', '--model', file, '--sampler', 'ddpm', '--steps', '100', '--n', '1000', '--seed', '1',
      '--out', out], { stdio: 'pipe' });
    const x = readNpy(out).data;
    assert.equal(x.length, view.x.length);
    const worst = x.reduce((w, v, i) => Math.max(w, Math.abs(v - view.x[i])), 0);
    console.log(`page vs CLI on the downloaded model (step ${view.progress.step}): max |difference| ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-3, `the CLI's samples differ from the page's by up to ${worst}`);
    // The CLI reads the page's metadata.
    const info = execFileSync(cli, ['info', file], { encoding: 'utf8' });
    assert.match(info, /ddpm-linear/);
    assert.match(info, /thinkdiff page/);
    // And the other way: a CLI-trained model dropped on the page loads and continues.
    const cliModel = join(tmp, 'cli.safetensors');
    execFileSync(cli, ['train', 'toy', '--model', 'vp', '--steps', '200', '--width', '16', '--depth', '1', '--out', cliModel,
      '--quiet'], { stdio: 'pipe' });
    await page.setInputFiles('#train-controls [name=file]', cliModel);
    await waitTrain(page, () => /Loaded cli\.safetensors: a vp model/.test(document.getElementById('train-message').textContent));
    assert.equal(await page.inputValue('#train-controls [name=sde]'), 'vp');
    assert.equal((await train(page)).view.progress.step, 0);
  } finally {
    await context.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('too few points, a CSV with garbage, a non-model file and a model of the wrong kind each show a message; nothing is lost', async () => {
  const context = await newContext();
  try {
    const { page, problems } = await openPage(context, `${env.base}?train.steps=2000&train.width=32`);
    const message = () => page.textContent('#train-message');
    const isError = () => page.getAttribute('#train-message', 'data-kind');
    // 1. A drawing of a single dab: too few points.
    await page.selectOption('#train-controls [name=data]', 'drawing');
    await page.click('#train-controls [name=clear]');
    await stroke(page, [0, 0], [0, 0], 1);
    await page.click('#train-controls [name=run]');
    await waitTrain(page, () => /Too few points/.test(document.getElementById('train-message').textContent));
    assert.equal(await isError(), 'error');
    console.log(await message());
    // A good CSV: it becomes the drawing; train a little so there is a model to lose.
    const good = Array.from({ length: 60 }, (_, i) => `${(Math.cos(i) * 2).toFixed(3)},${(Math.sin(i) * 2).toFixed(3)}`).join('\n');
    await page.setInputFiles('#train-controls [name=file]', { name: 'circle.csv', mimeType: 'text/csv', buffer: Buffer.from(`x,y\n${good}\n`) });
    await waitTrain(page, () => /Loaded 60 points from circle\.csv/.test(document.getElementById('train-message').textContent));
    await page.click('#train-controls [name=run]');
    await waitTrain(page, () => window.thinkdiffPage.train.steps >= 200);
    await page.click('#train-controls [name=run]');
    // (Until the first view arrives, `view` is null: a short run can pause before it does.)
    await waitTrain(page, () => document.getElementById('train').dataset.state === 'paused'
      && window.thinkdiffPage.train.view?.progress.step === window.thinkdiffPage.train.steps);
    const kept = await train(page);
    const bad = [
      [{ name: 'garbage.csv', mimeType: 'text/csv', buffer: Buffer.from('x,y\n1,2\n3,4\nhello world\n5,6\n') },
        /The CSV garbage\.csv was not loaded: line 4: expected two numbers/],
      [{ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('\x89PNG\r\n\x1a\n not a model at all') },
        /photo\.png was not loaded: this file is not a thinkdiff model/],
      [{ name: 'map1d.safetensors', mimeType: 'application/octet-stream', buffer: readFileSync(join(WEB, 'weights', 'map1d.safetensors')) },
        /map1d\.safetensors was not loaded: this file holds a map1d model; the trainer continues diffusion models and VAEs/],
    ];
    for (const [file, pattern] of bad) {
      await page.setInputFiles('#train-controls [name=file]', file);
      await waitTrain(page, (src) => new RegExp(src).test(document.getElementById('train-message').textContent), pattern.source);
      console.log(await message());
      assert.equal(await isError(), 'error');
      assert.match(await message(), /unchanged/);
      const now = await train(page);
      assert.deepEqual(now.drawing, kept.drawing, 'the drawing changed');
      assert.equal(now.view.progress.step, kept.view.progress.step, 'the model changed');
    }
    // The model is still there: download works and Resume carries on from the same step.
    await page.click('#train-controls [name=run]');
    await waitTrain(page, (n) => window.thinkdiffPage.train.steps > n, kept.steps);
    await page.click('#train-controls [name=run]');
    // The detector is not stuck: a good file clears the error.
    await page.setInputFiles('#train-controls [name=file]', { name: 'circle.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await waitTrain(page, () => document.getElementById('train-message').dataset.kind === 'info');
    await page.locator('#train').screenshot({ path: join(ARTIFACTS, 'section-train-errors.png') });
    assert.deepEqual(problems.errors, []);
  } finally {
    await context.close();
  }
});

test('a VAE chosen in the page trains: its -ELBO falls, prior samples and the decoded latent grid are drawn', async () => {
  const context = await newContext();
  try {
    // 1500 steps of a 32 x 2 VAE: about a second of training in the worker.
    const { page, problems } = await openPage(context, `${env.base}?train.steps=1500&train.width=32&train.depth=2&train.lr=0.01`);
    await page.selectOption('#train-controls [name=sde]', 'vae');
    await page.click('#train-controls [name=run]');
    await waitTrain(page, () => document.getElementById('train').dataset.state === 'done'
      && window.thinkdiffPage.train.view?.progress.step === 1500);
    const { view, losses } = await train(page);
    const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
    const early = mean(losses.slice(0, 20)), late = mean(losses.slice(-200));
    console.log(`VAE in the page: -ELBO ${early.toFixed(3)} -> ${late.toFixed(3)} nats over ${losses.length} steps; ` +
      `SW2 ${view.metrics.sw2.toFixed(3)} (floor ${view.metrics.sw2Floor.toFixed(3)})`);
    assert.ok(late < early - 0.5, `-ELBO did not fall (${early} -> ${late})`);
    assert.equal(view.family, 'vae');
    assert.equal(view.settings.sde, 'vae');
    assert.equal(view.x.length, 2000);
    assert.ok(view.grid && view.grid.length === 2 * 17 * 17, 'the latent grid replaces the score field');
    const r = view.x.filter((_, i) => i % 2 === 0).map((x, i) => Math.hypot(x, view.x[2 * i + 1])).sort((a, b) => a - b);
    assert.ok(Math.abs(r[500] - 2) < 0.5, `prior samples are not on the ring (median radius ${r[500]})`);
    const captions = await page.locator('#train figcaption').allTextContents();
    assert.ok(captions.some((c) => /no score/.test(c)) && captions.some((c) => /−ELBO/.test(c)), captions.join(' | '));
    const plots = await glCoverage(page, '#train canvas.plot-gl');
    console.log(`plots drawn: ${plots.map((p) => `${(100 * p.fraction).toFixed(2)}%`).join(', ')}`);
    await page.locator('#train').screenshot({ path: join(ARTIFACTS, 'section-train-vae.png') });
    for (const p of plots) assert.ok(p.fraction > 0.003, `a training plot is empty (${(100 * p.fraction).toFixed(2)}% drawn)`);
    // A VAE file dropped on the page (the CLI's shipped VAE) is shown and continues training.
    await page.setInputFiles('#train-controls [name=file]', { name: 'vae.safetensors', mimeType: 'application/octet-stream',
      buffer: readFileSync(join(WEB, 'weights', 'vae.safetensors')) });
    await waitTrain(page, () => /Loaded vae\.safetensors: a vae model/.test(document.getElementById('train-message').textContent));
    const loaded = await train(page);
    assert.equal(loaded.view.family, 'vae');
    assert.equal(loaded.view.progress.step, 0);
    assert.equal(await page.inputValue('#train-controls [name=sde]'), 'vae');
    await page.click('#train-controls [name=run]');
    await waitTrain(page, () => window.thinkdiffPage.train.steps >= 200);
    await page.click('#train-controls [name=run]');
    const cont = (await train(page)).losses;
    console.log(`dropped shipped VAE: -ELBO over its first 50 steps ${mean(cont.slice(0, 50)).toFixed(3)} nats`);
    assert.ok(mean(cont.slice(0, 50)) < late, 'the dropped VAE did not start from its trained weights');
    assert.deepEqual(problems, { console: [], errors: [], csp: [] });
  } finally {
    await context.close();
  }
});
