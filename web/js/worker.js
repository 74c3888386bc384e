// worker.js - owns the WebAssembly module; the page's only place where C runs.
//
// Protocol: the page posts { id, op, args }; the worker answers
// { id, ok: true, result } or { id, ok: false, error }. Float32Arrays in a result
// travel as transferables (moved, not copied). On start it posts
// { type: 'ready', info } or { type: 'failed', error }.
import createThinkdiff from '../thinkdiff.js';
import { Thinkdiff } from './api.js';
import { OPS as BASE_OPS } from './ops.js';
import { MODEL_OPS } from './ops_models.js';
import { TRAIN_OPS } from './ops_train.js';
import { DIGIT_OPS } from './ops_digits.js';

// Each group of sections brings its own ops module; their names must not collide.
const OPS = { ...BASE_OPS, ...MODEL_OPS, ...TRAIN_OPS, ...DIGIT_OPS };

let td = null;

// Every ArrayBuffer inside a result, for postMessage's transfer list.
function transferables(value, out = []) {
  if (ArrayBuffer.isView(value)) out.push(value.buffer);
  else if (value && typeof value === 'object')
    for (const v of Object.values(value)) transferables(v, out);
  return out;
}

self.onmessage = (event) => {
  const { id, op, args } = event.data;
  try {
    if (!td) throw new Error('the C core is not loaded yet');
    const fn = OPS[op];
    if (!fn) throw new Error(`unknown operation '${op}'`);
    const start = performance.now();
    const result = fn(td, args || {});
    result.ms = performance.now() - start;
    self.postMessage({ id, ok: true, result }, [...new Set(transferables(result))]);
  } catch (e) {
    self.postMessage({ id, ok: false, error: e && e.message ? e.message : String(e) });
  }
};

(async () => {
  const start = performance.now();
  try {
    const module = await createThinkdiff();
    td = new Thinkdiff(module);
    self.postMessage({ type: 'ready', info: { ms: performance.now() - start,
      densePath: td.densePath(), ops: Object.keys(OPS) } });
  } catch (e) {
    self.postMessage({ type: 'failed', error: `the C core did not load: ${e && e.message ? e.message : e}` });
  }
})();
