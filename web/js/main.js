// main.js - the page's entry: starts the worker, wires each section, reports status.
// The main thread only draws and handles input; all computation runs in the worker.
import { WorkerClient } from './client.js';
import { setupDigits } from './sections/digits.js';
import { setupForward } from './sections/forward.js';
import { setupMap1d } from './sections/map1d.js';
import { setupReverse } from './sections/reverse.js';
import { setupTrain } from './sections/train.js';
import { setupTransform } from './sections/transform.js';
import { setupVae } from './sections/vae.js';

const statusEl = document.getElementById('status');
const status = {
  info(text) { statusEl.className = 'status'; statusEl.textContent = text; },
  ok(text) { statusEl.className = 'status ok'; statusEl.textContent = text; },
  error(text) { statusEl.className = 'status error'; statusEl.textContent = text; },
};

async function showBuildInfo() {
  const el = document.getElementById('build-info');
  try {
    const info = await (await fetch('build-info.json', { cache: 'no-cache' })).json();
    el.textContent = `Build ${info.git}${info.dirty ? ' (modified)' : ''} · ${info.built} · Emscripten ${info.emscripten}`;
  } catch {
    el.textContent = 'Build information unavailable.';
  }
}

async function main() {
  const start = performance.now();
  if (!document.createElement('canvas').getContext('webgl2')) {
    status.error('This page needs WebGL2, which this browser does not offer.');
    return;
  }
  status.info('Loading the C core (thinkdiff.wasm) in a worker…');
  const client = new WorkerClient(new URL('./worker.js', import.meta.url));
  showBuildInfo();
  let info;
  try {
    info = await client.ready;
  } catch (e) {
    status.error(e.message);
    return;
  }
  // A section whose C functions this build lacks stays hidden rather than half-working.
  // Sections with weights fetch them in the background and report in place: a missing
  // or corrupt file shows its message in that section only.
  const sections = [['transform', setupTransform, ['transform']],
    ['map1d', setupMap1d, ['modelLoad', 'map1d']],
    ['vae', setupVae, ['modelLoad', 'vae']],
    ['forward', setupForward, ['forward', 'schedules']],
    ['reverse', setupReverse, ['sampleModel', 'scoreField', 'samplers']],
    ['digits', setupDigits, ['digitsLoad', 'digitsGenerate', 'digitsStyle']],
    ['train', setupTrain, ['trainCreate', 'trainRun', 'trainView']]];
  for (const [id, setup, ops] of sections) {
    if (!ops.every((op) => info.ops.includes(op))) continue;
    try {
      await setup(client, status, info);
    } catch (e) {
      status.error(`The section '${id}' failed to start: ${e.message}`);
      throw e;
    }
  }
  const ms = performance.now() - start;
  document.documentElement.dataset.ready = 'true';
  status.ok(`Ready in ${Math.round(ms)} ms: C core loaded in a worker (dense kernel: ${info.densePath}).`);
}

if ('serviceWorker' in navigator && location.protocol !== 'file:') {
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn(`offline cache unavailable: ${e.message}`));
}
main();
