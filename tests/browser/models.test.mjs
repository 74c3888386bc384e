// models.test.mjs - the page's trained-model sections in Debian's Chromium: the learned
// 1-D map, VAE / HVAE, reverse diffusion with a shipped network and its score field.
// Checks that each draws, that the page samples exactly what the native CLI samples,
// that a corrupt or missing weights file is reported in its section while the rest of
// the page keeps working, that settings live in the URL; measures ready time, transfer
// and sampling speed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { WEB } from '../wasm/loader.mjs';
import { ARTIFACTS, glCoverage, nativeCli, openPage, readNpy, routeStandInWeights, start } from './harness.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.close(); });

// A context whose requests the test may rewrite: service workers would fetch around routes.
async function newContext(opts = {}) {
  const context = await env.browser.newContext({ reducedMotion: 'reduce', viewport: { width: 1100, height: 900 }, serviceWorkers: 'block', ...opts });
  await routeStandInWeights(context);
  return context;
}

const waitState = (page, id, states = ['done'], timeout = 60000) => page.waitForFunction(
  ([sel, ok]) => ok.includes(document.getElementById(sel).dataset.state), [id, states], { timeout });

function weightsFile(name) {
  for (const dir of [join(WEB, 'weights'), process.env.TD_EXTRA_WEIGHTS].filter(Boolean))
    if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`weights file ${name} is missing from web/weights/`);
}

// ---- tests ----------------------------------------------------------------------------------

test('the map, VAE, learned reverse diffusion and score field sections draw non-empty WebGL plots', async () => {
  const context = await newContext();
  try {
    const { page, problems, readyMs } = await openPage(context,
      `${env.base}?reverse.model=vp&reverse.sampler=ddpm&reverse.samplerB=ode-heun&reverse.steps=100&reverse.n=4096&score.model=vp&score.t=0.05`);
    console.log(`page ready in ${readyMs} ms`);
    for (const id of ['map1d', 'vae', 'reverse', 'score']) await waitState(page, id);
    for (const id of ['map1d', 'vae', 'reverse']) {
      const plots = await glCoverage(page, `#${id} canvas.plot-gl`);
      assert.ok(plots.length >= 2, `${id}: ${plots.length} plots`);
      for (const p of plots) assert.ok(p.fraction > 0.005, `a ${id} plot is empty (${(100 * p.fraction).toFixed(2)}% drawn)`);
    }
    const score = await glCoverage(page, '#score canvas.plot-gl');
    assert.equal(score.length, 3);
    for (const p of score) assert.ok(p.fraction > 0.05, `a score plot is empty (${p.fraction})`);
    // The weights lines say what loaded, not an error.
    for (const id of ['map1d-weights', 'vae-weights', 'reverse-weights'])
      assert.equal(await page.getAttribute(`#${id}`, 'data-state'), 'ok', `${id}: ${await page.textContent(`#${id}`)}`);
    // Both panels ran from the same seed: their first frames (the prior draws) are identical.
    const same = await page.evaluate(() => {
      const { reverse: a, reverseB: b } = window.thinkdiffPage;
      return a.frames.subarray(0, 2 * a.n).every((v, i) => v === b.frames[i]);
    });
    assert.ok(same, 'panels A and B start from different prior draws');
    const metrics = await page.textContent('#reverse-metrics');
    console.log(metrics);
    assert.match(metrics, /modes covered\s+8 \/ 8/);
    const vaeTable = await page.textContent('#vae-terms');
    assert.match(vaeTable, /ELBO/);
    assert.match(vaeTable, /High-quality samples/);
    assert.deepEqual(problems, { console: [], errors: [], csp: [] });
    await page.locator('#map1d').screenshot({ path: join(ARTIFACTS, 'section-map1d.png') });
    await page.locator('#vae').screenshot({ path: join(ARTIFACTS, 'section-vae.png') });
    await page.locator('#reverse').screenshot({ path: join(ARTIFACTS, 'section-reverse-learned.png') });
  } finally {
    await context.close();
  }
});

test('the page samples the same points as the native CLI for the same model, sampler, steps and seed', async () => {
  const cli = nativeCli(), tmp = mkdtempSync(join(tmpdir(), 'td-cli-'));
  const context = await newContext();
  try {
    const n = 1000, steps = 50, seed = 11;
    const cliSample = (sampler, s, model = weightsFile('ring8-vp.safetensors')) => {
      const out = join(tmp, `${sampler}-${s}.npy`);
      execFileSync(cli, ['sample', '--model', model, '--sampler', sampler, '--steps', String(steps), '--n', String(n),
        '--seed', String(s), '--out', out], { stdio: 'pipe' });
      const npy = readNpy(out);
      assert.deepEqual(npy.shape, [n, 2]);
      return npy.data;
    };
    const { page } = await openPage(context, `${env.base}?reverse.model=vp&reverse.sampler=ddpm&reverse.samplerB=ode-heun` +
      `&reverse.steps=${steps}&reverse.n=${n}&reverse.seed=${seed}`);
    await waitState(page, 'reverse');
    const got = await page.evaluate(() => ({ ddpm: Array.from(window.thinkdiffPage.reverse.x),
      'ode-heun': Array.from(window.thinkdiffPage.reverseB.x) }));
    const worstDiff = (a, b) => a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i])), 0);
    for (const sampler of ['ddpm', 'ode-heun']) {
      const expected = cliSample(sampler, seed);
      assert.equal(got[sampler].length, expected.length);
      const worst = worstDiff(got[sampler], expected);
      console.log(`${sampler}: page vs CLI max |difference| ${worst.toExponential(2)} over ${n} samples x ${steps} steps`);
      assert.ok(worst < 1e-3, `${sampler}: the page's samples differ from the CLI's by up to ${worst}`);
    }
    // The comparison can fail: the CLI with another seed gives other samples.
    assert.ok(worstDiff(got.ddpm, cliSample('ddpm', seed + 1)) > 0.1, 'another seed matched');
    // The same for the DDPM network (its own discrete schedule) with DDIM.
    const ddpm = await openPage(context, `${env.base}?reverse.model=ddpm&reverse.sampler=ddim&reverse.samplerB=ddim` +
      `&reverse.steps=${steps}&reverse.n=${n}&reverse.seed=${seed}`);
    await waitState(ddpm.page, 'reverse');
    const x = await ddpm.page.evaluate(() => Array.from(window.thinkdiffPage.reverse.x));
    const worst = worstDiff(x, cliSample('ddim', seed, weightsFile('ring8-ddpm-linear.safetensors')));
    console.log(`ddpm-linear network, ddim: page vs CLI max |difference| ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-3, `the DDPM network's samples differ from the CLI's by up to ${worst}`);
  } finally {
    await context.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a corrupt or missing weights file shows a clear message in its section; the rest still works', async () => {
  const context = await newContext();
  try {
    const good = readFileSync(join(WEB, 'weights', 'vae.safetensors'));
    const corrupt = Buffer.from(good);
    corrupt.writeBigUInt64LE(BigInt(good.length * 4), 0);   // a header longer than the file
    await context.route('**/weights/vae.safetensors', (route) => route.fulfill({ status: 200, body: corrupt }));
    await context.route('**/weights/map1d.safetensors', (route) => route.fulfill({ status: 404, body: 'not found' }));
    const { page, problems } = await openPage(context, `${env.base}?reverse.model=exact&reverse.n=1000&reverse.steps=40`);
    assert.match(await page.textContent('#status'), /^Ready/);
    await waitState(page, 'map1d', ['failed']);
    await waitState(page, 'vae', ['done', 'partial', 'failed']);
    const mapMsg = await page.textContent('#map1d-weights'), vaeMsg = await page.textContent('#vae-weights');
    console.log(`map1d: ${mapMsg}\nvae: ${vaeMsg}`);
    assert.match(mapMsg, /weights of the learned 1-D map \(weights\/map1d\.safetensors\) could not be loaded: .*404/);
    assert.match(vaeMsg, /weights of the VAE \(weights\/vae\.safetensors\) could not be loaded: .*(header|past the end|too short)/);
    assert.ok(await page.isVisible('#vae-weights.error') && await page.isVisible('#map1d-weights.error'));
    // The HVAE still loaded and drew; so did every section without weights.
    assert.equal(await page.getAttribute('#vae', 'data-state'), 'partial');
    await waitState(page, 'reverse');
    await page.waitForFunction(() => document.getElementById('transform-readout').textContent !== ''
      && document.getElementById('forward-readout').textContent !== '');
    const plots = await glCoverage(page, '#transform-figures canvas, #forward canvas.plot-gl, #reverse-figures canvas.plot-gl, '
      + '#vae-samples figure:nth-child(2) canvas.plot-gl, #vae-latents figure:nth-child(2) canvas.plot-gl');
    assert.ok(plots.length >= 11, `${plots.length} plots`);
    for (const p of plots) assert.ok(p.fraction > 0.005, `a ${p.section} plot is empty`);
    assert.deepEqual(problems.errors, []);
    await page.locator('#vae').screenshot({ path: join(ARTIFACTS, 'section-vae-corrupt-weights.png') });
    // The detector is not stuck on: the same page with the real files shows no error.
    await context.unroute('**/weights/vae.safetensors');
    await context.unroute('**/weights/map1d.safetensors');
    const fine = await openPage(context, env.base);
    await waitState(fine.page, 'vae');
    assert.equal(await fine.page.getAttribute('#vae-weights', 'data-state'), 'ok');
  } finally {
    await context.close();
  }
});

test('the new controls round-trip through the URL', async () => {
  const context = await newContext();
  try {
    const { page } = await openPage(context, `${env.base}?vae.seed=3&vae.n=1000&vae.noise=1&map1d.seed=4&map1d.bins=40` +
      '&reverse.model=vp&reverse.sampler=ddim&reverse.samplerB=em&reverse.steps=30&reverse.n=1000&score.model=vp&score.t=0.3');
    await waitState(page, 'vae');
    await waitState(page, 'reverse');
    assert.equal(await page.inputValue('#vae-controls [name=seed]'), '3');
    assert.equal(await page.inputValue('#vae-controls [name=n]'), '1000');
    assert.ok(await page.isChecked('#vae-controls [name=noise]'));
    assert.equal(await page.inputValue('#map1d-controls [name=bins]'), '40');
    assert.equal(await page.inputValue('#reverse-controls [name=model]'), 'vp');
    assert.equal(await page.inputValue('#reverse-controls [name=samplerB]'), 'em');
    assert.ok(await page.isDisabled('#reverse-controls [name=kind]'), 'a network brings its own SDE');
    assert.equal(await page.inputValue('#score-controls [name=t]'), '0.3');
    await page.selectOption('#reverse-controls [name=samplerB]', 'pc');
    await page.waitForFunction(() => location.search.includes('reverse.samplerB=pc'));
    await page.selectOption('#reverse-controls [name=model]', 'exact');
    await page.waitForFunction(() => location.search.includes('reverse.model=exact'));
    assert.ok(!(await page.isDisabled('#reverse-controls [name=kind]')));
    // Bad values fall back to defaults; a weights override outside weights/ is ignored.
    const bad = await openPage(context, `${env.base}?reverse.model=bogus&vae.n=7&weights.vae=../index.html`);
    assert.equal(await bad.page.inputValue('#reverse-controls [name=model]'), 'exact');
    assert.equal(await bad.page.inputValue('#vae-controls [name=n]'), '4000');
    await waitState(bad.page, 'vae');
    // A weights override inside weights/ is followed, and a file of another family refused.
    const other = await openPage(context, `${env.base}?weights.vae=map1d.safetensors`);
    await waitState(other.page, 'vae', ['partial']);
    assert.match(await other.page.textContent('#vae-weights'),
      /VAE \(weights\/map1d\.safetensors\) could not be loaded: it holds a map1d model, not a vae model/);
  } finally {
    await context.close();
  }
});

test('measured: ready time, total transfer with every weight file, 4,096 particles x 100 steps', async () => {
  const context = await newContext();
  try {
    const { page, readyMs } = await openPage(context, `${env.base}?reverse.model=vp&reverse.sampler=ddpm&reverse.samplerB=ddim&reverse.steps=100&reverse.n=4096`);
    await waitState(page, 'reverse');
    await waitState(page, 'vae');
    await waitState(page, 'map1d');
    const timing = await page.evaluate(() => [window.thinkdiffPage.reverse, window.thinkdiffPage.reverseB]
      .map((r) => ({ sampler: r.sampler, n: r.n, steps: r.steps, nfe: r.nfe, ms: r.sampleMs })));
    // The main thread during a run: the worker samples, the page keeps drawing frames.
    const frames = await page.evaluate(() => new Promise((resolve) => {
      const gaps = [];
      let last = performance.now(), sampling = true;
      const tick = (now) => { gaps.push(now - last); last = now; if (sampling) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
      const section = document.getElementById('reverse');
      document.querySelector('#reverse-controls [name=run]').click();
      const poll = setInterval(() => {
        if (section.dataset.state !== 'running') {
          sampling = false;
          clearInterval(poll);
          gaps.sort((a, b) => a - b);
          resolve({ frames: gaps.length, median: gaps[gaps.length >> 1], worst: gaps[gaps.length - 1] });
        }
      }, 20);
    }));
    console.log(`main thread while the worker sampled: ${frames.frames} frames, median gap ${frames.median.toFixed(1)} ms, ` +
      `longest ${frames.worst.toFixed(1)} ms`);
    // Every other shipped network too, so the transfer counts every weight file (short runs).
    await page.evaluate(() => { document.getElementById('reverse').dataset.state = 'switching'; });
    await page.selectOption('#reverse-controls [name=n]', '1000');
    await waitState(page, 'reverse');
    await page.evaluate(() => { document.getElementById('reverse').dataset.state = 'switching'; });
    await page.fill('#reverse-controls [name=steps]', '20');
    await page.dispatchEvent('#reverse-controls [name=steps]', 'change');
    await waitState(page, 'reverse');
    const models = await page.$$eval('#reverse-controls [name=model] option', (os) => os.map((o) => o.value));
    for (const m of models.filter((v) => v !== 'exact' && v !== 'vp')) {
      await page.evaluate(() => { document.getElementById('reverse').dataset.state = 'switching'; });
      await page.selectOption('#reverse-controls [name=model]', m);
      await page.waitForFunction(() => ['done', 'failed'].includes(document.getElementById('reverse').dataset.state)
        && document.getElementById('reverse-weights').dataset.state !== 'loading', null, { timeout: 60000 });
    }
    const transfer = await page.evaluate(() => {
      const entries = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')];
      const files = entries.map((e) => ({ name: e.name.replace(location.origin, ''), bytes: e.encodedBodySize || e.transferSize || 0 }));
      return { total: files.reduce((s, f) => s + f.bytes, 0), weights: files.filter((f) => f.name.includes('/weights/')) };
    });
    console.log(`ready ${readyMs} ms; transfer ${(transfer.total / 1e6).toFixed(2)} MB in all, weights: ` +
      transfer.weights.map((w) => `${w.name.split('/').pop()} ${(w.bytes / 1024).toFixed(0)} KB`).join(', '));
    for (const t of timing) console.log(`${t.n} particles x ${t.steps} steps, ${t.sampler} (${t.nfe} evaluations): ${t.ms.toFixed(0)} ms`);
    assert.ok(transfer.total < 5e6, `${transfer.total} bytes transferred`);
    assert.ok(transfer.weights.length >= 3, `${transfer.weights.length} weight files fetched`);
    assert.equal(timing[0].n, 4096);
  } finally {
    await context.close();
  }
});
