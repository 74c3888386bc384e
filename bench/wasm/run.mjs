// run.mjs - the WebAssembly speed benchmark: ours against TF.js-wasm (XNNPACK) and
// onnxruntime-web, single thread, same shapes and data, one Node process per peer,
// interleaved (each round runs every peer once, in a rotated order), median over rounds.
//
//   node bench/wasm/run.mjs [--rounds N] [--ours DIR] [--weights DIR] [--no-sample]
// (bash bench/wasm/run.sh also builds our module and installs the peers first.)
// Prints the table as Markdown: GFLOP/s per peer and row, ours / best peer, ours as a
// fraction of the measured SIMD128 multiply-add peak; then the sampler runs (seconds) of
// the shipped 2-D and digit models in web/weights/ (or --weights DIR). Every peer's outputs are compared with
// ours on 8 probes per row; a mismatch is marked and makes the exit status 1.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DENSE_ROWS, MLP_ROWS, median } from './common.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..', '..');
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const ROUNDS = Number(opt('--rounds', 5));
const OURS = opt('--ours', join(ROOT, 'build-wasmbench'));
const PEERS = ['ours', 'tfjs', 'ort'];
const SAMPLE_ROUNDS = 3;

// ---- shipped models for the sampler rows ----------------------------------------------
// The 2-D model: ring8-ddpm-linear (or ring8-vp), 4096 points x 100 steps of DDIM (eta 0).
// The digit model: digit_latent + the VAE it names, 16 digits (class i % 10, a colour each)
// x 50 guided DDIM steps (class 3, colour 2: the CLI's defaults), decoded to pixels.
function header(file) {
  try {
    const buf = readFileSync(file), n = Number(buf.readBigUInt64LE(0));
    return JSON.parse(buf.subarray(8, 8 + n).toString('utf8')).__metadata__ || {};
  } catch { return null; }
}

function shippedModels() {
  const dir = opt('--weights', join(ROOT, 'web', 'weights'));
  if (!existsSync(dir) || args.includes('--no-sample')) return [];
  const rows = [];
  const ring = ['ring8-ddpm-linear.safetensors', 'ring8-vp.safetensors'].find((f) => header(join(dir, f))?.model === 'diffusion');
  if (ring) {
    const file = join(dir, ring);
    rows.push({ kind: '2d', label: `sample ${ring}: 4096 points x 100 steps`, file,
                D: Number(header(file).data_dim), n: 4096, steps: 100 });
  }
  const latent = join(dir, 'digit_latent.safetensors'), meta = header(latent);
  if (meta?.model === 'digit-latent') {
    // vae_file is the name the VAE had at training time; the page ships it as digit_vae.
    const vae = [meta.vae_file, 'digit_vae.safetensors'].filter(Boolean).map((f) => join(dir, f))
      .find((f) => header(f)?.model === 'digit-vae') || join(dir, 'digit_vae.safetensors');
    if (header(vae)?.model === 'digit-vae')
      rows.push({ kind: 'digits', label: `digits ${basename(latent)} + ${basename(vae)}: 16 x 50 steps, guided, decoded`,
                  file: latent, vae, D: Number(meta.data_dim), n: 16, steps: 50, gClass: 3, gColour: 2 });
  }
  return rows;
}

function runPeer(peer, extra) {
  const argv = [join(HERE, 'peer.mjs'), peer, OURS];
  if (extra) argv.push(JSON.stringify(extra));
  const out = execFileSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 26,
                                                    stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop());
}

// ---- the rounds --------------------------------------------------------------------------
const samples = shippedModels();
const results = { peak: [] };   // results[peer][label] = [sec per round]
const versions = {}, probes = {};
for (let r = 0; r < ROUNDS; r++) {
  const order = [...PEERS.slice(r % PEERS.length), ...PEERS.slice(0, r % PEERS.length), 'peak'];
  for (const peer of order) {
    const extra = r < SAMPLE_ROUNDS && (peer === 'ours' || peer === 'tfjs') && samples.length
      ? { sample: samples } : null;
    const res = runPeer(peer, extra);
    versions[peer] = res.version;
    results[peer] ??= {};
    for (const [label, v] of Object.entries(res.rows)) {
      (results[peer][label] ??= []).push(v.flops ? v.flops / v.sec : v.sec);
      if (v.probe) (probes[peer] ??= {})[label] = v.probe;
    }
  }
  process.stderr.write(`round ${r + 1}/${ROUNDS} done\n`);
}

// ---- the table ---------------------------------------------------------------------------
const peak = median(results.peak.peak);   // flop/s
const gf = (x) => (x / 1e9).toFixed(1);
// Probes: peers may differ from ours in summation order and in their exp/sin (float32).
const agrees = (peer, label, tol) => {
  const a = probes.ours?.[label], b = probes[peer]?.[label];
  if (!a || !b) return true;
  const scale = Math.max(1e-6, ...a.map(Math.abs));
  return a.every((v, i) => Math.abs(v - b[i]) <= tol * scale);
};
let mismatches = 0;
const mark = (peer, label, tol) => {
  if (peer === 'ours' || agrees(peer, label, tol)) return '';
  mismatches++;
  return ' (MISMATCH)';
};

const lines = [];
lines.push(`| row | ours | tfjs-wasm | ort-web | ours / best peer | ours / peak |`);
lines.push(`|---|---:|---:|---:|---:|---:|`);
for (const row of [...DENSE_ROWS, ...MLP_ROWS]) {
  const g = {};
  for (const p of PEERS) g[p] = row.flops / median(results[p][row.label]);
  const best = Math.max(g.tfjs, g.ort);
  lines.push(`| ${row.label}${row.M && row.D ? ` (M=${row.M})` : ''} | ${gf(g.ours)} | ${gf(g.tfjs)}${mark('tfjs', row.label, 1e-3)} | ` +
             `${gf(g.ort)}${mark('ort', row.label, 1e-3)} | ${(g.ours / best).toFixed(2)}x | ${(100 * g.ours / peak).toFixed(0)}% |`);
}
const out = [];
out.push(`GFLOP/s (median of ${ROUNDS} interleaved rounds, one Node process per peer and round, CPU time);` +
         ` dense rows are y = SiLU(x W^T + b).`);
out.push(`Measured SIMD128 multiply-add peak: ${gf(peak)} GFLOP/s.`);
out.push('');
out.push(...lines);
if (samples.length) {
  out.push('');
  out.push(`| sampler run (DDIM, eta 0) | ours (s) | tfjs-wasm step by step (s) | tfjs / ours |`);
  out.push(`|---|---:|---:|---:|`);
  for (const row of samples) {
    const o = median(results.ours[row.label]), t = median(results.tfjs[row.label]);
    // A sampler run compounds rounding over its steps: a looser check. The digit row's
    // probes are image sums (agreeing to ~1e-6): 1e-3 still catches a guidance scale of
    // 1.5 for 2, which moves them by 0.2-2.6%.
    const tol = row.kind === 'digits' ? 1e-3 : 2e-2;
    out.push(`| ${row.label} | ${o.toFixed(3)} | ${t.toFixed(3)}${mark('tfjs', row.label, tol)} | ${(t / o).toFixed(2)}x |`);
  }
}
out.push('');
out.push(`CPU: ${cpus()[0].model} (${cpus().length} cores), Node ${process.version}, ` +
         `emcc ${execFileSync('emcc', ['--version'], { encoding: 'utf8' }).split('\n')[0].match(/\d+\.\d+\.\d+/)?.[0] ?? '?'}.`);
for (const p of [...PEERS, 'peak']) out.push(`- ${p}: ${versions[p]}`);
console.log(out.join('\n'));
if (mismatches) {
  console.error(`run.mjs: ${mismatches} peer output(s) differ from ours beyond tolerance`);
  process.exit(1);
}
