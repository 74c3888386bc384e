// digit-examples.mjs - the page's example references for style (section 5): a few test-split
// digits of the MNIST cache, written as a small file in the cache's own format (TDMNIST1,
// src/data/mnist.h), so the page ships 20 digits and never the data set.
//
//   node scripts/digit-examples.mjs [CACHE] [OUT] [PER_CLASS]
//
// Defaults: .cache/mnist/mnist-10k.bin, web/examples/digits.bin, 2 per class. The test split
// is cache index i % 10 == 0 (src/data/digits.h); for each class the first PER_CLASS test
// digits in cache order are taken, class 0 first.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

const [cache = '.cache/mnist/mnist-10k.bin', out = 'web/examples/digits.bin', perArg = '2'] = process.argv.slice(2);
const PIXELS = 784, HEADER = 24, per = Number(perArg);
const src = readFileSync(cache);
if (src.subarray(0, 8).toString('latin1') !== 'TDMNIST1') throw new Error(`${cache} is not a TDMNIST1 cache`);
const count = src.readUInt32LE(8);
const labels = src.subarray(HEADER + count * PIXELS);

const picked = [];
for (let d = 0; d < 10; d++) {
  let got = 0;
  for (let i = 0; i < count && got < per; i += 10) if (labels[i] === d) { picked.push(i); got++; }
}
const n = picked.length, bytes = Buffer.alloc(HEADER + n * (PIXELS + 1));
picked.forEach((i, k) => {
  src.copy(bytes, HEADER + k * PIXELS, HEADER + i * PIXELS, HEADER + (i + 1) * PIXELS);
  bytes[HEADER + n * PIXELS + k] = labels[i];
});
let hash = 0x811c9dc5;   // FNV-1a 32 over pixels then labels
for (let i = HEADER; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
bytes.write('TDMNIST1', 0, 'latin1');
bytes.writeUInt32LE(n, 8);
bytes.writeUInt32LE(28, 12);
bytes.writeUInt32LE(28, 16);
bytes.writeUInt32LE(hash, 20);
writeFileSync(`${out}.tmp`, bytes);
renameSync(`${out}.tmp`, out);
console.log(`${out}: ${n} test digits (cache indices ${picked.join(' ')}), ${bytes.length} bytes`);
