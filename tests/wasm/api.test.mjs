// api.test.mjs - the page's binding, called from Node exactly as the worker calls it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadApi } from './loader.mjs';

const td = await loadApi();
const M = td.M;

function close(actual, expected, tol, what) {
  assert.ok(Math.abs(actual - expected) <= tol,
    `${what}: ${actual} is not within ${tol} of ${expected}`);
}

test('the normal inverse CDF matches known quantiles to 1e-9', () => {
  close(td.normalIcdf(0.975), 1.959963984540054, 1e-9, 'icdf(0.975)');
  close(td.normalIcdf(0.5), 0, 1e-12, 'icdf(0.5)');
  close(td.normalIcdf(0.001), -3.090232306167813, 1e-9, 'icdf(0.001)');
  close(td.normalCdf(1.959963984540054), 0.975, 1e-12, 'cdf(1.96)');
  close(td.normalPdf(0), 0.3989422804014327, 1e-15, 'pdf(0)');
});

test('the inverse CDF returns NaN outside [0, 1] and infinities at the ends', () => {
  assert.ok(Number.isNaN(td.normalIcdf(1.5)));
  assert.ok(Number.isNaN(td.normalIcdf(-0.1)));
  assert.equal(td.normalIcdf(0), -Infinity);
  assert.equal(td.normalIcdf(1), Infinity);
});

test('the same seed gives the same stream and a different seed a different one', () => {
  const a = td.rng(42), b = td.rng(42), c = td.rng(43);
  try {
    const xa = a.uniform(1000), xb = b.uniform(1000), xc = c.uniform(1000);
    assert.deepEqual(xa, xb);
    assert.notDeepEqual(xa, xc);
  } finally {
    a.free(); b.free(); c.free();
  }
});

test('uniform and normal draws have the right first two moments', () => {
  const rng = td.rng(7);
  try {
    const n = 200000;
    const u = rng.uniform(n), z = rng.normal(n);
    const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
    const variance = (v) => { const m = mean(v); return v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length; };
    assert.ok(u.every((x) => x >= 0 && x < 1));
    close(mean(u), 0.5, 0.005, 'uniform mean');
    close(variance(u), 1 / 12, 0.002, 'uniform variance');
    close(mean(z), 0, 0.01, 'normal mean');
    close(variance(z), 1, 0.02, 'normal variance');
  } finally {
    rng.free();
  }
});

test('the inverse-CDF transform maps each uniform to its normal quantile', () => {
  const rng = td.rng(1);
  try {
    const { u, x } = rng.icdfTransform(5000);
    for (let i = 0; i < u.length; i++) {
      assert.ok(u[i] > 0 && u[i] < 1, `u[${i}] = ${u[i]} is not in (0, 1)`);
      // Compare in probability space: float rounding of u moves a tail quantile a lot.
      close(td.normalCdf(x[i]), u[i], 2e-7, `Phi(x[${i}])`);
    }
    const below = x.filter((v) => v < 1.959963984540054).length / x.length;
    close(below, 0.975, 0.01, 'fraction below the 97.5% quantile');
  } finally {
    rng.free();
  }
});

test('bad seeds and counts return negative codes with readable messages', () => {
  assert.throws(() => td.rng(1.5), /seed must be an integer/);
  assert.throws(() => td.rng(-1), /seed must be an integer/);
  assert.throws(() => td.rng(NaN), /seed must be an integer/);
  const rng = td.rng(3);
  try {
    assert.throws(() => rng.uniform(0), (e) => e.code === -1 && /count must be positive, got 0/.test(e.message));
    assert.throws(() => rng.normal(-5), /count must be positive, got -5/);
    assert.throws(() => rng.uniform(1 << 25), (e) => e.code === -6 && /exceeds the page's cap/.test(e.message));
    // Raw exports with NULL buffers are refused, not dereferenced.
    assert.equal(M._td_wasm_rng_uniform(rng.handle, 0, 10), -1);
    assert.match(td.lastError(), /output buffer is NULL/);
  } finally {
    rng.free();
  }
});

test('freed, forged and wrong-kind handles are refused', () => {
  const rng = td.rng(5);
  const h = rng.handle;
  rng.free();
  assert.equal(M._td_wasm_rng_uniform(h, 8, 1), -1);
  assert.match(td.lastError(), /not live/);
  assert.equal(M._td_wasm_rng_free(h), -1, 'a double free is refused');
  assert.equal(M._td_wasm_rng_free(0), -1);
  assert.match(td.lastError(), /not a handle/);
  assert.equal(M._td_wasm_rng_free(123456), -1);
  const layer = td.dense(2, 3);
  try {
    assert.equal(M._td_wasm_rng_free(layer.handle), -1);
    assert.match(td.lastError(), /is a dense layer, not a rng/);
  } finally {
    layer.free();
  }
  // A slot reused after a free answers to a new number: the old one stays dead.
  const again = td.rng(5);
  try {
    assert.notEqual(again.handle, h);
    assert.equal(M._td_wasm_rng_uniform(h, 8, 1), -1);
  } finally {
    again.free();
  }
});

test('the dense layer computes act(x W^T + b)', () => {
  const layer = td.dense(3, 2, 'relu');
  try {
    layer.set(new Float32Array([1, 2, 3, -1, -1, -1]), new Float32Array([0.5, 0.25]));
    const y = layer.forward(new Float32Array([1, 1, 1, 1, 0, -1]), 2);
    // row 0: [6.5, -2.75] -> relu [6.5, 0]; row 1: [-1.5, 0.25] -> [0, 0.25]
    assert.deepEqual(Array.from(y), [6.5, 0, 0, 0.25]);
  } finally {
    layer.free();
  }
  const linear = td.dense(2, 1);
  try {
    linear.set(new Float32Array([2, -3]));  // no bias: zero
    assert.deepEqual(Array.from(linear.forward(new Float32Array([1, 1]), 1)), [-1]);
  } finally {
    linear.free();
  }
});

test('the dense layer refuses bad sizes and activations', () => {
  assert.throws(() => td.dense(0, 3), /input width must be positive/);
  assert.throws(() => td.dense(3, 5000), /output width 5000 exceeds/);
  assert.equal(M._td_wasm_dense_create(2, 2, 9), -1);
  assert.match(td.lastError(), /activation 9 is not one of/);
  assert.throws(() => td.dense(2, 2, 'swish'), /unknown activation/);
  const layer = td.dense(2, 2);
  try {
    assert.throws(() => layer.set(new Float32Array(3)), /expected 4/);
    assert.throws(() => layer.forward(new Float32Array(3), 2), /expected 2 x 2/);
    assert.equal(M._td_wasm_dense_forward(layer.handle, 0, 1, 0), -1);
  } finally {
    layer.free();
  }
});

test('creating and freeing objects many times leaks neither handles nor heap', () => {
  const before = td.liveHandles();
  const heapBefore = M.HEAPU8.length;
  for (let i = 0; i < 3000; i++) {
    const rng = td.rng(i);
    const layer = td.dense(64, 64, 'silu');
    rng.normal(256);
    layer.forward(new Float32Array(64 * 4), 4);
    layer.free();
    rng.free();
  }
  assert.equal(td.liveHandles(), before);
  assert.equal(M.HEAPU8.length, heapBefore, 'the heap did not grow');
});

test('a leak is visible: a handle not freed is counted', () => {
  const before = td.liveHandles();
  const rng = td.rng(9);
  assert.equal(td.liveHandles(), before + 1);
  rng.free();
  assert.equal(td.liveHandles(), before);
});

test('results survive heap growth (views are made after each call)', () => {
  const rng = td.rng(11);
  try {
    const big = rng.normal(8 << 20);  // 32 MiB: more than the initial 16 MiB heap
    assert.equal(big.length, 8 << 20);
    assert.ok(Number.isFinite(big[big.length - 1]));
    const small = rng.uniform(10);
    assert.ok(small.every((x) => x >= 0 && x < 1));
  } finally {
    rng.free();
  }
});
