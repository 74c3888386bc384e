// common.mjs - what every peer process of the WebAssembly benchmark shares: the shapes,
// the data (one seeded generator, so every peer multiplies the same numbers), the
// networks' weights, and the timer.

// ---- the rows --------------------------------------------------------------------------
// Dense rows: y (M, N) = SiLU(x (M, K) W^T + b), W (N, K) as our library stores it.
export const DENSE_ROWS = [];
for (const M of [256, 4096])
  for (const [K, N] of [[64, 128], [128, 128], [128, 2]]) DENSE_ROWS.push({ M, K, N });
for (const M of [1, 16, 64])
  for (const [K, N] of [[848, 512], [512, 512], [512, 784]]) DENSE_ROWS.push({ M, K, N });
for (const r of DENSE_ROWS) {
  r.label = `dense ${r.M}x${r.K}->${r.N}`;
  r.flops = 2 * r.M * r.K * r.N;
}

// Whole-model rows: [x (D), sinusoidal time embedding (Dt)] -> width x depth SiLU -> D,
// every row at one time t (as in sampling), no input scaling.
export const MLP_ROWS = [
  { label: 'mlp 34-128-128-128-2', M: 4096, D: 2, Dt: 32, width: 128, depth: 3 },
  { label: 'mlp 848-512-512-512-784', M: 16, D: 784, Dt: 64, width: 512, depth: 3 },
];
export const TIME_SCALE = 1000; // our score net's default
export const T_EVAL = 0.5;       // the time every MLP row is evaluated at
for (const r of MLP_ROWS) r.flops = 2 * r.M * mlpDims(r).reduce((s, d, i, a) => i ? s + a[i - 1] * d : 0, 0);

// Widths of the MLP's layers: [D + Dt (+ tail), width x depth, D].
export function mlpDims(cfg) {
  return [cfg.D + cfg.Dt + (cfg.tail ? cfg.tail.length : 0), ...Array(cfg.depth).fill(cfg.width), cfg.D];
}

// ---- data --------------------------------------------------------------------------------
// mulberry32: small, seedable, the same in every process.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// n floats uniform in (-scale, scale).
export function uniform(r, n, scale) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * r() - 1) * scale;
  return out;
}

// x (M, K), W (N, K), b (N) of a dense row: PyTorch's init for W, small biases.
export function denseData(row) {
  const r = rng(1000 + row.M * 7 + row.K * 13 + row.N);
  return { x: uniform(r, row.M * row.K, 1), W: uniform(r, row.N * row.K, 1 / Math.sqrt(row.K)),
           b: uniform(r, row.N, 0.1) };
}

// The MLP's layers [{W (out, in), b (out)}] and its input x (M, D), all seeded.
export function mlpData(row) {
  const r = rng(77 + row.M + row.D);
  const dims = mlpDims(row), layers = [];
  for (let l = 0; l + 1 < dims.length; l++)
    layers.push({ W: uniform(r, dims[l + 1] * dims[l], 1 / Math.sqrt(dims[l])), b: uniform(r, dims[l + 1], 0.1) });
  return { x: uniform(r, row.M * row.D, 1.5), layers };
}

// The embedding's angular frequencies, times the time scale: (Dt / 2), in float32 as
// every peer uses them (ours computes sin/cos in double from the same formula).
export function timeFreqs(Dt, scale) {
  const half = Dt / 2, f = new Float32Array(half);
  for (let j = 0; j < half; j++) f[j] = scale * Math.pow(10000, -j / half);
  return f;
}

// 8 outputs spread over y: the driver compares them across peers.
export function probe(y) {
  const out = [];
  for (let i = 0; i < 8; i++) out.push(y[Math.floor((i * (y.length - 1)) / 7)]);
  return out;
}

// ---- timing ------------------------------------------------------------------------------
// CPU time of this process, not wall time: the host is shared, and time spent
// descheduled is not the kernel's. Every peer runs single-threaded.
export function cpuNow() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e-6;
}

// Seconds per call of fn (sync or async): warm up (V8 tiers wasm up from its baseline
// compiler only after some calls), size a batch to >= minBatch s, then the median of
// `samples` batches. A sync fn is looped without awaits, so it pays no promise.
export async function measure(fn, { warm = 0.25, warmCalls = 4, minBatch = 0.03, samples = 5 } = {}) {
  const first = fn(), async_ = !!(first && first.then);
  if (async_) await first;
  const loop = async_ ? async (n) => { for (let i = 0; i < n; i++) await fn(); }
                      : (n) => { for (let i = 0; i < n; i++) fn(); };
  let n = 1;
  const w0 = cpuNow();
  while (n < warmCalls || cpuNow() - w0 < warm) { await loop(1); n++; }
  const per = (cpuNow() - w0) / Math.max(1, n - 1);
  const batch = Math.max(1, Math.ceil(minBatch / Math.max(per, 1e-7)));
  const times = [];
  for (let s = 0; s < samples; s++) {
    const t0 = cpuNow();
    await loop(batch);
    times.push((cpuNow() - t0) / batch);
  }
  return median(times);
}

export function median(a) {
  const s = [...a].sort((p, q) => p - q), m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}
