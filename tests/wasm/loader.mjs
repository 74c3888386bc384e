// loader.mjs - load the page's module (web/thinkdiff.js + .wasm) in Node.
//
// The glue is built for web and worker only (ES module, fetches its .wasm by
// URL), so Node hands it the .wasm bytes itself through `wasmBinary`: the
// tests run exactly the files the page ships. Build them with ./build-wasm.sh.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WEB = join(ROOT, 'web');

export async function loadModule() {
  const js = join(WEB, 'thinkdiff.js'), wasm = join(WEB, 'thinkdiff.wasm');
  if (!existsSync(js) || !existsSync(wasm))
    throw new Error(`${js} or ${wasm} is missing: run ./build-wasm.sh first`);
  const { default: createThinkdiff } = await import(pathToFileURL(js).href);
  return createThinkdiff({ wasmBinary: readFileSync(wasm), locateFile: (p) => p });
}

// The module wrapped by the page's own JS API (web/js/api.js).
export async function loadApi() {
  const { Thinkdiff } = await import(pathToFileURL(join(WEB, 'js', 'api.js')).href);
  return new Thinkdiff(await loadModule());
}

// A shipped checkpoint's bytes. Shipped weights live in web/weights/; TD_EXTRA_WEIGHTS names
// a folder searched when a file is not there yet (a locally trained stand-in while the
// shipped one is on its way).
export function weights(name) {
  for (const dir of [join(WEB, 'weights'), process.env.TD_EXTRA_WEIGHTS].filter(Boolean)) {
    const path = join(dir, name);
    if (existsSync(path)) return new Uint8Array(readFileSync(path));
  }
  throw new Error(`weights file ${name} is missing from web/weights/`);
}

// fn must throw a TdError with a negative code whose message matches `pattern`.
export function refuses(fn, pattern) {
  assert.throws(fn, (e) => {
    assert.equal(e.name, 'TdError');
    assert.ok(e.code < 0, `code ${e.code}`);
    assert.match(e.message, pattern);
    return true;
  });
}
