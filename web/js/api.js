// api.js - JavaScript wrappers over the module's exports (src/wasm/api.c).
//
// Every wasm-heap allocation made here is freed here, in a finally block, so a
// thrown error never leaks heap memory. Objects that live across calls (Rng,
// Dense, ...) hold a C handle and must be free()d by their owner. A negative
// return code becomes a TdError carrying the C library's one-sentence reason.

const STATUS_NAMES = {
  '-1': 'invalid argument', '-2': 'out of memory', '-3': 'bad file format',
  '-4': 'shape mismatch', '-5': 'input/output error', '-6': 'resource limit exceeded',
};

export class TdError extends Error {
  constructor(code, message) {
    super(message || STATUS_NAMES[code] || `status ${code}`);
    this.name = 'TdError';
    this.code = code;
    this.status = STATUS_NAMES[code] || 'unknown status';
  }
}

export const ACT = { none: 0, relu: 1, silu: 2, gelu: 3, tanh: 4 };

// Time grids of sde.h: uniform in t, or uniform in log SNR (the C default).
export const GRIDS = { uniform: 0, 'log-snr': 1 };

function gridCode(grid) {
  const code = GRIDS[grid];
  if (code === undefined) throw new TdError(-1, `unknown time grid '${grid}' (uniform, log-snr)`);
  return code;
}

export class Thinkdiff {
  constructor(module) {
    this.M = module;
  }

  // ---- plumbing ---------------------------------------------------------------------------

  lastError() { return this.M.UTF8ToString(this.M._td_wasm_last_error()); }

  // rc >= 0 passes through; rc < 0 throws with the C library's reason.
  check(rc) {
    if (rc < 0) throw new TdError(rc, this.lastError());
    return rc;
  }

  liveHandles() { return this.M._td_wasm_live_handles(); }

  densePath() { return this.M.UTF8ToString(this.M._td_wasm_dense_path()); }

  // Allocate heap buffers of the given byte sizes, run fn(...pointers), free them all.
  withBytes(sizes, fn) {
    const ptrs = [];
    try {
      for (const bytes of sizes) {
        const p = this.M._malloc(Math.max(8, bytes));
        if (!p) throw new TdError(-2, `out of memory for ${bytes} bytes in the wasm heap`);
        ptrs.push(p);
      }
      return fn(...ptrs);
    } finally {
      for (const p of ptrs) this.M._free(p);
    }
  }

  // The same for float32 buffers of the given lengths.
  withF32(lengths, fn) { return this.withBytes(lengths.map((n) => n * 4), fn); }

  // A NUL-terminated UTF-8 copy of `text` in the heap for the duration of fn(pointer).
  withString(text, fn) {
    const bytes = new TextEncoder().encode(String(text));
    return this.withBytes([bytes.length + 1], (p) => {
      this.M.HEAPU8.set(bytes, p);
      this.M.HEAPU8[p + bytes.length] = 0;
      return fn(p);
    });
  }

  // Copy n floats out of the heap. Views are made afresh: memory growth detaches old ones.
  readF32(ptr, n) { return this.M.HEAPF32.slice(ptr >> 2, (ptr >> 2) + n); }

  readF64(ptr, n) { return this.M.HEAPF64.slice(ptr >> 3, (ptr >> 3) + n); }

  writeF32(ptr, data) { this.M.HEAPF32.set(data, ptr >> 2); }

  // ---- the normal distribution --------------------------------------------------------------

  normalPdf(x) { return this.M._td_wasm_normal_pdf(x); }
  normalCdf(x) { return this.M._td_wasm_normal_cdf(x); }
  normalIcdf(p) { return this.M._td_wasm_normal_icdf(p); }

  // ---- objects ------------------------------------------------------------------------------

  rng(seed, stream = 0) { return new Rng(this, this.check(this.M._td_wasm_rng_create(seed, stream))); }

  // name: 'vp', 'subvp', 've', 'ddpm-linear', 'ddpm-cosine'
  sde(name) {
    return new Sde(this, name, this.check(this.withString(name, (p) => this.M._td_wasm_sde_create(p))));
  }

  // `modes` equal Gaussians (std `std`) on a circle of `radius`: the toy ring by default.
  ring(modes = 8, radius = 2, std = 0.02) {
    return new Mixture(this, 2, { modes, radius, std },
      this.check(this.M._td_wasm_ring_create(modes, radius, std)));
  }

  // [{ index, name, summary }] in the C library's table order.
  samplers() {
    const out = [];
    for (let i = 0; i < this.M._td_wasm_sampler_count(); i++) {
      out.push({ index: i, name: this.M.UTF8ToString(this.M._td_wasm_sampler_name(i)),
        summary: this.M.UTF8ToString(this.M._td_wasm_sampler_summary(i)) });
    }
    return out;
  }

  // Sample n points with the mixture's exact score as the denoiser.
  // opts: { sampler (name), steps, eta, snr, correctorSteps, grid ('uniform' | 'log-snr'),
  //         trajectory (boolean),
  //         frames (optional slice indices: copy only those slices of the trajectory) }
  // -> { x (n, dim), trajectory ((steps + 1) or frames.length, n, dim) or null, nfe }
  sampleExact(sde, mixture, rng, n, opts) {
    return this.runSampler(opts, n, mixture.dim, (index, steps, eta, snr, cs, grid, px, pt) =>
      this.M._td_wasm_sample_exact(index, sde.handle, mixture.handle, rng.handle, n, steps, eta, snr,
        cs, grid, px, pt));
  }

  // What sampleExact and Model.sample share: options -> codes, buffers, trajectory frames.
  // call(samplerIndex, steps, eta, snr, correctorSteps, gridCode, xPtr, trajPtr) -> nfe or < 0.
  runSampler(opts, n, dim, call) {
    const { sampler, steps, eta = NaN, snr = NaN, correctorSteps = -1, grid = null, frames = null } = opts;
    const trajectory = Boolean(opts.trajectory || frames);
    const index = this.samplers().findIndex((s) => s.name === sampler);
    if (index < 0) throw new TdError(-1, `unknown sampler '${sampler}'`);
    const values = n * dim;
    const trajValues = trajectory ? (steps + 1) * values : 0;
    return this.withF32([values, trajValues], (px, pt) => {
      const nfe = this.check(call(index, steps, eta, snr, correctorSteps,
        grid === null ? -1 : gridCode(grid), px, trajectory ? pt : 0));
      let traj = null;
      if (frames) {
        traj = new Float32Array(frames.length * values);
        frames.forEach((k, i) => {
          if (!(Number.isInteger(k) && k >= 0 && k <= steps)) throw new TdError(-1, `frame ${k} is not in 0..${steps}`);
          traj.set(this.M.HEAPF32.subarray((pt >> 2) + k * values, (pt >> 2) + (k + 1) * values), i * values);
        });
      } else if (trajectory) {
        traj = this.readF32(pt, trajValues);
      }
      return { x: this.readF32(px, values), trajectory: traj, nfe };
    });
  }

  // A trained model from the bytes of its .safetensors checkpoint (Uint8Array or
  // ArrayBuffer): the C loader validates everything and its reason becomes the TdError.
  model(bytes) {
    const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const handle = this.check(this.withBytes([data.length], (p) => {
      this.M.HEAPU8.set(data, p);
      return this.M._td_wasm_model_load(p, data.length);
    }));
    return new Model(this, handle, JSON.parse(this.M.UTF8ToString(this.M._td_wasm_model_describe(handle))));
  }

  // Metrics of x (n, 2) against the toy ring: modes, quality, distances and their floors.
  metricsRing(x, { radius = 2, std = 0.02, seed = 1 } = {}) {
    const n = x.length / 2, cap = 1024;
    return this.withBytes([x.length * 4, 12 * 8, cap], (px, pout, ptext) => {
      this.writeF32(px, x);
      this.check(this.M._td_wasm_metrics_ring(px, n, radius, std, seed, pout, ptext, cap));
      const v = this.readF64(pout, 12);
      return { n: v[0], modesCovered: v[1], modes: v[2], hqFraction: v[3], modeKl: v[4],
        meanLogDensity: v[5], refLogDensity: v[6], sw2: v[7], sw2Floor: v[8], mmd2: v[9],
        mmd2Floor: v[10], mmdBandwidth: v[11], text: this.M.UTF8ToString(ptext) };
    });
  }

  dense(inputs, outputs, act = 'none') {
    const code = typeof act === 'number' ? act : ACT[act];
    if (code === undefined) throw new TdError(-1, `unknown activation '${act}'`);
    return new Dense(this, inputs, outputs,
      this.check(this.M._td_wasm_dense_create(inputs, outputs, code)));
  }
}

// A handle-owning object: free() releases the C side once; using it afterwards throws.
class Handle {
  constructor(td, handle, freeFn) {
    this.td = td;
    this.handle = handle;
    this._free = freeFn;
  }

  get live() { return this.handle > 0; }

  free() {
    if (this.handle > 0) this.td.check(this._free(this.handle));
    this.handle = 0;
  }
}

export class Rng extends Handle {
  constructor(td, handle) { super(td, handle, (h) => td.M._td_wasm_rng_free(h)); }

  // n uniform draws in [0, 1).
  uniform(n) {
    const { td } = this;
    return td.withF32([n], (p) => {
      td.check(td.M._td_wasm_rng_uniform(this.handle, p, n));
      return td.readF32(p, n);
    });
  }

  // n standard normal draws (Box-Muller).
  normal(n) {
    const { td } = this;
    return td.withF32([n], (p) => {
      td.check(td.M._td_wasm_rng_normal(this.handle, p, n));
      return td.readF32(p, n);
    });
  }

  // The blog's first example: u ~ U(0,1) and x = Phi^-1(u), pairwise.
  icdfTransform(n) {
    const { td } = this;
    return td.withF32([n, n], (pu, px) => {
      td.check(td.M._td_wasm_icdf_transform(this.handle, pu, px, n));
      return { u: td.readF32(pu, n), x: td.readF32(px, n) };
    });
  }
}

export class Dense extends Handle {
  constructor(td, inputs, outputs, handle) {
    super(td, handle, (h) => td.M._td_wasm_dense_free(h));
    this.inputs = inputs;
    this.outputs = outputs;
  }

  // W (outputs, inputs) row-major, b (outputs) or null.
  set(W, b = null) {
    const { td } = this;
    if (W.length !== this.inputs * this.outputs)
      throw new TdError(-4, `weights have ${W.length} values, expected ${this.inputs * this.outputs}`);
    if (b && b.length !== this.outputs)
      throw new TdError(-4, `bias has ${b.length} values, expected ${this.outputs}`);
    td.withF32([W.length, b ? b.length : 0], (pW, pb) => {
      td.writeF32(pW, W);
      if (b) td.writeF32(pb, b);
      td.check(td.M._td_wasm_dense_set(this.handle, pW, b ? pb : 0));
    });
  }

  // x (rows, inputs) -> y (rows, outputs)
  forward(x, rows) {
    const { td } = this;
    if (x.length !== rows * this.inputs)
      throw new TdError(-4, `input has ${x.length} values, expected ${rows} x ${this.inputs}`);
    return td.withF32([x.length, rows * this.outputs], (px, py) => {
      td.writeF32(px, x);
      td.check(td.M._td_wasm_dense_forward(this.handle, px, rows, py));
      return td.readF32(py, rows * this.outputs);
    });
  }
}

export class Sde extends Handle {
  constructor(td, name, handle) {
    super(td, handle, (h) => td.M._td_wasm_sde_free(h));
    this.name = name;
  }

  // t (n) in [0, 1] -> { f, g, alpha, sigma, snr }, each (n).
  coefficients(t) {
    const { td } = this, n = t.length;
    return td.withF32([n, 5 * n], (pt, pout) => {
      td.writeF32(pt, t);
      td.check(td.M._td_wasm_sde_coefficients(this.handle, pt, n, pout));
      const all = td.readF32(pout, 5 * n);
      const cols = ['f', 'g', 'alpha', 'sigma', 'snr'].map(() => new Float32Array(n));
      for (let i = 0; i < n; i++) for (let c = 0; c < 5; c++) cols[c][i] = all[5 * i + c];
      const [f, g, alpha, sigma, snr] = cols;
      return { f, g, alpha, sigma, snr };
    });
  }

  // { tEps, priorStd, steps } (steps: the discrete schedule's N, 0 for continuous kinds)
  info() {
    const { td } = this;
    return td.withBytes([3 * 8], (p) => {
      td.check(td.M._td_wasm_sde_info(this.handle, p));
      const v = td.readF64(p, 3);
      return { tEps: v[0], priorStd: v[1], steps: v[2] };
    });
  }

  // A DDPM schedule's { beta, alphaBar }, each (N + 1) for i = 0..N.
  discrete() {
    const { td } = this, cap = this.info().steps + 1;
    if (cap < 2) throw new TdError(-1, `the ${this.name} sde has no discrete schedule`);
    return td.withF32([cap, cap], (pb, pa) => {
      td.check(td.M._td_wasm_sde_discrete(this.handle, pb, pa, cap));
      return { beta: td.readF32(pb, cap), alphaBar: td.readF32(pa, cap) };
    });
  }

  // The samplers' time grid (steps): 1 = t[0] > ... > t[steps - 1] = t_eps,
  // spaced uniformly in t or in log SNR (grid: 'uniform' or 'log-snr').
  timeGrid(steps, grid = 'log-snr') {
    const { td } = this;
    return td.withBytes([steps * 8], (p) => {
      td.check(td.M._td_wasm_sde_time_grid(this.handle, steps, gridCode(grid), p));
      return td.readF64(p, steps);
    });
  }

  // x0 (n, dim) -> x_t = alpha(t) x0 + sigma(t) eps
  perturb(rng, x0, dim, t) {
    const { td } = this, n = x0.length / dim;
    return td.withF32([x0.length, x0.length], (px, pout) => {
      td.writeF32(px, x0);
      td.check(td.M._td_wasm_sde_perturb(this.handle, rng.handle, px, n, dim, t, pout));
      return td.readF32(pout, x0.length);
    });
  }
}

export class Mixture extends Handle {
  constructor(td, dim, params, handle) {
    super(td, handle, (h) => td.M._td_wasm_mixture_free(h));
    this.dim = dim;
    this.params = params;
  }

  // n draws (n, dim).
  sample(rng, n) {
    const { td } = this, values = n * this.dim;
    return td.withF32([values], (p) => {
      td.check(td.M._td_wasm_mixture_sample(this.handle, rng.handle, p, n));
      return td.readF32(p, values);
    });
  }

  // log p_t on a (h, w) grid of cell centres over box [x0, x1, y0, y1], row 0 at the bottom.
  logDensityGrid(sde, t, box, w, h) {
    const { td } = this;
    return td.withF32([w * h], (p) => {
      td.check(td.M._td_wasm_mixture_log_density_grid(this.handle, sde.handle, t,
        box[0], box[1], box[2], box[3], w, h, p));
      return td.readF32(p, w * h);
    });
  }

  // The exact score grad log p_t on the same grid: (h * w, 2), t in (0, 1].
  scoreGrid(sde, t, box, w, h) {
    const { td } = this;
    return td.withF32([2 * w * h], (p) => {
      td.check(td.M._td_wasm_mixture_score_grid(this.handle, sde.handle, t,
        box[0], box[1], box[2], box[3], w, h, p));
      return td.readF32(p, 2 * w * h);
    });
  }
}

// A trained model (api_models.c). `info` is the C side's description:
// { family: 'diffusion' | 'vae' | 'hvae' | 'map1d', params, meta: { key: value } }.
// Each method belongs to one family; the C side refuses the others with a reason.
export class Model extends Handle {
  constructor(td, handle, info) {
    super(td, handle, (h) => td.M._td_wasm_model_free(h));
    this.info = info;
    this.family = info.family;
  }

  // ---- diffusion ----

  // The model's own SDE, as a new Sde handle (free it).
  sde() {
    const { td } = this;
    return new Sde(td, this.info.meta.sde, td.check(td.M._td_wasm_model_sde(this.handle)));
  }

  // n samples with the learned denoiser: the options of Thinkdiff.sampleExact.
  sample(rng, n, opts) {
    const { td } = this, dim = Number(this.info.meta.data_dim || 2);
    return td.runSampler(opts, n, dim, (index, steps, eta, snr, cs, grid, px, pt) =>
      td.M._td_wasm_sample_model(index, this.handle, rng.handle, n, steps, eta, snr, cs, grid, px, pt));
  }

  // The learned score on a (h, w) grid over box: (h * w, 2), row 0 at the bottom.
  scoreGrid(t, box, w, h) {
    const { td } = this;
    return td.withF32([2 * w * h], (p) => {
      td.check(td.M._td_wasm_model_score_grid(this.handle, t, box[0], box[1], box[2], box[3], w, h, p));
      return td.readF32(p, 2 * w * h);
    });
  }

  // ---- vae and hvae ----

  get xDim() { return Number(this.info.meta.x_dim); }

  get zDim() { return Number(this.info.meta.z_dim || this.info.meta.z1_dim); }

  // Prior draws decoded: { x (n, D), z (n, Z) } (z is the HVAE's z1).
  vaeSample(rng, n, withNoise = false) {
    const { td } = this, D = this.xDim, Z = this.zDim;
    return td.withF32([n * D, n * Z], (px, pz) => {
      td.check(td.M._td_wasm_vae_sample(this.handle, rng.handle, n, withNoise ? 1 : 0, px, pz));
      return { x: td.readF32(px, n * D), z: td.readF32(pz, n * Z) };
    });
  }

  // Encoder means of x (n, D): { mu (n, Z), mu2 (n, Z2) for the HVAE, else null }.
  vaeEncode(x) {
    const { td } = this, D = this.xDim, Z = this.zDim, n = x.length / D;
    const Z2 = this.family === 'hvae' ? Number(this.info.meta.z2_dim) : 0;
    return td.withF32([x.length, n * Z, n * Z2], (px, pmu, pmu2) => {
      td.writeF32(px, x);
      td.check(td.M._td_wasm_vae_encode(this.handle, px, n, pmu, Z2 ? pmu2 : 0));
      return { mu: td.readF32(pmu, n * Z), mu2: Z2 ? td.readF32(pmu2, n * Z2) : null };
    });
  }

  // Decoder means of latents z (n, Z) -> x (n, D).
  vaeDecode(z) {
    const { td } = this, D = this.xDim, Z = this.zDim, n = z.length / Z;
    return td.withF32([z.length, n * D], (pz, px) => {
      td.writeF32(pz, z);
      td.check(td.M._td_wasm_vae_decode(this.handle, pz, n, px));
      return td.readF32(px, n * D);
    });
  }

  // Monte Carlo ELBO terms of x (n, D), nats per sample: { elbo, rec, kl1, kl2, sigmaX }.
  elbo(rng, x) {
    const { td } = this, n = x.length / this.xDim;
    return td.withBytes([x.length * 4, 5 * 8], (px, pout) => {
      td.writeF32(px, x);
      td.check(td.M._td_wasm_vae_elbo(this.handle, rng.handle, px, n, pout));
      const v = td.readF64(pout, 5);
      return { elbo: v[0], rec: v[1], kl1: v[2], kl2: v[3], sigmaX: v[4] };
    });
  }

  // ---- map1d ----

  // { x, learned, exact } on n points of [lo, hi].
  mapCurves(lo, hi, n) {
    const { td } = this;
    return td.withF32([n, n, n], (px, pl, pe) => {
      td.check(td.M._td_wasm_map1d_curves(this.handle, lo, hi, n, px, pl, pe));
      return { x: td.readF32(px, n), learned: td.readF32(pl, n), exact: td.readF32(pe, n) };
    });
  }

  // z ~ N(0, 1) pushed through both maps: { z, learned, exact }, each (n).
  mapPush(rng, n) {
    const { td } = this;
    return td.withF32([n, n, n], (pz, pl, pe) => {
      td.check(td.M._td_wasm_map1d_push(this.handle, rng.handle, n, pz, pl, pe));
      return { z: td.readF32(pz, n), learned: td.readF32(pl, n), exact: td.readF32(pe, n) };
    });
  }

  // The target density at y (n).
  targetPdf(y) {
    const { td } = this, n = y.length;
    return td.withF32([n, n], (py, pout) => {
      td.writeF32(py, y);
      td.check(td.M._td_wasm_map1d_target_pdf(this.handle, py, n, pout));
      return td.readF32(pout, n);
    });
  }
}
