// ops_digits.js - worker operations for the coloured digits (section 5), over
// src/wasm/api_digits.c.
//
// `Digits` wraps one handle of the C side: four parts (the digit VAE, latent diffusion, the
// conditional VAE for style, the classifier), each loaded from checkpoint bytes when the
// page first needs it. Same rules as api.js: every heap buffer is freed in a finally
// block, a negative code becomes a TdError with the C library's reason.
//
// The worker keeps one Digits for the page's lifetime; the page moves each file's bytes
// here once (digitsLoad) and later operations use what is loaded.
import { TdError } from './api.js';

export const PARTS = ['vae', 'latent', 'cvae', 'classifier'];
export const DIGIT_FLOATS = 28 * 28 * 3;
const PIXELS = 28 * 28;

export class Digits {
  constructor(td) {
    this.td = td;
    this.handle = td.check(td.M._td_wasm_digits_create());
    this.params = {};
  }

  get live() { return this.handle > 0; }

  free() {
    if (this.handle > 0) this.td.check(this.td.M._td_wasm_digits_free(this.handle));
    this.handle = 0;
  }

  // part: 'vae' | 'latent' | 'cvae' | 'classifier'; bytes: the .safetensors file.
  // Returns the part's parameter count. The latent model needs the VAE loaded first.
  load(part, bytes) {
    const { td } = this, index = PARTS.indexOf(part);
    if (index < 0) throw new TdError(-1, `unknown digit model part '${part}' (${PARTS.join(', ')})`);
    const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const params = td.check(td.withBytes([data.length], (p) => {
      td.M.HEAPU8.set(data, p);
      return td.M._td_wasm_digits_load(this.handle, index, p, data.length);
    }));
    this.params[part] = params;
    if (part === 'vae') delete this.params.latent;
    return params;
  }

  // The names of the loaded parts.
  parts() {
    const bits = this.td.check(this.td.M._td_wasm_digits_parts(this.handle));
    return PARTS.filter((_, i) => bits & (1 << i));
  }

  // n digits by latent diffusion. opts: { labels (n ints 0..9) | null, colors (n x 3 floats
  // in [0, 1]) | null, gClass, gColor, sampler (name), steps, eta, grid ('uniform' |
  // 'log-snr' | null), frames (slice indices 0..steps, optional) }
  // -> { x (n, 2352), xt, x0 ((frames, n, 2352) each, or null), nfe }
  generate(rng, n, { labels = null, colors = null, gClass = 3, gColor = 2, sampler = 'ddim', steps = 50, eta = NaN,
    grid = null, frames = [] } = {}) {
    const { td } = this, M = td.M;
    const index = td.samplers().findIndex((s) => s.name === sampler);
    if (index < 0) throw new TdError(-1, `unknown sampler '${sampler}'`);
    if (labels && labels.length !== n) throw new TdError(-4, `${labels.length} classes for ${n} digits`);
    if (colors && colors.length !== 3 * n) throw new TdError(-4, `${colors.length} colour values for ${n} digits`);
    const gridCode = grid === null ? -1 : ({ uniform: 0, 'log-snr': 1 })[grid];
    if (gridCode === undefined) throw new TdError(-1, `unknown time grid '${grid}' (uniform, log-snr)`);
    const nf = frames.length, values = n * DIGIT_FLOATS;
    return td.withBytes([4 * n, 12 * n, 4 * nf, 4 * values, 4 * nf * values, 4 * nf * values],
      (pl, pc, pf, px, pxt, px0) => {
        if (labels) M.HEAP32.set(Int32Array.from(labels), pl >> 2);
        if (colors) td.writeF32(pc, colors);
        M.HEAP32.set(Int32Array.from(frames), pf >> 2);
        const nfe = td.check(M._td_wasm_digits_generate(this.handle, rng.handle, n, labels ? pl : 0, colors ? pc : 0,
          gClass, gColor, index, steps, eta, gridCode, pf, nf, px, nf ? pxt : 0, nf ? px0 : 0));
        return { x: td.readF32(px, values), xt: nf ? td.readF32(pxt, nf * values) : null,
          x0: nf ? td.readF32(px0, nf * values) : null, nfe };
      });
  }

  // A drawing (h, w) of ink in [0, 1] -> the 28 x 28 ink map framed as MNIST frames digits.
  frame(src, w, h) {
    const { td } = this;
    if (src.length !== w * h) throw new TdError(-4, `a ${w} x ${h} drawing needs ${w * h} values, got ${src.length}`);
    return td.withF32([w * h, PIXELS], (ps, pi) => {
      td.writeF32(ps, src);
      td.check(td.M._td_wasm_digits_frame(ps, w, h, pi));
      return td.readF32(pi, PIXELS);
    });
  }

  // Coloured digits x (n, 2352) -> { pred (n), probs (n, 10) } by the evaluation classifier.
  classify(x) {
    const { td } = this, n = x.length / DIGIT_FLOATS;
    if (!Number.isInteger(n)) throw new TdError(-4, `${x.length} values are not whole digits of ${DIGIT_FLOATS}`);
    return td.withBytes([4 * x.length, 4 * n, 40 * n], (px, pp, pq) => {
      td.writeF32(px, x);
      td.check(td.M._td_wasm_digits_classify(this.handle, px, n, pp, pq));
      return { pred: td.M.HEAP32.slice(pp >> 2, (pp >> 2) + n), probs: td.readF32(pq, 10 * n) };
    });
  }

  // A reference ink map (784) -> every class in its style and the colour rgb (3):
  // { x (10, 2352), refLabel } (refLabel -1: the classifier names the reference's class).
  style(ink, rgb, refLabel = -1) {
    const { td } = this;
    if (ink.length !== PIXELS) throw new TdError(-4, `a reference has ${PIXELS} values, got ${ink.length}`);
    return td.withF32([PIXELS, 3, 10 * DIGIT_FLOATS], (pi, pc, px) => {
      td.writeF32(pi, ink);
      td.writeF32(pc, rgb);
      const label = td.check(td.M._td_wasm_digits_style(this.handle, pi, refLabel, pc, px));
      return { x: td.readF32(px, 10 * DIGIT_FLOATS), refLabel: label };
    });
  }
}

// ---- the example references: a TDMNIST1 file (src/data/mnist.h) of a few test digits --------

// bytes -> { n, labels (n), ink (n, 784) in [0, 1] }; anything malformed throws.
export function parseExamples(bytes) {
  const b = new Uint8Array(bytes), head = 24;
  const magic = new TextDecoder().decode(b.subarray(0, 8));
  if (b.length < head || magic !== 'TDMNIST1') throw new Error('the example digits are not a TDMNIST1 file');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = v.getUint32(8, true);
  if (v.getUint32(12, true) !== 28 || v.getUint32(16, true) !== 28 || n < 1 || n > 1000
      || b.length !== head + n * (PIXELS + 1))
    throw new Error(`the example digits file has the wrong size (${b.length} bytes for ${n} digits)`);
  let hash = 0x811c9dc5;   // FNV-1a 32 over pixels then labels, as the C parser checks
  for (let i = head; i < b.length; i++) hash = Math.imul(hash ^ b[i], 0x01000193) >>> 0;
  if (hash !== v.getUint32(20, true)) throw new Error('the example digits file fails its checksum');
  const labels = b.slice(head + n * PIXELS);
  if (labels.some((l) => l > 9)) throw new Error('the example digits file has a label outside 0..9');
  const ink = new Float32Array(n * PIXELS);
  for (let i = 0; i < ink.length; i++) ink[i] = b[head + i] / 255;
  return { n, labels, ink };
}

// ---- worker operations ------------------------------------------------------------------------

let digits = null;

function current(td) {
  if (!digits) digits = new Digits(td);
  return digits;
}

function checkInt(name, v, lo, hi) {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new Error(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
}

// '#rrggbb' -> [r, g, b] in [0, 1].
export function parseHex(hex) {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(String(hex));
  if (!m) throw new Error(`'${hex}' is not a colour of the form #rrggbb`);
  return [1, 2, 3].map((i) => parseInt(m[i], 16) / 255);
}

// Slices of the trajectory to decode for the scrubber: 0 is the prior, `steps` the sample.
function frameSlices(steps, frames) {
  const count = Math.min(frames, steps + 1);
  return [...new Set(Array.from({ length: count }, (_, i) => Math.round(i * steps / Math.max(count - 1, 1))))];
}

function digitsLoad(td, { part, bytes }) {
  const params = current(td).load(part, bytes);
  return { part, params, parts: digits.parts() };
}

// n digits of one class and colour; frames > 0 also decodes that many trajectory slices.
function digitsGenerate(td, { label = 3, color = '#ff8000', gClass = 3, gColor = 2, sampler = 'ddim', steps = 50,
  n = 16, seed = 0, frames = 0, grid = null }) {
  checkInt('class', label, 0, 9);
  checkInt('digits', n, 1, 256);
  checkInt('steps', steps, 1, 1000);
  checkInt('frames', frames, 0, 101);
  if (!(Number.isFinite(gClass) && Number.isFinite(gColor))) throw new Error('guidance scales must be numbers');
  const rgb = parseHex(color), d = current(td);
  const labels = new Int32Array(n).fill(label), colors = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) colors.set(rgb, 3 * i);
  const slices = frames > 0 ? frameSlices(steps, frames) : [];
  // Seeded as `thinkdiff sample --seed S` seeds its own (stream 1): the same digits.
  const rng = td.rng(seed, 1);
  try {
    const t0 = performance.now();
    const r = d.generate(rng, n, { labels, colors, gClass, gColor, sampler, steps, grid, frames: slices });
    return { ...r, n, label, color, rgb, gClass, gColor, sampler, steps, seed, frames: Int32Array.from(slices),
      sampleMs: performance.now() - t0 };
  } finally {
    rng.free();
  }
}

// Style: a drawing ({ w, h, data: ink values }) or a reference ink map (784), with its class
// if known (-1: ask the classifier) -> the framed reference and every class in its style.
function digitsStyle(td, { drawing = null, ink = null, refLabel = -1, color = '#ff8000' }) {
  checkInt('reference class', refLabel, -1, 9);
  const d = current(td), rgb = parseHex(color);
  const ref = drawing ? d.frame(Float32Array.from(drawing.data), drawing.w, drawing.h) : Float32Array.from(ink || []);
  const r = d.style(ref, rgb, refLabel);
  let confidence = null;
  if (refLabel < 0) {   // how sure the classifier was of the drawing's class
    const white = new Float32Array(DIGIT_FLOATS);
    for (let p = 0; p < PIXELS; p++) white.fill(ref[p], 3 * p, 3 * p + 3);
    confidence = d.classify(white).probs[r.refLabel];
  }
  return { ref, x: r.x, refLabel: r.refLabel, guessed: refLabel < 0, confidence, color, rgb };
}

// The evaluation classifier on coloured digits (n, 2352) (the tests' check of the grid).
function digitsClassify(td, { x }) {
  return current(td).classify(Float32Array.from(x));
}

function digitsExamples(td, { bytes }) {
  return parseExamples(bytes);
}

export const DIGIT_OPS = { digitsLoad, digitsGenerate, digitsStyle, digitsClassify, digitsExamples };
