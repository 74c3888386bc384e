// diffusion.test.mjs - SDEs, the ring mixture, exact-score samplers and metrics, through
// the page's binding (web/js/api.js over web/thinkdiff.wasm), called from Node.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadApi } from './loader.mjs';

const td = await loadApi();
const M = td.M;

function close(actual, expected, tol, what) {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);
}

// Run fn(...objects) and free every object afterwards, whatever happens.
function using(objects, fn) {
  try {
    return fn(...objects);
  } finally {
    for (const o of objects) o.free();
  }
}

test('VP coefficients match beta(t) = 0.1 + 19.9 t in closed form', () => using([td.sde('vp')], (sde) => {
  const t = new Float32Array([0, 0.25, 0.5, 1]);
  const c = sde.coefficients(t);
  for (let i = 0; i < t.length; i++) {
    const beta = 0.1 + 19.9 * t[i], B = 0.1 * t[i] + 19.9 * t[i] * t[i] / 2;
    close(c.f[i], -beta / 2, 1e-5, `f(${t[i]})`);
    close(c.g[i], Math.sqrt(beta), 1e-5, `g(${t[i]})`);
    close(c.alpha[i], Math.exp(-B / 2), 1e-6, `alpha(${t[i]})`);
    close(c.sigma[i], Math.sqrt(1 - Math.exp(-B)), 1e-6, `sigma(${t[i]})`);
  }
  close(c.snr[2], c.alpha[2] ** 2 / c.sigma[2] ** 2, 1e-4, 'snr(0.5)');
  const info = sde.info();
  close(info.tEps, 1e-3, 1e-12, 't_eps');
  assert.equal(info.priorStd, 1);
  assert.equal(info.steps, 0);
}));

test('VE keeps alpha = 1 and grows sigma from 0.01 to 10', () => using([td.sde('ve')], (sde) => {
  const c = sde.coefficients(new Float32Array([0, 0.5, 1]));
  assert.deepEqual(Array.from(c.alpha), [1, 1, 1]);
  close(c.sigma[0], 0.01, 1e-6, 'sigma(0)');
  close(c.sigma[1], Math.sqrt(0.01 * 10), 1e-5, 'sigma(0.5)');
  close(c.sigma[2], 10, 1e-5, 'sigma(1)');
  assert.equal(c.f[1], 0);
  assert.equal(sde.info().priorStd, 10);
}));

test('sub-VP has the VP mean but less noise', () => using([td.sde('vp'), td.sde('subvp')], (vp, sub) => {
  const t = new Float32Array([0.1, 0.3, 0.6]);
  const a = vp.coefficients(t), b = sub.coefficients(t);
  for (let i = 0; i < t.length; i++) {
    close(b.alpha[i], a.alpha[i], 1e-7, `alpha(${t[i]})`);
    assert.ok(b.sigma[i] < a.sigma[i], `sub-VP sigma ${b.sigma[i]} >= VP sigma ${a.sigma[i]}`);
  }
}));

test('the DDPM linear schedule runs from beta 1e-4 to 0.02 and its alpha_bar is the VP alpha^2', () =>
  using([td.sde('ddpm-linear'), td.sde('vp')], (ddpm, vp) => {
    const { beta, alphaBar } = ddpm.discrete();
    assert.equal(beta.length, 1001);
    assert.equal(alphaBar[0], 1);
    close(beta[1], 1e-4, 1e-9, 'beta_1');
    close(beta[1000], 0.02, 1e-8, 'beta_N');
    let prod = 1;
    for (let i = 1; i <= 1000; i++) prod *= 1 - beta[i];
    close(alphaBar[1000], prod, 1e-7, 'alpha_bar_N');
    const c = vp.coefficients(new Float32Array([0.5]));
    close(alphaBar[500], c.alpha[0] ** 2, 2e-3, 'alpha_bar_500 vs VP alpha(0.5)^2');
    assert.equal(ddpm.info().steps, 1000);
    assert.throws(() => vp.discrete(), /no discrete schedule/);
  }));

test('bad SDE names and times are refused with readable messages', () => {
  assert.throws(() => td.sde('vq'), (e) => e.code < 0 && /vq/.test(e.message));
  using([td.sde('vp')], (sde) => {
    assert.throws(() => sde.coefficients(new Float32Array([0.5, 1.5])), /outside \[0, 1\]/);
    assert.throws(() => sde.coefficients(new Float32Array(0)), /must be positive/);
  });
});

test('ring samples sit on the 8 modes of radius 2', () => using([td.ring(), td.rng(3)], (ring, rng) => {
  const x = ring.sample(rng, 4000);
  const hits = new Array(8).fill(0);
  for (let i = 0; i < 4000; i++) {
    const r = Math.hypot(x[2 * i], x[2 * i + 1]);
    assert.ok(Math.abs(r - 2) < 0.15, `point ${i} at radius ${r}`);
    hits[Math.round(Math.atan2(x[2 * i + 1], x[2 * i]) / (Math.PI / 4) + 8) % 8]++;
  }
  for (const h of hits) assert.ok(h > 400 && h < 600, `mode counts ${hits}`);
}));

test('the exact log-density grid peaks at the modes at t = 0 and is N(0, I) at t = 1', () =>
  using([td.ring(), td.sde('vp')], (ring, sde) => {
    // A 2 x 2 grid whose cell centres are (+-2, +-2)... use a 1 x 1 cell centred on mode 0.
    const atMode = ring.logDensityGrid(sde, 0, [1.9, 2.1, -0.1, 0.1], 1, 1)[0];
    close(atMode, Math.log(1 / 8 / (2 * Math.PI * 0.02 ** 2)), 1e-3, 'log p_0 at a mode');
    const origin = ring.logDensityGrid(sde, 1, [-0.1, 0.1, -0.1, 0.1], 1, 1)[0];
    close(origin, -Math.log(2 * Math.PI), 2e-3, 'log p_1 at the origin');
    const grid = ring.logDensityGrid(sde, 0.3, [-3, 3, -3, 3], 64, 48);
    assert.equal(grid.length, 64 * 48);
    assert.ok(grid.every(Number.isFinite));
    assert.throws(() => ring.logDensityGrid(sde, 0.3, [1, -1, 0, 1], 4, 4), /empty or not finite/);
    assert.throws(() => ring.logDensityGrid(sde, 2, [-1, 1, -1, 1], 4, 4), /t must be in/);
  }));

test('perturbing at t = 0 keeps the data and at t = 1 gives the prior', () =>
  using([td.ring(), td.sde('vp'), td.rng(4)], (ring, sde, rng) => {
    const x0 = ring.sample(rng, 20000);
    const same = sde.perturb(rng, x0, 2, 0);
    for (let i = 0; i < 100; i++) close(same[i], x0[i], 1e-6, `x_0[${i}]`);
    const xt = sde.perturb(rng, x0, 2, 1);
    let s = 0, s2 = 0;
    for (const v of xt) { s += v; s2 += v * v; }
    close(s / xt.length, 0, 0.02, 'mean at t = 1');
    close(s2 / xt.length, 1, 0.03, 'variance at t = 1');
  }));

test('the time grid runs from 1 to t_eps, log-SNR spacing crowding the end', () =>
  using([td.sde('vp')], (sde) => {
    const u = sde.timeGrid(50, 'uniform'), l = sde.timeGrid(50, 'log-snr');
    for (const g of [u, l]) {
      assert.equal(g[0], 1);
      close(g[49], 1e-3, 1e-12, 'last grid point');
      for (let i = 1; i < 50; i++) assert.ok(g[i] < g[i - 1], `grid not decreasing at ${i}`);
    }
    assert.ok(l[25] < u[25], `log-SNR midpoint ${l[25]} is not below uniform ${u[25]}`);
    assert.throws(() => sde.timeGrid(10, 'cosine'), /unknown time grid/);
    assert.equal(M._td_wasm_sde_time_grid(sde.handle, 10, 7, 8), -1);
    assert.match(td.lastError(), /time grid 7 is not/);
  }));

test('the sampler table lists every sampler of the C library', () => {
  const names = td.samplers().map((s) => s.name);
  for (const n of ['ddpm', 'ddim', 'em', 'ode-euler', 'ode-heun', 'pc']) assert.ok(names.includes(n), `${n} missing from ${names}`);
  assert.ok(td.samplers().every((s) => s.summary.length > 0));
});

test('every sampler lands the exact-score particles on all 8 modes', () => {
  const rows = [];
  using([td.sde('vp'), td.ring()], (sde, ring) => {
    for (const { name } of td.samplers()) {
      using([td.rng(1)], (rng) => {
        const { x, nfe } = td.sampleExact(sde, ring, rng, 2000, { sampler: name, steps: 100 });
        const m = td.metricsRing(x, { seed: 1 });
        rows.push(`${name.padEnd(10)} NFE ${String(nfe).padStart(4)}  modes ${m.modesCovered}/8  HQ ${(100 * m.hqFraction).toFixed(1)}%`);
        assert.equal(m.modesCovered, 8, `${name} covers ${m.modesCovered} modes`);
        // The exact score at 100 log-SNR-spaced steps: every sampler is near the 98.9% ceiling.
        assert.ok(m.hqFraction > 0.9, `${name} HQ only ${m.hqFraction}`);
      });
    }
  });
  console.log(rows.join('\n'));
});

test('the same seed gives the same samples; a trajectory runs from the prior to them', () =>
  using([td.sde('vp'), td.ring()], (sde, ring) => {
    const run = (seed, trajectory) => using([td.rng(seed)], (rng) =>
      td.sampleExact(sde, ring, rng, 500, { sampler: 'ddim', steps: 20, trajectory }));
    const a = run(9, true), b = run(9, false), c = run(10, false);
    assert.deepEqual(a.x, b.x);
    assert.notDeepEqual(a.x, c.x);
    assert.equal(a.trajectory.length, 21 * 500 * 2);
    assert.deepEqual(a.trajectory.slice(20 * 1000), a.x, 'the last slice is the samples');
    let s2 = 0;
    for (let i = 0; i < 1000; i++) s2 += a.trajectory[i] ** 2;
    close(s2 / 1000, 1, 0.15, 'prior variance of the first slice');
  }));

test('the metrics flag collapsed samples: one mode covered, large KL and SW2', () => {
  const collapsed = new Float32Array(2000);
  for (let i = 0; i < 1000; i++) { collapsed[2 * i] = 2 + 0.01 * Math.sin(i); collapsed[2 * i + 1] = 0.01 * Math.cos(i); }
  const m = td.metricsRing(collapsed, { seed: 1 });
  assert.equal(m.modesCovered, 1);
  assert.ok(m.modeKl > 1, `mode KL ${m.modeKl}`);
  assert.ok(m.sw2 > 4 * m.sw2Floor, `SW2 ${m.sw2} vs floor ${m.sw2Floor}`);
  assert.match(m.text, /modes covered/);
});

test('bad sampler requests are refused with readable messages', () =>
  using([td.sde('vp'), td.ring(), td.rng(1)], (sde, ring, rng) => {
    assert.throws(() => td.sampleExact(sde, ring, rng, 10, { sampler: 'rk4', steps: 10 }), /unknown sampler 'rk4'/);
    assert.throws(() => td.sampleExact(sde, ring, rng, 10, { sampler: 'ddim', steps: 0 }), /steps must be positive/);
    assert.throws(() => td.sampleExact(sde, ring, rng, 10, { sampler: 'ddim', steps: 10, eta: 3 }), /eta/);
    assert.throws(() => td.sampleExact(sde, ring, rng, 10, { sampler: 'ddim', steps: 10, grid: 'cosine' }), /unknown time grid/);
    assert.equal(M._td_wasm_sample_exact(99, sde.handle, ring.handle, rng.handle, 10, 10, NaN, NaN, -1, -1, 8, 0), -1);
    assert.match(td.lastError(), /sampler 99 is not one of/);
    assert.equal(M._td_wasm_sample_exact(0, ring.handle, ring.handle, rng.handle, 10, 10, NaN, NaN, -1, -1, 8, 0), -1);
    assert.match(td.lastError(), /is a mixture, not a sde/);
    assert.throws(() => td.metricsRing(new Float32Array([NaN, 0, 1, 1])), /finite|NaN/i);
  }));

test('repeated sampling frees every handle and heap buffer', () => {
  const before = td.liveHandles();
  for (let i = 0; i < 50; i++) {
    using([td.sde('ve'), td.ring(), td.rng(i)], (sde, ring, rng) => {
      td.sampleExact(sde, ring, rng, 200, { sampler: 'em', steps: 10, trajectory: true });
      ring.logDensityGrid(sde, 0.5, [-3, 3, -3, 3], 16, 16);
    });
  }
  assert.equal(td.liveHandles(), before);
});
