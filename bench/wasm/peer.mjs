// peer.mjs - one peer of the WebAssembly benchmark, in a process of its own:
//   node peer.mjs PEER OURS_DIR [ROWS_JSON]
// PEER is ours | tfjs | ort | peak. Times every row (common.mjs) and prints one JSON
// line: {peer, version, rows: {label: {sec, gflops, probe}}}. run.mjs drives it.
// ROWS_JSON may add {sample: [...]} sampler rows (ours and tfjs only).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { DENSE_ROWS, MLP_ROWS, T_EVAL, TIME_SCALE, denseData, measure, mlpData, mlpDims, probe, rng,
         timeFreqs } from './common.mjs';

const require = createRequire(import.meta.url);
const [peerName, oursDir, extra] = process.argv.slice(2);
const sampleRows = extra ? JSON.parse(extra).sample || [] : [];
const SILU = 2;   // td_act's TD_ACT_SILU
const HERE = fileURLToPath(new URL('.', import.meta.url));
const pkgVersion = (name) =>
  JSON.parse(readFileSync(join(HERE, 'node_modules', name, 'package.json'), 'utf8')).version;

// ---- ours: the library built by build.sh ---------------------------------------------------
async function loadOurs() {
  const createOurs = require(join(oursDir, 'ours.js'));
  const mod = await createOurs({ wasmBinary: readFileSync(join(oursDir, 'ours.wasm')) });
  const alloc = (arr) => {   // copy a typed array into the heap (views re-read: memory grows)
    const p = mod._malloc(arr.byteLength);
    if (!p) throw new Error('ours: malloc failed');
    new Uint8Array(mod.HEAPU8.buffer, p, arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    return p;
  };
  const cstr = (s) => alloc(new TextEncoder().encode(s + '\0'));
  const f32 = (p, n) => new Float32Array(mod.HEAPU8.buffer, p, n);
  const fail = (what) => { throw new Error(`ours: ${what}: ${mod.UTF8ToString(mod._bench_error())}`); };
  return { mod, alloc, cstr, f32, fail };
}

// A net in our module: a checkpoint's bytes, or fresh with the row's weights copied in.
function oursModel(o, row, maxBatch) {
  const { mod } = o;
  let h;
  if (row.file) {
    const bytes = readFileSync(row.file), p = o.alloc(bytes);
    h = mod._bench_model_load(p, bytes.length, maxBatch);
    mod._free(p);
  } else {
    h = mod._bench_model_new(row.D, row.Dt, row.width, row.depth, 0, maxBatch, 1);
  }
  if (!h) o.fail('model');
  if (!row.file) {
    const { layers } = mlpData(row);
    layers.forEach((L, l) => {
      for (const [what, data] of [['weight', L.W], ['bias', L.b]]) {
        const name = o.cstr(`net.${l}.${what}`), p = mod._bench_model_tensor(h, name);
        mod._free(name);
        if (!p) o.fail(`no tensor net.${l}.${what}`);
        o.f32(p, data.length).set(data);
      }
    });
  }
  return h;
}

async function runOurs(rows) {
  const o = await loadOurs(), { mod } = o;
  const version = `thinkdiff ${mod.UTF8ToString(mod._bench_dense_path())} (emcc -O3 -msimd128)`;
  for (const row of DENSE_ROWS) {
    const d = denseData(row);
    const x = o.alloc(d.x), W = o.alloc(d.W), b = o.alloc(d.b), y = o.alloc(new Float32Array(row.M * row.N));
    const fn = () => mod._bench_dense(x, W, b, y, row.M, row.K, row.N, SILU);
    rows[row.label] = { sec: await measure(fn), probe: probe(o.f32(y, row.M * row.N)) };
    for (const p of [x, W, b, y]) mod._free(p);
  }
  for (const row of MLP_ROWS) {
    const h = oursModel(o, row, row.M), { x: xd } = mlpData(row);
    const x = o.alloc(xd), y = o.alloc(new Float32Array(row.M * row.D));
    const fn = () => { if (mod._bench_model_forward(h, x, T_EVAL, y, row.M)) o.fail('forward'); };
    rows[row.label] = { sec: await measure(fn), probe: probe(o.f32(y, row.M * row.D)) };
    mod._free(x), mod._free(y), mod._bench_model_free(h);
  }
  for (const row of sampleRows.filter((r) => r.kind === 'digits')) rows[row.label] = await oursDigits(o, row);
  for (const row of sampleRows.filter((r) => r.kind !== 'digits')) {
    const h = oursModel(o, row, row.n), x0 = priorDraws(row);
    const x = o.alloc(x0);
    const fn = () => {
      o.f32(x, x0.length).set(x0);
      if (mod._bench_model_ddim(h, x, row.n, row.steps)) o.fail('ddim');
    };
    rows[row.label] = { sec: await measure(fn, { warm: 0, warmCalls: 1, minBatch: 0, samples: 3 }),
                        probe: probe(o.f32(x, x0.length)) };
    mod._free(x), mod._bench_model_free(h);
  }
  return version;
}

// ---- the digit model (latent diffusion, guidance, VAE decoder) ------------------------------
// Row i: class i % 10, a colour from a seeded generator; the same for every peer.
function digitConds(n) {
  const r = rng(4242), labels = new Int32Array(n), colours = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 10;
    for (let ch = 0; ch < 3; ch++) colours[3 * i + ch] = 0.3 + 0.7 * r();
  }
  return { labels, colours };
}

// 8 of the n images' pixel sums (ink times colour): single pixels are mostly background
// zeros, a sum weighs every stroke.
function digitProbe(img, n) {
  const out = [], F = img.length / n;
  for (let k = 0; k < 8; k++) {
    const i = Math.floor((k * (n - 1)) / 7);
    let s = 0;
    for (let j = 0; j < F; j++) s += img[i * F + j];
    out.push(s);
  }
  return out;
}

function oursDigitsLoad(o, row) {
  const { mod } = o, lat = readFileSync(row.file), vae = readFileSync(row.vae);
  const pl = o.alloc(lat), pv = o.alloc(vae);
  const h = mod._bench_digits_load(pl, lat.length, pv, vae.length);
  mod._free(pl), mod._free(pv);
  if (!h) o.fail('digit model');
  return h;
}

// Prior draws -> guided DDIM -> decoder, all in our module (td_latent_generate's path).
async function oursDigits(o, row) {
  const { mod } = o, h = oursDigitsLoad(o, row), z0 = priorDraws(row), { labels, colours } = digitConds(row.n);
  const z = o.alloc(z0), lb = o.alloc(labels), cl = o.alloc(colours), out = o.alloc(new Float32Array(row.n * 2352));
  const fn = () => {
    o.f32(z, z0.length).set(z0);
    if (mod._bench_digits_generate(h, z, lb, cl, row.gClass, row.gColour, row.n, row.steps, out)) o.fail('digits');
  };
  const res = { sec: await measure(fn, { warm: 0, warmCalls: 1, minBatch: 0, samples: 3 }),
                probe: digitProbe(o.f32(out, row.n * 2352), row.n) };
  for (const p of [z, lb, cl, out]) mod._free(p);
  mod._bench_digits_free(h);
  return res;
}

// The digit model's weights and grid, read through our module: the score net's layers,
// the class table, the colour projection, the decoder's layers, the latent scale.
function digitSpec(o, row) {
  const { mod } = o, h = oursDigitsLoad(o, row);
  const info = o.alloc(new Int32Array(15)), ts = o.alloc(new Float32Array(1));
  const latentScale = mod._bench_digits_info(h, info, ts), timeScale = o.f32(ts, 1)[0];
  const [D, Dt, width, depth, act, residual, , nClasses, condDim, pred, classDim, projDim, vHidden, vDepth, vOut] =
    Array.from(new Int32Array(mod.HEAPU8.buffer, info, 15));
  mod._free(info), mod._free(ts);
  if (act !== SILU || pred !== 0 || !residual || nClasses !== 10 || condDim !== 4)
    throw new Error('tfjs replay: expected a residual SiLU eps net with 10 classes and a colour condition');
  const read = (vae, name, n) => {
    const c = o.cstr(name), p = mod._bench_digits_tensor(h, vae, c);
    mod._free(c);
    if (!p) o.fail(`no tensor ${name}`);
    return Float32Array.from(o.f32(p, n));
  };
  const dIn = D + Dt + classDim + projDim, names = ['in', ...Array.from({ length: depth }, (_, k) => `block.${k}`), 'out'];
  const layers = names.map((nm, l) => {
    const inW = l === 0 ? dIn : width, outW = l + 1 === names.length ? D : width;
    return { in: inW, out: outW, W: read(0, `net.${nm}.weight`, outW * inW), b: read(0, `net.${nm}.bias`, outW) };
  });
  const dec = Array.from({ length: vDepth + 1 }, (_, l) => {
    const inW = l === 0 ? D : vHidden, outW = l === vDepth ? vOut : vHidden;
    return { in: inW, out: outW, W: read(1, `dec.${l}.weight`, outW * inW), b: read(1, `dec.${l}.bias`, outW) };
  });
  const cls = read(0, 'cls.weight', (nClasses + 1) * classDim);
  const cond = { W: read(0, 'cond.weight', projDim * condDim), b: read(0, 'cond.bias', projDim) };
  const g = o.alloc(new Float64Array(4 * row.steps));
  if (mod._bench_digits_grid(h, row.steps, g)) o.fail('grid');
  const flat = Array.from(new Float64Array(mod.HEAPU8.buffer, g, 4 * row.steps));
  mod._free(g), mod._bench_digits_free(h);
  const grid = Array.from({ length: row.steps }, (_, k) => flat.slice(4 * k, 4 * k + 4));
  return { ...row, D, Dt, width, depth, residual, timeScale, latentScale, nClasses, classDim, projDim, condDim,
           layers, dec, cls, cond, grid };
}

// Everything a peer needs to replay a checkpoint's sampler run, read through our module
// (so every peer runs the very weights and grid ours does): sizes, layers
// [{W (out, in), b, in, out}], the constant input tail (the "no class" embedding row, the
// projection of a zero condition) and the grid [t, alpha, sigma, c_in] per step.
function modelSpec(o, row) {
  const { mod } = o, h = oursModel(o, row, row.n);
  const info = o.alloc(new Int32Array(12)), timeScale = mod._bench_model_info(h, info);
  const [D, Dt, width, depth, act, residual, , nClasses, condDim, pred, classDim, projDim] =
    new Int32Array(mod.HEAPU8.buffer, info, 12);
  mod._free(info);
  if (act !== SILU || pred !== 0) throw new Error('tfjs replay: only SiLU eps-prediction nets');
  const read = (name, n) => {
    const c = o.cstr(name), p = mod._bench_model_tensor(h, c);
    mod._free(c);
    if (!p) o.fail(`no tensor ${name}`);
    return Array.from(o.f32(p, n));
  };
  const names = residual ? ['in', ...Array.from({ length: depth }, (_, k) => `block.${k}`), 'out']
                         : Array.from({ length: depth + 1 }, (_, l) => `${l}`);
  const tail = [];
  if (nClasses > 0) tail.push(...read('cls.weight', (nClasses + 1) * classDim).slice(nClasses * classDim));
  if (condDim > 0) tail.push(...read('cond.bias', projDim));
  const dIn = D + Dt + tail.length;
  const layers = names.map((nm, l) => {
    const inW = l === 0 ? dIn : width, outW = l + 1 === names.length ? D : width;
    return { in: inW, out: outW, W: read(`net.${nm}.weight`, outW * inW), b: read(`net.${nm}.bias`, outW) };
  });
  const g = o.alloc(new Float64Array(4 * row.steps));
  if (mod._bench_model_grid(h, row.steps, g)) o.fail('grid');
  const flat = Array.from(new Float64Array(mod.HEAPU8.buffer, g, 4 * row.steps));
  mod._free(g), mod._bench_model_free(h);
  const grid = Array.from({ length: row.steps }, (_, k) => flat.slice(4 * k, 4 * k + 4));
  return { ...row, D, Dt, width, depth, residual, timeScale, tail, layers, grid };
}

// The same N(0, 1) prior draws for every peer's sampler run (Box-Muller on the shared rng).
function priorDraws(row) {
  let s = 12345 >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Float32Array(row.n * row.D);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

// ---- TensorFlow.js, wasm backend (XNNPACK), SIMD without threads ---------------------------
async function runTfjs(rows) {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);   // the single-threaded SIMD build
  await tf.setBackend('wasm');
  await tf.ready();
  if (!tf.env().getBool('WASM_HAS_SIMD_SUPPORT')) throw new Error('tfjs: no SIMD build');
  const version = `@tensorflow/tfjs-backend-wasm ${pkgVersion('@tensorflow/tfjs-backend-wasm')}` +
    ' (XNNPACK, SIMD, 1 thread)';
  const silu = (z) => tf.mul(z, tf.sigmoid(z));
  // W (N, K) -> (K, N) once at set-up: transposeB would bypass XNNPACK.
  const weightsKN = (W, N, K) => tf.tidy(() => tf.transpose(tf.tensor2d(W, [N, K])));

  for (const row of DENSE_ROWS) {
    const d = denseData(row);
    const x = tf.tensor2d(d.x, [row.M, row.K]), Wt = weightsKN(d.W, row.N, row.K), b = tf.tensor1d(d.b);
    const fn = () => tf.tidy(() => silu(tf.fused.matMul({ a: x, b: Wt, bias: b }))).dispose();
    const sec = await measure(fn);
    const y = tf.tidy(() => silu(tf.fused.matMul({ a: x, b: Wt, bias: b })));
    rows[row.label] = { sec, probe: probe(y.dataSync()) };
    tf.dispose([x, Wt, b, y]);
  }

  // A net: [c x, embedding(t), constant tail] -> dense layers; the embedding is computed
  // once per call and tiled over the rows, as ours does.
  const buildNet = (cfg, layers) => {
    const freqs = tf.tensor2d(timeFreqs(cfg.Dt, cfg.timeScale || TIME_SCALE), [1, cfg.Dt / 2]);
    // Plain: every layer but the last has SiLU. Residual: in and out are linear, each
    // block is h + SiLU(h W^T + b).
    const n = layers.length, res = !!cfg.residual;
    const ws = layers.map((L, l) => ({ W: weightsKN(L.W, L.out, L.in), b: tf.tensor1d(L.b),
                                       act: l + 1 < n && (!res || l > 0), skip: res && l > 0 && l + 1 < n }));
    const tail = cfg.tail ? tf.tensor2d(cfg.tail, [1, cfg.tail.length]) : null;
    // extra (M, *): per-row input columns after the embedding (class and colour rows).
    const forward = (x, t, c = 1, extra = null) => tf.tidy(() => {
      const M = x.shape[0], arg = tf.mul(freqs, t);
      const parts = [c === 1 ? x : tf.mul(x, c), tf.tile(tf.concat([tf.sin(arg), tf.cos(arg)], 1), [M, 1])];
      if (extra) parts.push(extra);
      else if (tail) parts.push(tf.tile(tail, [M, 1]));
      let h = tf.concat(parts, 1);
      ws.forEach((L) => {
        const z = tf.fused.matMul({ a: h, b: L.W, bias: L.b });
        const y = L.act ? silu(z) : z;
        h = L.skip ? tf.add(h, y) : y;
      });
      return h;
    });
    return { forward, dispose: () => tf.dispose([freqs, tail, ...ws.flatMap((L) => [L.W, L.b])].filter(Boolean)) };
  };

  for (const row of MLP_ROWS) {
    const { x: xd, layers } = mlpData(row), dims = mlpDims(row);
    const net = buildNet(row, layers.map((L, l) => ({ ...L, in: dims[l], out: dims[l + 1] })));
    const x = tf.tensor2d(xd, [row.M, row.D]);
    const sec = await measure(() => net.forward(x, T_EVAL).dispose());
    const y = net.forward(x, T_EVAL);
    rows[row.label] = { sec, probe: probe(y.dataSync()) };
    tf.dispose([x, y]), net.dispose();
  }

  // DDIM (eta 0) on the grid our sampler uses, step by step: eps = net(c_in x, t),
  // x0 = (x - sigma eps) / alpha, x <- alpha' x0 + sigma' eps; the last step denoises.
  const o = sampleRows.length ? await loadOurs() : null;
  for (const sampleRow of sampleRows.filter((r) => r.kind === 'digits')) {
    const row = digitSpec(o, sampleRow), n = row.n;
    const net = buildNet(row, row.layers);
    const dec = row.dec.map((L, l) => ({ W: weightsKN(L.W, L.out, L.in), b: tf.tensor1d(L.b), act: l + 1 < row.dec.length }));
    const clsTable = tf.tensor2d(row.cls, [row.nClasses + 1, row.classDim]);
    const condW = weightsKN(row.cond.W, row.projDim, row.condDim), condB = tf.tensor1d(row.cond.b);
    // The guidance batch, as td_latent_guide builds it: rows [0, n) unconditional, [n, 2n)
    // given the class, [2n, 3n) given the colour; "none" is the table's last row and the
    // colour condition (0, 0, 0, 0). The class lookup and colour projection run every step.
    const { labels, colours } = digitConds(n), none = row.nClasses;
    const lab = Int32Array.from({ length: 3 * n }, (_, r) => (r >= n && r < 2 * n ? labels[r - n] : none));
    const cnd = new Float32Array(3 * n * row.condDim);
    for (let i = 0; i < n; i++) {
      cnd.set(colours.subarray(3 * i, 3 * i + 3), (2 * n + i) * row.condDim);
      cnd[(2 * n + i) * row.condDim + 3] = 1;
    }
    const labT = tf.tensor1d(lab, 'int32'), cndT = tf.tensor2d(cnd, [3 * n, row.condDim]);
    const z0d = priorDraws(row), g = row.grid;
    const run = () => {
      let z = tf.tensor2d(z0d, [n, row.D]);
      for (let k = 0; k < row.steps; k++) {
        const [t, a, s, c] = g[k], last = k + 1 === row.steps;
        const next = tf.tidy(() => {
          const extra = tf.concat([tf.gather(clsTable, labT), tf.fused.matMul({ a: cndT, b: condW, bias: condB })], 1);
          const e3 = net.forward(tf.concat([z, z, z], 0), t, c, extra);
          const [eu, ec, eo] = tf.split(e3, 3, 0);
          const eps = tf.add(eu, tf.add(tf.mul(tf.sub(ec, eu), row.gClass), tf.mul(tf.sub(eo, eu), row.gColour)));
          const x0 = tf.div(tf.sub(z, tf.mul(eps, s)), a);
          return last ? x0 : tf.add(tf.mul(x0, g[k + 1][1]), tf.mul(eps, g[k + 1][2]));
        });
        z.dispose();
        z = next;
      }
      // Decoder: z / latent_scale -> SiLU MLP -> [colour logits (3), ink logits (784)];
      // pixel (p, ch) = sigmoid(colour_ch) sigmoid(ink_p), HWC.
      const img = tf.tidy(() => {
        let h = tf.div(z, row.latentScale);
        dec.forEach((L) => {
          const y = tf.fused.matMul({ a: h, b: L.W, bias: L.b });
          h = L.act ? silu(y) : y;
        });
        const [col, ink] = tf.split(h, [3, h.shape[1] - 3], 1);
        return tf.reshape(tf.mul(tf.expandDims(tf.sigmoid(ink), 2), tf.expandDims(tf.sigmoid(col), 1)), [n, -1]);
      });
      z.dispose();
      return img;
    };
    const sec = await measure(() => run().dispose(), { warm: 0, warmCalls: 1, minBatch: 0, samples: 3 });
    const y = run();
    rows[row.label] = { sec, probe: digitProbe(y.dataSync(), n) };
    y.dispose(), net.dispose();
    tf.dispose([clsTable, condW, condB, labT, cndT, ...dec.flatMap((L) => [L.W, L.b])]);
  }
  for (const sampleRow of sampleRows.filter((r) => r.kind !== 'digits')) {
    const row = modelSpec(o, sampleRow);
    const net = buildNet(row, row.layers.map((L) => ({ ...L, W: Float32Array.from(L.W), b: Float32Array.from(L.b) })));
    const x0d = priorDraws(row), g = row.grid;   // g: [t, alpha, sigma, c_in] per step
    const run = () => {
      let x = tf.tensor2d(x0d, [row.n, row.D]);
      for (let k = 0; k < row.steps; k++) {
        const [t, a, s, c] = g[k], last = k + 1 === row.steps;
        const next = tf.tidy(() => {
          const eps = net.forward(x, t, c), x0 = tf.div(tf.sub(x, tf.mul(eps, s)), a);
          return last ? x0 : tf.add(tf.mul(x0, g[k + 1][1]), tf.mul(eps, g[k + 1][2]));
        });
        x.dispose();
        x = next;
      }
      return x;
    };
    const sec = await measure(() => run().dispose(), { warm: 0, warmCalls: 1, minBatch: 0, samples: 3 });
    const y = run();
    rows[row.label] = { sec, probe: probe(y.dataSync()) };
    y.dispose(), net.dispose();
  }
  return version;
}

// ---- onnxruntime-web, wasm execution provider, one thread ---------------------------------
async function runOrt(rows) {
  const ort = (await import('onnxruntime-web')).default ?? (await import('onnxruntime-web'));
  const { Graph } = await import('./onnx_model.mjs');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  const version = `onnxruntime-web ${pkgVersion('onnxruntime-web')} (wasm EP, SIMD, 1 thread)`;
  const session = (g) => ort.InferenceSession.create(g.bytes(), {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  // SiLU as the ONNX graph spells it before opset 24: z * Sigmoid(z).
  const dense = (g, h, W, b, N, K, act, out) => {
    const z = g.op('Gemm', [h, g.init(`W${g.n}`, [N, K], W), g.init(`b${g.n}`, [N], b)], { transB: 1 }, act ? undefined : out);
    return act ? g.op('Mul', [z, g.op('Sigmoid', [z])], {}, out) : z;
  };

  for (const row of DENSE_ROWS) {
    const d = denseData(row), g = new Graph();
    dense(g, g.input('x', [row.M, row.K]), d.W, d.b, row.N, row.K, true, 'y');
    g.output('y', [row.M, row.N]);
    const s = await session(g), feeds = { x: new ort.Tensor('float32', d.x, [row.M, row.K]) };
    const sec = await measure(() => s.run(feeds));
    rows[row.label] = { sec, probe: probe((await s.run(feeds)).y.data) };
    await s.release();
  }
  for (const row of MLP_ROWS) {
    const { x: xd, layers } = mlpData(row), dims = mlpDims(row), g = new Graph();
    const x = g.input('x', [row.M, row.D]), t = g.input('t', [1, 1]);
    const arg = g.op('Mul', [t, g.init('freqs', [1, row.Dt / 2], timeFreqs(row.Dt, TIME_SCALE))]);
    const emb = g.op('Concat', [g.op('Sin', [arg]), g.op('Cos', [arg])], { axis: 1 });
    const tiled = g.op('Expand', [emb, g.init('rows', [2], BigInt64Array.from([BigInt(row.M), BigInt(row.Dt)]))]);
    let h = g.op('Concat', [x, tiled], { axis: 1 });
    layers.forEach((L, l) => {
      const last = l + 1 === layers.length;
      h = dense(g, h, L.W, L.b, dims[l + 1], dims[l], !last, last ? 'y' : undefined);
    });
    g.output('y', [row.M, row.D]);
    const s = await session(g);
    const feeds = { x: new ort.Tensor('float32', xd, [row.M, row.D]),
                    t: new ort.Tensor('float32', Float32Array.of(T_EVAL), [1, 1]) };
    const sec = await measure(() => s.run(feeds));
    rows[row.label] = { sec, probe: probe((await s.run(feeds)).y.data) };
    await s.release();
  }
  return version;
}

// ---- the limit: our SIMD128 multiply-add loop -----------------------------------------------
async function runPeak(rows) {
  const { mod } = await loadOurs();
  const iters = 1 << 16;   // 48 flops an iteration (see bench_ours.c)
  const sec = await measure(() => mod._bench_peak(iters, 1.0));
  rows.peak = { sec, flops: 48 * iters };
  return 'SIMD128 mul+add loop, 6+6 chains';
}

const runners = { ours: runOurs, tfjs: runTfjs, ort: runOrt, peak: runPeak };
if (!runners[peerName]) {
  console.error(`peer.mjs: unknown peer '${peerName}' (ours | tfjs | ort | peak)`);
  process.exit(2);
}
const rows = {};
const version = await runners[peerName](rows);
process.stdout.write(JSON.stringify({ peer: peerName, version, rows }) + '\n');
