// models.test.mjs - trained models through the page's binding (src/wasm/api_models.c via
// web/js/api.js): loading checkpoint bytes, sampling with a learned denoiser, learned and
// exact score fields, VAE / HVAE views and ELBO terms, the 1-D map. Every export is also
// fed bad input, and every test checks that it leaves no live handle behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadApi, refuses, weights } from './loader.mjs';

const td = await loadApi();

// Run fn(...objects), free every object afterwards, and check no handle leaked.
function using(make, fn) {
  const before = td.liveHandles();
  const objects = [];
  try {
    for (const m of make) objects.push(typeof m === 'function' ? m() : m);
    return fn(...objects);
  } finally {
    for (const o of objects) o.free();
    assert.equal(td.liveHandles(), before, 'a handle leaked');
  }
}

const DIFFUSION = 'ring8-vp.safetensors';

// ---- loading ----------------------------------------------------------------------------

test('every family loads from bytes and describes itself with its metadata', () => {
  const expect = [[DIFFUSION, 'diffusion', (m) => assert.equal(m.sde, 'vp')],
    ['ring8-subvp.safetensors', 'diffusion', (m) => assert.equal(m.sde, 'subvp')],
    ['ring8-ve.safetensors', 'diffusion', (m) => assert.equal(m.sde, 've')],
    ['ring8-ddpm-linear.safetensors', 'diffusion', (m) => assert.equal(m.sde, 'ddpm-linear')],
    ['ring8-ddpm-cosine.safetensors', 'diffusion', (m) => assert.equal(m.sde, 'ddpm-cosine')],
    ['vae.safetensors', 'vae', (m) => assert.equal(m.z_dim, '2')],
    ['hvae.safetensors', 'hvae', (m) => assert.equal(m.z2_dim, '2')],
    ['map1d.safetensors', 'map1d', (m) => assert.ok(Number(m.units) > 0)]];
  for (const [file, family, check] of expect) {
    using([() => td.model(weights(file))], (model) => {
      assert.equal(model.family, family);
      assert.equal(model.info.meta.model, family);
      assert.ok(model.info.params > 0, `${file}: ${model.info.params} parameters`);
      check(model.info.meta);
    });
  }
});

test('a corrupt, truncated, empty or foreign file is refused with the loader\'s reason and no handle', () => {
  const good = weights('vae.safetensors');
  const before = td.liveHandles();
  refuses(() => td.model(new Uint8Array(0)), /empty/);
  refuses(() => td.model(good.slice(0, 5)), /./);
  refuses(() => td.model(good.slice(0, good.length - 7)), /./);
  const header = good.slice();
  header[10] = 0x7b;  // '{' inside the JSON header: no longer parses
  refuses(() => td.model(header), /./);
  const text = new TextEncoder().encode('<!doctype html><title>404 Not Found</title>');
  refuses(() => td.model(text), /./);
  // A well-formed safetensors file that is not a thinkdiff checkpoint.
  const json = new TextEncoder().encode('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
  const bare = new Uint8Array(8 + json.length + 4);
  new DataView(bare.buffer).setUint32(0, json.length, true);
  bare.set(json, 8);
  refuses(() => td.model(bare), /no "model" metadata/);
  assert.equal(td.liveHandles(), before);
  // The detector fires only on bad bytes: the intact file still loads.
  using([() => td.model(good)], (m) => assert.equal(m.family, 'vae'));
});

test('each family refuses the other families\' calls, and a dead handle is refused', () => {
  using([() => td.model(weights('vae.safetensors')), () => td.model(weights('map1d.safetensors')), () => td.rng(1)],
    (vae, map, rng) => {
      refuses(() => vae.sample(rng, 10, { sampler: 'ddim', steps: 10 }), /vae model, not a diffusion model/);
      refuses(() => vae.scoreGrid(0.5, [-3, 3, -3, 3], 4, 4), /not a diffusion model/);
      refuses(() => map.vaeSample(rng, 4), /map1d model, not a vae or hvae/);
      refuses(() => vae.mapCurves(-1, 1, 8), /not a map1d model/);
    });
  const m = td.model(weights('map1d.safetensors'));
  m.free();
  assert.equal(td.M._td_wasm_model_free(m.handle || 1), -1);
  assert.match(td.lastError(), /not live|not a handle/);
  assert.equal(td.M.UTF8ToString(td.M._td_wasm_model_describe(12345)), '');
});

// ---- diffusion ----------------------------------------------------------------------------

test('sampling with the learned model is deterministic in the seed and reports its cost', () =>
  using([() => td.model(weights(DIFFUSION))], (model) => {
    const run = (seed, sampler, opts = {}) => using([() => td.rng(seed, 1)],
      (rng) => model.sample(rng, 500, { sampler, steps: 40, ...opts }));
    const a = run(7, 'ddpm'), b = run(7, 'ddpm'), c = run(8, 'ddpm');
    assert.deepEqual(a.x, b.x);
    assert.notDeepEqual(a.x, c.x);
    assert.equal(a.nfe, 40);
    assert.equal(run(7, 'ode-heun').nfe, 2 * 39 + 1);
    const t = run(3, 'ddim', { trajectory: true });
    assert.equal(t.trajectory.length, 41 * 500 * 2);
    assert.deepEqual(t.trajectory.subarray(40 * 1000), t.x);
    // Most samples land near the radius-2 ring (a quickly trained stand-in passes too).
    let near = 0;
    for (let i = 0; i < 500; i++) if (Math.abs(Math.hypot(t.x[2 * i], t.x[2 * i + 1]) - 2) < 0.3) near++;
    assert.ok(near > 400, `${near} of 500 near the ring`);
  }));

test('sampling refuses bad arguments with a reason', () =>
  using([() => td.model(weights(DIFFUSION)), () => td.rng(1)], (model, rng) => {
    refuses(() => model.sample(rng, 10, { sampler: 'nope', steps: 10 }), /unknown sampler/);
    refuses(() => model.sample(rng, 0, { sampler: 'ddpm', steps: 10 }), /count must be positive/);
    refuses(() => model.sample(rng, 10, { sampler: 'ddpm', steps: 0 }), /steps must be positive/);
    refuses(() => model.sample(rng, 10, { sampler: 'ddim', steps: 10, grid: 'sideways' }), /unknown time grid/);
    const code = td.M._td_wasm_sample_model(0, model.handle, rng.handle, 10, 10, NaN, NaN, -1, 7, 8, 0);
    assert.equal(code, -1);
    assert.match(td.lastError(), /time grid 7/);
    assert.equal(td.M._td_wasm_sample_model(99, model.handle, rng.handle, 10, 10, NaN, NaN, -1, -1, 8, 0), -1);
    assert.match(td.lastError(), /sampler 99/);
  }));

test('the learned score field points where the exact one does, and both refuse t = 0', () =>
  using([() => td.model(weights(DIFFUSION)), () => td.ring()], (model, ring) => using([() => model.sde()], (sde) => {
    const box = [-3, 3, -3, 3], w = 24, h = 24;
    for (const t of [0.3, 0.7]) {
      const learned = model.scoreGrid(t, box, w, h), exact = ring.scoreGrid(sde, t, box, w, h);
      assert.equal(learned.length, 2 * w * h);
      let cos = 0;
      for (let i = 0; i < w * h; i++) {
        const a = [learned[2 * i], learned[2 * i + 1]], b = [exact[2 * i], exact[2 * i + 1]];
        cos += (a[0] * b[0] + a[1] * b[1]) / (Math.hypot(...a) * Math.hypot(...b) + 1e-12);
      }
      cos /= w * h;
      assert.ok(cos > 0.8, `t = ${t}: mean cosine ${cos.toFixed(3)}`);
      // The check fires: the exact field against itself turned by 90 degrees.
      let turned = 0;
      for (let i = 0; i < w * h; i++) turned += (exact[2 * i] * -exact[2 * i + 1] + exact[2 * i + 1] * exact[2 * i]);
      assert.ok(Math.abs(turned) < 1e-3 * w * h);
    }
    // The exact score at the origin of the symmetric ring is ~0 for every t; far out it points in.
    const far = ring.scoreGrid(sde, 0.5, [9, 10, -0.5, 0.5], 1, 1);
    assert.ok(far[0] < 0, `score at (9.5, 0): ${far}`);
    refuses(() => model.scoreGrid(0, box, w, h), /t must be in \(0, 1\]/);
    refuses(() => ring.scoreGrid(sde, 0, box, w, h), /t must be in \(0, 1\]/);
    refuses(() => model.scoreGrid(0.5, [1, -1, 0, 1], w, h), /empty or not finite/);
    refuses(() => model.scoreGrid(0.5, box, 0, h), /grid width must be positive/);
    refuses(() => model.scoreGrid(0.5, box, 513, h), /cap of 512/);
  })));

// ---- VAE and HVAE ------------------------------------------------------------------------

// n ring points of the toy data (radius 2, std 0.02), with their mode index.
function ringData(n, seed) {
  return using([() => td.ring(), () => td.rng(seed, 9)], (ring, rng) => {
    const x = ring.sample(rng, n), mode = new Int32Array(n);
    for (let i = 0; i < n; i++) mode[i] = ((Math.round(Math.atan2(x[2 * i + 1], x[2 * i]) / (Math.PI / 4)) % 8) + 8) % 8;
    return { x, mode };
  });
}

test('VAE and HVAE: prior samples, encodings that separate the modes, decodings, ELBO terms', () => {
  const data = ringData(2000, 5);
  const elbos = {};
  for (const file of ['vae.safetensors', 'hvae.safetensors']) {
    using([() => td.model(weights(file)), () => td.rng(2, 1)], (model, rng) => {
      const s = model.vaeSample(rng, 1000);
      assert.equal(s.x.length, 2000);
      assert.equal(s.z.length, 2000);
      assert.ok(s.x.every(Number.isFinite));
      // Decoding the latents the sampler drew reproduces its samples (no noise asked).
      const again = model.vaeDecode(s.z);
      for (let i = 0; i < again.length; i++) assert.ok(Math.abs(again[i] - s.x[i]) < 1e-5, `decode ${i}`);
      // Noise on: different samples, same latents' law.
      const noisy = using([() => td.rng(2, 1)], (r) => model.vaeSample(r, 1000, true));
      assert.deepEqual(noisy.z, s.z);
      assert.notDeepEqual(noisy.x, s.x);

      const { mu, mu2 } = model.vaeEncode(data.x);
      assert.equal(mu.length, 4000);
      if (model.family === 'hvae') assert.equal(mu2.length, 4000); else assert.equal(mu2, null);
      // Per mode: the latent centroid; points sit nearer their own centroid than any other.
      const c = new Float64Array(16), count = new Float64Array(8);
      for (let i = 0; i < 2000; i++) { c[2 * data.mode[i]] += mu[2 * i]; c[2 * data.mode[i] + 1] += mu[2 * i + 1]; count[data.mode[i]]++; }
      for (let k = 0; k < 8; k++) { c[2 * k] /= count[k]; c[2 * k + 1] /= count[k]; }
      let own = 0;
      for (let i = 0; i < 2000; i++) {
        let best = -1, bd = Infinity;
        for (let k = 0; k < 8; k++) { const d = Math.hypot(mu[2 * i] - c[2 * k], mu[2 * i + 1] - c[2 * k + 1]); if (d < bd) { bd = d; best = k; } }
        if (best === data.mode[i]) own++;
      }
      assert.ok(own > 1800, `${model.family}: ${own} of 2000 encodings nearest their own mode`);

      const e = model.elbo(rng, data.x);
      assert.ok(Math.abs(e.elbo - (e.rec - e.kl1 - e.kl2)) < 1e-6 * Math.max(1, Math.abs(e.elbo)), JSON.stringify(e));
      assert.ok(e.kl1 > 0 && e.sigmaX > 0 && e.sigmaX < 1, JSON.stringify(e));
      if (model.family === 'vae') assert.equal(e.kl2, 0); else assert.ok(e.kl2 > 0);
      elbos[model.family] = e.elbo;
    });
  }
  // The hierarchical prior follows the clustered posterior: a better bound (test_vae: > 5 s.e.).
  assert.ok(elbos.hvae > elbos.vae, `HVAE ELBO ${elbos.hvae} vs VAE ${elbos.vae}`);
});

test('VAE calls refuse bad counts and buffers', () =>
  using([() => td.model(weights('vae.safetensors')), () => td.rng(1)], (model, rng) => {
    refuses(() => model.vaeSample(rng, 0), /count must be positive/);
    refuses(() => model.vaeDecode(new Float32Array(0)), /count must be positive/);
    refuses(() => model.elbo(rng, new Float32Array(0)), /count must be positive/);
    assert.equal(td.M._td_wasm_vae_encode(model.handle, 0, 4, 0, 0), -1);
    assert.match(td.lastError(), /input buffer is NULL/);
    assert.equal(td.M._td_wasm_vae_elbo(model.handle, 4242, 8, 1, 8), -1);
    assert.match(td.lastError(), /rng handle 4242/);
  }));

// ---- the 1-D map --------------------------------------------------------------------------

test('the learned 1-D map follows the exact F^-1(Phi(x)) and pushes N(0, 1) onto two modes', () =>
  using([() => td.model(weights('map1d.safetensors')), () => td.rng(4, 1)], (map, rng) => {
    const c = map.mapCurves(-3, 3, 121);
    assert.equal(c.x[0], -3);
    assert.equal(c.x[120], 3);
    let mean = 0, outer = 0;
    for (let i = 0; i < 121; i++) {
      if (i) assert.ok(c.learned[i] > c.learned[i - 1] && c.exact[i] > c.exact[i - 1], 'both maps increase');
      const err = Math.abs(c.learned[i] - c.exact[i]);
      mean += err / 121;
      if (Math.abs(c.x[i]) > 0.75) outer = Math.max(outer, err);  // away from the steep step at 0
    }
    assert.ok(Math.abs(c.exact[60]) < 1e-4, `the symmetric target's map sends 0 to ${c.exact[60]}`);
    assert.ok(mean < 0.1, `mean |f - T| on [-3, 3] is ${mean}`);
    assert.ok(outer < 0.15, `max |f - T| for |x| > 0.75 is ${outer}`);
    const p = map.mapPush(rng, 20000);
    let far = 0, exactFar = 0, left = 0;
    for (let i = 0; i < p.z.length; i++) {
      if (Math.abs(p.learned[i]) > 1) far++;
      if (Math.abs(p.exact[i]) > 1) exactFar++;
      if (p.exact[i] < 0) left++;
    }
    // The target puts 97.7% of its mass at |y| > 1; the learned step is a little softer.
    assert.ok(Math.abs(exactFar / 20000 - 0.977) < 0.005, `${exactFar} exact samples away from the gap`);
    assert.ok(far > 0.9 * 20000, `${far} learned samples away from the gap`);
    assert.ok(Math.abs(left / 20000 - 0.5) < 0.02, `${left} exact samples on the left`);
    // The target density integrates to 1 (midpoint rule on [-6, 6]).
    const y = Float32Array.from({ length: 1200 }, (_, i) => -6 + (i + 0.5) * 0.01);
    const pdf = map.targetPdf(y);
    assert.ok(Math.abs(pdf.reduce((s, v) => s + v, 0) * 0.01 - 1) < 1e-3);
    refuses(() => map.mapCurves(1, -1, 10), /empty or not finite/);
    refuses(() => map.mapCurves(-1, 1, 1), /at least 2 points/);
    refuses(() => map.mapPush(rng, 0), /count must be positive/);
  }));
