// digits.test.mjs - the coloured digits through the page's binding (src/wasm/api_digits.c via
// web/js/ops_digits.js): loading the four parts from bytes, generation with guidance and a
// decoded trajectory, framing a drawing, style, the classifier, the example references.
// Every export is also fed bad input (a negative code and the C reason), and every test
// checks that no handle is left behind.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';

import { loadApi, refuses, WEB } from './loader.mjs';

const td = await loadApi();
const { Digits, DIGIT_FLOATS, DIGIT_OPS, parseExamples } = await import(pathToFileURL(join(WEB, 'js', 'ops_digits.js')).href);

// The shipped weights, or (TD_DIGIT_WEIGHTS=DIR) a folder of retrained stand-ins.
const file = (name) => new Uint8Array(readFileSync(join(process.env.TD_DIGIT_WEIGHTS || join(WEB, 'weights'), name)));
const FILES = { vae: 'digit_vae.safetensors', latent: 'digit_latent.safetensors', cvae: 'digit_cvae.safetensors',
  classifier: 'classifier.safetensors' };
const bytes = Object.fromEntries(Object.entries(FILES).map(([k, f]) => [k, file(f)]));
const examples = parseExamples(readFileSync(join(WEB, 'examples', 'digits.bin')));

// A Digits with the given parts loaded, freed afterwards; no handle may leak.
function withDigits(parts, fn) {
  const before = td.liveHandles();
  const d = new Digits(td);
  try {
    for (const p of parts) d.load(p, bytes[p]);
    return fn(d);
  } finally {
    d.free();
    assert.equal(td.liveHandles(), before, 'a handle leaked');
  }
}

const ALL = ['vae', 'latent', 'cvae', 'classifier'];
const ORANGE = [1, 0.5, 0];

function repeat(value, n) { return Array.from({ length: n }, () => value).flat(); }

// The mean RGB of the 16 brightest pixels (by max channel), as the colour error measures it.
function inkColour(x, i) {
  const px = [];
  for (let p = 0; p < 784; p++) {
    const o = i * DIGIT_FLOATS + 3 * p;
    px.push([Math.max(x[o], x[o + 1], x[o + 2]), x[o], x[o + 1], x[o + 2]]);
  }
  px.sort((a, b) => b[0] - a[0]);
  return [1, 2, 3].map((c) => px.slice(0, 16).reduce((s, v) => s + v[c], 0) / 16);
}

test('the four parts load from bytes, report their parameter counts and are listed as loaded', () => {
  withDigits([], (d) => {
    assert.deepEqual(d.parts(), []);
    for (const p of ALL) assert.ok(d.load(p, bytes[p]) > 10000, `${p}: ${d.params[p]}`);
    assert.deepEqual(d.parts(), ALL);
    d.load('vae', bytes.vae);   // a new VAE drops the latent model that was checked against the old one
    assert.deepEqual(d.parts(), ['vae', 'cvae', 'classifier']);
  });
});

test('a corrupt, truncated, empty or wrong-part file is refused with a reason and leaves the part unloaded', () => {
  withDigits([], (d) => {
    refuses(() => d.load('latent', bytes.latent), /load the digit VAE before/);
    refuses(() => d.load('vae', new Uint8Array(0)), /empty/);
    refuses(() => d.load('vae', bytes.vae.slice(0, bytes.vae.length - 9)), /./);
    const header = bytes.vae.slice();
    header[12] = 0x7b;
    refuses(() => d.load('vae', header), /./);
    refuses(() => d.load('vae', bytes.cvae), /conditional digit VAE, not the unconditional/);
    refuses(() => d.load('cvae', bytes.vae), /unconditional digit VAE, not the conditional/);
    refuses(() => d.load('classifier', bytes.vae), /./);
    refuses(() => d.load('nope', bytes.vae), /unknown digit model part/);
    assert.deepEqual(d.parts(), []);
    d.load('vae', bytes.vae);
    refuses(() => d.load('latent', bytes.classifier), /./);
    assert.deepEqual(d.parts(), ['vae']);
  });
});

test('generated digits have the requested class and colour, and the same seed gives the same digits', () => {
  withDigits(ALL, (d) => {
    const n = 16, rng = td.rng(7, 1), rng2 = td.rng(7, 1);
    try {
      const opts = { labels: new Array(n).fill(3), colors: repeat(ORANGE, n), gClass: 3, gColor: 2, steps: 50 };
      const a = d.generate(rng, n, opts), b = d.generate(rng2, n, opts);
      assert.equal(a.x.length, n * DIGIT_FLOATS);
      assert.deepEqual(a.x, b.x);
      assert.ok(a.nfe >= 50, `nfe ${a.nfe}`);
      const { pred } = d.classify(a.x);
      const right = pred.filter((p) => p === 3).length;
      assert.ok(right >= 14, `${right} / ${n} classified as 3 (${pred.join(' ')})`);
      for (let i = 0; i < n; i++) {
        const c = inkColour(a.x, i);
        assert.ok(c[0] > 0.75 && c[1] > 0.3 && c[1] < 0.7 && c[2] < 0.2, `digit ${i} colour ${c.map((v) => v.toFixed(2))}`);
      }
      // The detector fires: asked for a 7 in blue, the same checks fail.
      const c7 = d.generate(rng, n, { ...opts, labels: new Array(n).fill(7), colors: repeat([0, 0, 1], n) });
      assert.ok(d.classify(c7.x).pred.filter((p) => p === 3).length <= 2);
      assert.ok(inkColour(c7.x, 0)[0] < 0.5);
    } finally {
      rng.free();
      rng2.free();
    }
  });
});

test('trajectory frames decode x_t from noise to the sample, and the predicted x0 of the last frame is the sample', () => {
  withDigits(['vae', 'latent'], (d) => {
    const n = 4, steps = 20, frames = [0, 10, 20], rng = td.rng(1, 1);
    try {
      const r = d.generate(rng, n, { labels: [0, 1, 2, 3], colors: repeat([0.2, 0.8, 1], n), steps, frames });
      const V = n * DIGIT_FLOATS;
      assert.equal(r.xt.length, 3 * V);
      assert.equal(r.x0.length, 3 * V);
      assert.deepEqual(r.xt.subarray(2 * V), r.x);
      assert.deepEqual(r.x0.subarray(2 * V), r.x);
      // The first x0 prediction differs from the decoded prior draw and lies closer to the sample.
      let dPrior = 0, dPred = 0;
      for (let i = 0; i < V; i++) {
        dPrior += (r.xt[i] - r.x[i]) ** 2;
        dPred += (r.x0[V + i] - r.x[i]) ** 2;
      }
      assert.ok(dPred < dPrior, `|x0(mid) - x| ${dPred.toFixed(1)} vs |x_T - x| ${dPrior.toFixed(1)}`);
    } finally {
      rng.free();
    }
  });
});

test('bad generation input is refused with a reason: classes, colours, guidance, steps, frames, missing parts', () => {
  withDigits(['vae'], (d) => {
    const rng = td.rng(1, 1);
    try {
      refuses(() => d.generate(rng, 2, {}), /latent diffusion model is not loaded/);
      d.load('latent', bytes.latent);
      refuses(() => d.generate(rng, 2, { labels: [3, 10] }), /class 10 of digit 1/);
      refuses(() => d.generate(rng, 1, { colors: [1, 2, 0] }), /colour value 2/);
      refuses(() => d.generate(rng, 1, { gClass: NaN }), /guidance/);
      refuses(() => d.generate(rng, 1, { steps: 0 }), /steps must be positive/);
      refuses(() => d.generate(rng, 1, { steps: 5, frames: [6] }), /frame 6/);
      refuses(() => d.generate(rng, 0, {}), /digits must be positive/);
      refuses(() => d.generate(rng, 5000, {}), /exceeds/);
      refuses(() => d.generate(rng, 1, { sampler: 'nope' }), /unknown sampler/);
      refuses(() => td.M._td_wasm_digits_generate(d.handle, 999, 1, 0, 0, 1, 1, 0, 5, NaN, -1, 0, 0, 8, 0, 0) < 0
        ? td.check(-1) : 0, /rng handle/);
      // Unconditional in both attributes still works (NULL labels and colours).
      assert.equal(d.generate(rng, 2, { steps: 5, gClass: 0, gColor: 0 }).x.length, 2 * DIGIT_FLOATS);
    } finally {
      rng.free();
    }
  });
});

test('a drawing is framed like an MNIST digit, and an empty or oversized drawing is refused', () => {
  withDigits([], (d) => {
    const w = 100, h = 80, src = new Float32Array(w * h);
    for (let y = 10; y < 70; y++) for (let x = 20; x < 30; x++) src[y * w + x] = 1;   // a bar, off centre
    const ink = d.frame(src, w, h);
    let mass = 0, mx = 0, my = 0, rows = new Set();
    for (let p = 0; p < 784; p++) {
      mass += ink[p];
      mx += ink[p] * (p % 28 + 0.5);
      my += ink[p] * (Math.floor(p / 28) + 0.5);
      if (ink[p] > 0.5) rows.add(Math.floor(p / 28));
    }
    assert.ok(Math.abs(mx / mass - 14) < 1 && Math.abs(my / mass - 14) < 1, `centre ${mx / mass}, ${my / mass}`);
    assert.equal(rows.size, 20);   // the longer side scaled to 20 pixels
    refuses(() => d.frame(new Float32Array(w * h), w, h), /no ink/);
    refuses(() => d.frame(new Float32Array(4), 2, 3), /needs 6 values/);
    // The C side's own checks, reached directly: sizes are refused before any pixel is read.
    refuses(() => td.check(td.M._td_wasm_digits_frame(8, 0, 4, 8)), /drawing width must be positive/);
    refuses(() => td.check(td.M._td_wasm_digits_frame(8, 4096, 1, 8)), /drawing width 4096 exceeds/);
    refuses(() => td.check(td.M._td_wasm_digits_frame(0, 4, 4, 8)), /drawing buffer is NULL/);
  });
});

test('style renders every class in the reference\'s style and colour, naming an unlabelled reference\'s class', () => {
  withDigits(['cvae', 'classifier'], (d) => {
    let right = 0, named = 0;
    for (let k = 0; k < examples.n; k++) {
      const ink = examples.ink.subarray(784 * k, 784 * (k + 1));
      const r = d.style(ink, ORANGE, -1);
      named += r.refLabel === examples.labels[k];
      const { pred } = d.classify(r.x);
      right += pred.filter((p, c) => p === c).length;
      assert.deepEqual(d.style(ink, ORANGE, examples.labels[k]).refLabel, examples.labels[k]);
    }
    assert.ok(named >= 18, `the classifier named ${named} / ${examples.n} references`);
    assert.ok(right >= 0.85 * 10 * examples.n, `${right} / ${10 * examples.n} re-rendered digits took their class`);
    // A thick reference gives thicker digits than a thin one: style carries stroke weight.
    const mass = (x) => x.reduce((s, v) => s + v, 0);
    const thin = examples.ink.slice(0, 784).map((v) => (v > 0.8 ? v : 0));
    const thick = examples.ink.slice(0, 784).map((v, p) => Math.min(1, v + (examples.ink[p + 1] || 0)
      + (examples.ink[p + 28] || 0)));
    assert.ok(mass(d.style(thick, ORANGE, 0).x) > 1.1 * mass(d.style(thin, ORANGE, 0).x));
  });
});

test('bad style and classifier input is refused with a reason', () => {
  withDigits(['cvae'], (d) => {
    const ink = examples.ink.slice(0, 784);
    refuses(() => d.style(ink, ORANGE, -1), /classifier is not loaded/);
    refuses(() => d.style(ink, ORANGE, 10), /not in 0..9/);
    refuses(() => d.style(ink, [2, 0, 0], 1), /colour value 2/);
    refuses(() => d.style(ink.map(() => 3), ORANGE, 1), /reference pixel 0 is 3/);
    refuses(() => d.style(new Float32Array(10), ORANGE, 1), /784/);
    refuses(() => d.classify(new Float32Array(DIGIT_FLOATS)), /classifier is not loaded/);
  });
  withDigits(['classifier'], (d) => {
    refuses(() => d.style(examples.ink.slice(0, 784), ORANGE, 1), /conditional digit VAE is not loaded/);
    refuses(() => d.classify(new Float32Array(7)), /whole digits/);
    const { probs } = d.classify(new Float32Array(2 * DIGIT_FLOATS));
    assert.ok(Math.abs(probs.subarray(0, 10).reduce((s, v) => s + v, 0) - 1) < 1e-5);
  });
  refuses(() => td.check(td.M._td_wasm_digits_parts(12345)), /not live/);
  refuses(() => td.check(td.M._td_wasm_digits_free(-1)), /not a handle/);
});

test('the worker operations generate a scrubbable run and style, and a damaged examples file is refused', () => {
  const before = td.liveHandles();
  for (const p of ALL) DIGIT_OPS.digitsLoad(td, { part: p, bytes: bytes[p] });
  const g = DIGIT_OPS.digitsGenerate(td, { label: 5, color: '#20c0ff', n: 4, steps: 30, seed: 2, frames: 7 });
  assert.equal(g.frames.length, 7);
  assert.equal(g.frames[0], 0);
  assert.equal(g.frames[6], 30);
  assert.equal(g.xt.length, 7 * 4 * DIGIT_FLOATS);
  const s = DIGIT_OPS.digitsStyle(td, { ink: Array.from(examples.ink.subarray(0, 784)), color: '#ffffff' });
  assert.equal(s.x.length, 10 * DIGIT_FLOATS);
  assert.ok(s.confidence > 0.5);
  assert.throws(() => DIGIT_OPS.digitsGenerate(td, { color: 'red' }), /#rrggbb/);
  assert.throws(() => DIGIT_OPS.digitsGenerate(td, { label: 11 }), /class/);
  const ex = readFileSync(join(WEB, 'examples', 'digits.bin'));
  assert.equal(DIGIT_OPS.digitsExamples(td, { bytes: ex }).n, 20);
  const bad = Uint8Array.from(ex);
  bad[500] ^= 1;
  assert.throws(() => parseExamples(bad), /checksum/);
  assert.throws(() => parseExamples(bad.subarray(0, 100)), /wrong size/);
  // The worker's Digits lives for the page's lifetime: exactly one handle more.
  assert.equal(td.liveHandles(), before + 1);
});
