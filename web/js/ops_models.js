// ops_models.js - worker operations on trained models (api.js's Model over api_models.c).
//
// The worker keeps the models it has loaded, by name, for the page's lifetime: the page
// fetches a checkpoint once, moves its bytes here (modelLoad), and later operations name
// the model. Everything else an operation creates is freed before it returns.

const models = new Map();   // name -> Model

function checkInt(name, v, lo, hi) {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new Error(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
}

function model(name, family) {
  const m = models.get(name);
  if (!m) throw new Error(`the model '${name}' is not loaded`);
  if (family && m.family !== family) throw new Error(`the model '${name}' is a ${m.family} model, not ${family}`);
  return m;
}

// Run fn(...objects) and free the objects whatever happens.
function using(objects, fn) {
  try {
    return fn(...objects);
  } finally {
    for (const o of objects) if (o) o.free();
  }
}

// Density histogram over [lo, hi] (integrates to the in-range fraction).
function histogram(values, lo, hi, bins) {
  const h = new Float32Array(bins), scale = bins / (hi - lo);
  for (const v of values) {
    const i = Math.floor((v - lo) * scale);
    if (i >= 0 && i < bins) h[i] += 1;
  }
  for (let i = 0; i < bins; i++) h[i] *= scale / values.length;
  return h;
}

// ---- loading ------------------------------------------------------------------------------

// bytes (ArrayBuffer, moved here) -> the C loader; its reason is the error on failure.
function modelLoad(td, { name, bytes }) {
  if (typeof name !== 'string' || !name) throw new Error('a model needs a name');
  const m = td.model(new Uint8Array(bytes));
  const old = models.get(name);
  if (old) old.free();
  models.set(name, m);
  return { name, info: m.info };
}

// ---- section 1: the learned 1-D map -------------------------------------------------------

function map1d(td, { name = 'map1d', seed = 1, n = 20000, bins = 60, range = 4 }) {
  checkInt('samples', n, 100, 1000000);
  checkInt('bins', bins, 10, 400);
  const m = model(name, 'map1d');
  return using([td.rng(seed, 1)], (rng) => {
    const curves = m.mapCurves(-range, range, 241);
    const pushed = m.mapPush(rng, n);
    const yLo = -range - 1, yHi = range + 1;
    const y = Float32Array.from({ length: 241 }, (_, i) => yLo + (yHi - yLo) * i / 240);
    let mean = 0, max = 0;
    for (let i = 0; i < curves.x.length; i++) {
      const e = Math.abs(curves.learned[i] - curves.exact[i]);
      mean += e / curves.x.length;
      max = Math.max(max, e);
    }
    // How far apart the two pushed sample sets are: 1-D W1 between sorted samples.
    const a = pushed.learned.slice().sort(), b = pushed.exact.slice().sort();
    let w1 = 0;
    for (let i = 0; i < n; i++) w1 += Math.abs(a[i] - b[i]) / n;
    return { n, bins, range, yLo, yHi, curves, y, pdf: m.targetPdf(y),
      learnedHist: histogram(pushed.learned, yLo, yHi, bins), exactHist: histogram(pushed.exact, yLo, yHi, bins),
      zHist: histogram(pushed.z, -range, range, bins),
      meanErr: mean, maxErr: max, w1, units: Number(m.info.meta.units) };
  });
}

// ---- section 2: VAE and hierarchical VAE ----------------------------------------------------

const RING_MODES = 8;

function modeOf(x, y) {
  return ((Math.round(Math.atan2(y, x) / (2 * Math.PI / RING_MODES)) % RING_MODES) + RING_MODES) % RING_MODES;
}

// For each named model: prior samples decoded (and their latents), the data's encodings
// coloured by mode, a decoded latent grid, the ELBO terms and the ring metrics.
function vae(td, { names = ['vae', 'hvae'], seed = 1, n = 4000, noise = false }) {
  checkInt('samples', n, 100, 100000);
  const out = { n, seed, noise, models: {} };
  using([td.ring(), td.rng(seed, 2)], (ring, rng) => {
    const data = ring.sample(rng, n);
    const mode = new Uint8Array(n);
    for (let i = 0; i < n; i++) mode[i] = modeOf(data[2 * i], data[2 * i + 1]);
    out.data = data;
    out.mode = mode;
    for (const name of names) {
      const m = models.get(name);
      if (!m) continue;   // a model that failed to load: the section says so
      if (m.family !== 'vae' && m.family !== 'hvae') throw new Error(`'${name}' is a ${m.family} model`);
      const s = m.vaeSample(rng, n, noise);
      const enc = m.vaeEncode(data);
      const terms = m.elbo(rng, data);
      const metrics = td.metricsRing(s.x, { seed });
      out.models[name] = { family: m.family, x: s.x, z: s.z, mu: enc.mu, mu2: enc.mu2, terms,
        metrics, params: m.info.params };
    }
  });
  return out;
}

// ---- section 4: sampling with a model, and score fields -------------------------------------

// Slices of the trajectory to keep for the animation: 0 is the prior, slice k follows update k.
function frameSlices(steps, frames) {
  const count = Math.min(frames, steps + 1);
  return [...new Set(Array.from({ length: count }, (_, i) => Math.round(i * steps / Math.max(count - 1, 1))))];
}

// A view per frame holding 99% of the particles (VE starts at sigma = 10).
function frameExtents(traj, n, frames) {
  const extents = new Float32Array(frames), values = n * 2, r = new Float32Array(n);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < n; i++) r[i] = Math.max(Math.abs(traj[f * values + 2 * i]), Math.abs(traj[f * values + 2 * i + 1]));
    r.sort();
    extents[f] = Math.max(2.8, 1.08 * r[Math.floor(0.99 * (n - 1))]);
  }
  return extents;
}

// model: 'exact' (the ring's exact score on the SDE `kind`) or a loaded diffusion model's
// name (its own SDE). The rng is seeded as `thinkdiff sample --seed S` seeds its own
// (stream 1), so the page and the CLI draw the same samples.
function sampleModel(td, { model: name = 'exact', sampler = 'ddpm', kind = 'vp', grid = 'log-snr', steps = 100,
  n = 4096, seed = 1, frames = 90, metrics = true }) {
  checkInt('steps', steps, 1, 1000);
  checkInt('particles', n, 1, 20000);
  checkInt('frames', frames, 0, 1000);
  const exact = name === 'exact';
  const m = exact ? null : model(name, 'diffusion');
  return using([exact ? td.sde(kind) : m.sde(), td.ring(), td.rng(seed, 1)], (sde, ring, rng) => {
    const slices = frames >= 2 ? frameSlices(steps, frames) : null;
    const opts = { sampler, steps, grid, frames: slices };
    const t0 = performance.now();
    const run = exact ? td.sampleExact(sde, ring, rng, n, opts) : m.sample(rng, n, opts);
    const sampleMs = performance.now() - t0;
    let times = null, extents = null;
    if (slices) {
      const tGrid = sde.timeGrid(steps, grid);
      times = new Float32Array(slices.map((k) => (k === steps ? 0 : tGrid[k])));
      extents = frameExtents(run.trajectory, n, slices.length);
    }
    const t1 = performance.now();
    const met = metrics ? td.metricsRing(run.x, { seed }) : null;
    return { model: name, sampler, kind: sde.name, grid, steps, n, seed, nfe: run.nfe, frames: run.trajectory,
      times, extents, x: run.x, metrics: met, sampleMs, metricsMs: performance.now() - t1 };
  });
}

// The learned score of `model` beside the exact score on the model's own SDE, on a
// (res, res) grid over [-R, R]^2 at time t, and their relative error per cell.
function scoreField(td, { model: name, t = 0.1, res = 21, extent = 3, errorRes = 64 }) {
  checkInt('grid resolution', res, 2, 128);
  checkInt('error grid resolution', errorRes, 2, 256);
  if (!(t > 0 && t <= 1)) throw new Error(`t must be in (0, 1], got ${t}`);
  const m = model(name, 'diffusion');
  return using([m.sde(), td.ring()], (sde, ring) => {
    const box = [-extent, extent, -extent, extent];
    const learned = m.scoreGrid(t, box, res, res), exact = ring.scoreGrid(sde, t, box, res, res);
    const le = m.scoreGrid(t, box, errorRes, errorRes), ee = ring.scoreGrid(sde, t, box, errorRes, errorRes);
    const density = ring.logDensityGrid(sde, t, box, errorRes, errorRes);
    // Relative error |s_learned - s_exact| / |s_exact|, and its mean weighted by p_t.
    const error = new Float32Array(errorRes * errorRes);
    let maxLog = -Infinity;
    for (const v of density) maxLog = Math.max(maxLog, v);
    let wsum = 0, werr = 0;
    for (let i = 0; i < error.length; i++) {
      const dx = le[2 * i] - ee[2 * i], dy = le[2 * i + 1] - ee[2 * i + 1];
      error[i] = Math.hypot(dx, dy) / Math.max(Math.hypot(ee[2 * i], ee[2 * i + 1]), 1e-6);
      const w = Math.exp(density[i] - maxLog);
      wsum += w;
      werr += w * error[i];
    }
    const c = sde.coefficients(new Float32Array([t]));
    return { model: name, t, res, extent, learned, exact, errorRes, error, density,
      weightedError: werr / wsum, sigma: c.sigma[0], alpha: c.alpha[0], sde: sde.name };
  });
}

export const MODEL_OPS = { modelLoad, map1d, vae, sampleModel, scoreField };
