// ops.js - what the worker can be asked to compute. Each op takes the module's
// API (api.js) and plain arguments, frees everything it creates, and returns
// plain objects of numbers and Float32Arrays (moved to the page, not copied).

// Density histogram of values over [lo, hi] in `bins` bins (integrates to the
// in-range fraction, so it overlays a density curve directly).
function histogram(values, lo, hi, bins) {
  const h = new Float32Array(bins), scale = bins / (hi - lo);
  for (const v of values) {
    const i = Math.floor((v - lo) * scale);
    if (i >= 0 && i < bins) h[i] += 1;
  }
  const norm = scale / values.length;
  for (let i = 0; i < bins; i++) h[i] *= norm;
  return h;
}

function checkInt(name, v, lo, hi) {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new Error(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
}

// Section 1: u ~ U(0,1), x = Phi^-1(u), their histograms, the curve and the exact density.
function transform(td, { seed = 1, n = 10000, bins = 50 }) {
  checkInt('bins', bins, 2, 1000);
  const rng = td.rng(seed, 1);
  try {
    const { u, x } = rng.icdfTransform(n);
    const X = 4;
    const grid = 241, curveU = new Float32Array(grid), curveX = new Float32Array(grid);
    const pdfX = new Float32Array(grid), pdfY = new Float32Array(grid);
    for (let i = 0; i < grid; i++) {
      curveU[i] = 0.0005 + 0.999 * i / (grid - 1);
      curveX[i] = td.normalIcdf(curveU[i]);
      pdfX[i] = -X + 2 * X * i / (grid - 1);
      pdfY[i] = td.normalPdf(pdfX[i]);
    }
    let mean = 0, sq = 0;
    for (const v of x) { mean += v; sq += v * v; }
    mean /= n;
    const examples = 10;
    return {
      n, bins, range: X,
      uHist: histogram(u, 0, 1, bins),
      xHist: histogram(x, -X, X, bins),
      curveU, curveX, pdfX, pdfY,
      exampleU: u.slice(0, examples), exampleX: x.slice(0, examples),
      mean, std: Math.sqrt(Math.max(sq / n - mean * mean, 0)),
    };
  } finally {
    rng.free();
  }
}


const KINDS = ['vp', 'subvp', 've'];

// Section "forward diffusion": ring samples noised to time t, and the exact log p_t on a grid.
function forward(td, { kind = 'vp', t = 0.2, seed = 1, n = 3000, res = 128 }) {
  checkInt('grid resolution', res, 8, 512);
  if (!(t >= 0 && t <= 1)) throw new Error(`t must be in [0, 1], got ${t}`);
  const sde = td.sde(kind), ring = td.ring(), rng = td.rng(seed, 3);
  try {
    const x0 = ring.sample(rng, n);
    const points = sde.perturb(rng, x0, 2, t);
    const c = sde.coefficients(new Float32Array([t]));
    const alpha = c.alpha[0], sigma = c.sigma[0];
    // Show the ring's scale until the noise dominates; then follow it out (VE reaches sigma = 10).
    const extent = Math.max(3, 2 * alpha + 3 * sigma);
    const logDensity = ring.logDensityGrid(sde, t, [-extent, extent, -extent, extent], res, res);
    return { kind, t, points, logDensity, res, extent, alpha, sigma,
      f: c.f[0], g: c.g[0], snr: c.snr[0] };
  } finally {
    rng.free(); ring.free(); sde.free();
  }
}

// Section "schedules": alpha, sigma, SNR, f, g of every kind on a t grid, and DDPM's alpha_bar.
function schedules(td, { points = 201 }) {
  checkInt('points', points, 2, 10000);
  const t = new Float32Array(points);
  for (let i = 0; i < points; i++) t[i] = i / (points - 1);
  const out = { t, kinds: {} };
  for (const kind of KINDS) {
    const sde = td.sde(kind);
    try {
      out.kinds[kind] = sde.coefficients(t);
    } finally {
      sde.free();
    }
  }
  for (const kind of ['ddpm-linear', 'ddpm-cosine']) {
    const sde = td.sde(kind);
    try {
      out.kinds[kind] = sde.discrete();
    } finally {
      sde.free();
    }
  }
  return out;
}

function samplers(td) { return { list: td.samplers() }; }

// Sampling itself (exact score or a network) is ops_models.js's sampleModel.
export const OPS = { transform, forward, schedules, samplers };
