// bench.js - training steps per second in this browser: thinkdiff's page trainer (the C core
// in WebAssembly, SIMD128) against TF.js with its wasm backend (XNNPACK), on the same
// network, batch and optimiser. Served from the repository root by run.mjs; the result is
// window.benchResult.
//
// The network is the page's default: [x (2), sinusoidal time embedding (32)] -> 3 x 48 SiLU
// -> 2, batch 128, Adam at 0.008, MSE to the noise. Ours does a full training step each
// time (draw data, times and noise, embed, forward, backward, clip, AdamW, EMA); TF.js gets
// a fixed, precomputed batch, so it does strictly less work per step.
import createThinkdiff from '../../web/thinkdiff.js';
import { Thinkdiff } from '../../web/js/api.js';
import { Trainer } from '../../web/js/api_train.js';

const params = new URLSearchParams(location.search);
const SECONDS = Number(params.get('seconds') || 3);
const ROUNDS = Number(params.get('rounds') || 2);
const NET = { width: 48, depth: 3, batch: 128, lr: 0.008, dt: 32 };

// Steps per second of step(k) (runs k steps) over about `seconds`.
async function rate(step, k, seconds) {
  step(k);   // warm-up
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) { await step(k); n += k; }
  return n / ((performance.now() - t0) / 1000);
}

async function ours() {
  const td = new Thinkdiff(await createThinkdiff());
  const t = new Trainer(td, { sde: 'ddpm-cosine', width: NET.width, depth: NET.depth, batch: NET.batch, lr: NET.lr,
    steps: 100000, seed: 0 });
  return { step: (k) => t.run(k), path: td.densePath(), free: () => t.free() };
}

async function tfjs() {
  const tf = window.tf;
  tf.wasm.setWasmPaths(new URL('node_modules/@tensorflow/tfjs-backend-wasm/dist/', location.href).href);
  await tf.setBackend('wasm');
  await tf.ready();
  const model = tf.sequential();
  for (let l = 0; l < NET.depth; l++)
    model.add(tf.layers.dense({ units: NET.width, activation: 'swish', inputShape: l ? undefined : [2 + NET.dt] }));
  model.add(tf.layers.dense({ units: 2 }));
  const x = tf.randomNormal([NET.batch, 2 + NET.dt]), y = tf.randomNormal([NET.batch, 2]);
  const opt = tf.train.adam(NET.lr);
  const one = () => tf.tidy(() => { opt.minimize(() => tf.losses.meanSquaredError(y, model.apply(x)), false); });
  return {
    step: (k) => { for (let i = 0; i < k; i++) one(); },   // the wasm backend runs synchronously
    path: `tfjs ${tf.version.tfjs} ${tf.getBackend()} (simd ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}, ` +
      `threads ${await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')})`,
    free: () => {},
  };
}

async function main() {
  const out = document.getElementById('out');
  try {
    const a = await ours(), b = await tfjs();
    const runs = { ours: [], tfjs: [] };
    for (let r = 0; r < ROUNDS; r++) {   // interleaved, so load on the machine hits both alike
      runs.ours.push(await rate(a.step, 20, SECONDS));
      runs.tfjs.push(await rate(b.step, 20, SECONDS));
    }
    const best = (v) => Math.max(...v);
    window.benchResult = { ours: best(runs.ours), tfjs: best(runs.tfjs), runs, oursPath: a.path, tfjsPath: b.path,
      net: NET, userAgent: navigator.userAgent };
    a.free();
    out.textContent = JSON.stringify(window.benchResult, null, 2);
  } catch (e) {
    window.benchResult = { error: String(e && e.stack || e) };
    out.textContent = window.benchResult.error;
  }
}
main();
