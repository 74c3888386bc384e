// limits.test.mjs - the page's module when asked for too much: its heap grows only to
// the 512 MB build-wasm.sh allows, an allocation that cannot be met comes back as an
// error with a readable message (never an abort), and the module keeps working after.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadApi } from './loader.mjs';

const td = await loadApi();
const M = td.M;
const MAX_HEAP = 512 * 1024 * 1024;

test('one request over a documented cap is refused with the cap in the message', () => {
  assert.throws(() => td.dense(4097, 8), (e) => e.code === -6 && /input width 4097 exceeds the page's cap of 4096/.test(e.message));
  const rng = td.rng(1);
  try {
    assert.throws(() => rng.normal((1 << 24) + 1), (e) => e.code === -6 && /exceeds the page's cap/.test(e.message));
  } finally {
    rng.free();
  }
});

test('filling the heap gives an out-of-memory error, and freeing recovers', () => {
  // Each 4096 x 4096 layer is 64 MiB, inside every per-request cap; nine of them
  // cannot fit in 512 MB, so some create must fail - as a TdError, not an abort.
  const layers = [];
  let refused = null;
  try {
    for (let i = 0; i < 12 && !refused; i++) {
      try {
        layers.push(td.dense(4096, 4096));
      } catch (e) {
        refused = e;
      }
    }
    assert.ok(refused, `${layers.length} layers of 64 MiB fit: the heap is not bounded`);
    assert.equal(refused.code, -2);
    assert.match(refused.message, /out of memory for a 4096 x 4096 dense layer/);
    assert.ok(layers.length >= 4 && layers.length <= 8, `${layers.length} layers fit in the heap`);
    assert.ok(M.HEAPU8.length <= MAX_HEAP, `the heap grew to ${M.HEAPU8.length} bytes`);
  } finally {
    for (const l of layers) l.free();
  }
  // The module still works: a layer and a forward pass after the failure.
  const d = td.dense(2, 1);
  try {
    d.set(new Float32Array([1, 2]), new Float32Array([0.5]));
    const y = d.forward(new Float32Array([3, 4]), 1);
    assert.equal(y[0], 3 + 8 + 0.5);
  } finally {
    d.free();
  }
  const again = td.dense(4096, 4096);   // the freed memory is reusable
  again.free();
});
