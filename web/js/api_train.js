// api_train.js - the JavaScript side of src/wasm/api_train.c: a Trainer handle that trains a
// 2-D diffusion model (or a VAE / HVAE) a slice of steps at a time, and exports it as .safetensors bytes.
// Same rules as api.js: heap buffers freed in finally blocks, C reasons as TdErrors.
import { TdError } from './api.js';

export const TRAIN_SDES = ['ddpm-linear', 'ddpm-cosine', 'vp', 'subvp', 've', 'vae', 'hvae'];
export const TOYS = ['ring8', 'moons', 'swissroll', 'checkerboard'];

export class Trainer {
  // td: a Thinkdiff (api.js). opts: { sde (a diffusion kind, 'vae' or 'hvae'), data (a toy name) | points (Float32Array (n, 2)),
  // width, depth, batch, steps, lr, ema, seed, init (checkpoint bytes to start from) }.
  constructor(td, { sde = 'ddpm-cosine', data = 'ring8', points = null, width = 64, depth = 3, batch = 128,
    steps = 12000, lr = 4e-3, ema = 0.995, seed = 0, init = null }) {
    this.td = td;
    const toy = points ? -1 : TOYS.indexOf(data);
    if (!points && toy < 0) throw new TdError(-1, `unknown data set '${data}' (${TOYS.join(', ')})`);
    const pts = points ? Float32Array.from(points) : new Float32Array(0);
    if (pts.length % 2) throw new TdError(-4, `points hold ${pts.length} values, not pairs`);
    const bytes = init ? (init instanceof Uint8Array ? init : new Uint8Array(init)) : null;
    this.handle = td.check(td.withString(sde, (ps) => td.withBytes([pts.length * 4, bytes ? bytes.length : 0],
      (pp, pi) => {
        td.writeF32(pp, pts);
        if (bytes) td.M.HEAPU8.set(bytes, pi);
        return td.M._td_wasm_trainer_create(ps, toy, points ? pp : 0, pts.length / 2, width, depth, batch, steps,
          lr, ema, seed, bytes ? pi : 0, bytes ? bytes.length : 0);
      })));
  }

  get live() { return this.handle > 0; }

  free() {
    if (this.handle > 0) this.td.check(this.td.M._td_wasm_trainer_free(this.handle));
    this.handle = 0;
  }

  // Up to k more steps: their losses (Float32Array, empty once the run is complete).
  run(k) {
    const { td } = this;
    return td.withF32([k], (p) => td.readF32(p, td.check(td.M._td_wasm_trainer_run(this.handle, k, p))));
  }

  // { step, steps, loss (smoothed), lr, seconds (spent training), params }
  progress() {
    const { td } = this;
    return td.withBytes([6 * 8], (p) => {
      td.check(td.M._td_wasm_trainer_progress(this.handle, p));
      const v = td.readF64(p, 6);
      return { step: v[0], steps: v[1], loss: v[2], lr: v[3], seconds: v[4], params: v[5] };
    });
  }

  // Back to step 0: the seed's (or the starting checkpoint's) weights, a fresh optimiser.
  reset() { this.td.check(this.td.M._td_wasm_trainer_reset(this.handle)); }

  // The current (EMA) model as .safetensors bytes: what `thinkdiff sample --model` reads.
  exportBytes() {
    const { td } = this, n = td.check(td.M._td_wasm_trainer_export(this.handle));
    const p = td.M._td_wasm_trainer_bytes(this.handle);
    return td.M.HEAPU8.slice(p, p + n);
  }

  // n draws (n, 2) of the data the trainer learns from.
  data(rng, n) {
    const { td } = this;
    return td.withF32([2 * n], (p) => {
      td.check(td.M._td_wasm_trainer_data(this.handle, rng.handle, n, p));
      return td.readF32(p, 2 * n);
    });
  }

  // Metrics of samples x (n, 2) against the trainer's data, as Thinkdiff.metricsRing
  // (the mode fields are NaN unless the data are the ring).
  metrics(x, seed = 1) {
    const { td } = this, n = x.length / 2, cap = 1024;
    return td.withBytes([x.length * 4, 12 * 8, cap], (px, pout, ptext) => {
      td.writeF32(px, x);
      td.check(td.M._td_wasm_trainer_metrics(this.handle, px, n, seed, pout, ptext, cap));
      const v = td.readF64(pout, 12);
      return { n: v[0], modesCovered: v[1], modes: v[2], hqFraction: v[3], modeKl: v[4],
        meanLogDensity: v[5], refLogDensity: v[6], sw2: v[7], sw2Floor: v[8], mmd2: v[9],
        mmd2Floor: v[10], mmdBandwidth: v[11], text: td.M.UTF8ToString(ptext) };
    });
  }
}

// Points (Float32Array (n, 2)) from CSV text; garbage throws with its line number.
export function csvPoints(td, text) {
  const bytes = new TextEncoder().encode(String(text));
  let lines = 1;
  for (const b of bytes) if (b === 10 || b === 13) lines++;
  return td.withBytes([bytes.length, lines * 8], (pt, pout) => {
    td.M.HEAPU8.set(bytes, pt);
    const n = td.check(td.M._td_wasm_csv_points(pt, bytes.length, pout, lines));
    return td.readF32(pout, 2 * n);
  });
}
