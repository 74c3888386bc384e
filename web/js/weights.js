// weights.js - the shipped checkpoints: fetched on the main thread with a visible
// progress bar, moved (not copied) to the worker, validated there by the C loader.
//
// A section shows its own loading state and, when a file is missing or corrupt, its own
// error; nothing here touches the rest of the page. `?weights.NAME=FILE.safetensors`
// points one model at another file in weights/ (to compare checkpoints, or to see the
// error a broken file gives).
import { getParam } from './url.js';

export const WEIGHTS = {
  map1d: { file: 'map1d.safetensors', family: 'map1d', label: 'the learned 1-D map' },
  vae: { file: 'vae.safetensors', family: 'vae', label: 'the VAE' },
  hvae: { file: 'hvae.safetensors', family: 'hvae', label: 'the hierarchical VAE' },
  ddpm: { file: 'ring8-ddpm-linear.safetensors', family: 'diffusion', label: 'DDPM (linear schedule)' },
  'ddpm-cosine': { file: 'ring8-ddpm-cosine.safetensors', family: 'diffusion', label: 'DDPM (cosine schedule)' },
  vp: { file: 'ring8-vp.safetensors', family: 'diffusion', label: 'the VP score model' },
  subvp: { file: 'ring8-subvp.safetensors', family: 'diffusion', label: 'the sub-VP score model' },
  ve: { file: 'ring8-ve.safetensors', family: 'diffusion', label: 'the VE score model' },
};

// The URL of a model's weights: weights/<file>, or the file named in ?weights.NAME=...
// (a plain file name inside weights/, nothing else).
export function weightsUrl(name) {
  const spec = WEIGHTS[name];
  if (!spec) throw new Error(`no weights are known for '${name}'`);
  const override = getParam('weights', name, null);
  const file = override && /^[\w.-]+\.safetensors$/.test(override) ? override : spec.file;
  return new URL(`../weights/${file}`, import.meta.url).href;
}

const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;

// GET url into an ArrayBuffer, calling onProgress(received, total or 0) as bytes arrive.
export async function fetchBytes(url, onProgress = () => {}) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`could not fetch ${url} (${e.message})`);
  }
  if (!response.ok) throw new Error(`${url} answered ${response.status} ${response.statusText}`.trim());
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body) {
    const buffer = await response.arrayBuffer();
    onProgress(buffer.byteLength, total);
    return buffer;
  }
  const reader = response.body.getReader(), chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received, total);
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out.buffer;
}

// The loading line of one section: a progress bar while fetching, an error that names
// the file and the loader's reason when something fails.
export class WeightsStatus {
  constructor(el) {
    this.el = el;
    this.el.classList.add('weights');
    this.el.setAttribute('role', 'status');
    this.el.setAttribute('aria-live', 'polite');
    this.bar = document.createElement('progress');
    this.text = document.createElement('span');
    this.el.replaceChildren(this.bar, this.text);
    this.failures = new Map();
  }

  progress(label, received, total) {
    this.el.dataset.state = 'loading';
    this.el.hidden = false;
    if (total) { this.bar.max = total; this.bar.value = received; } else this.bar.removeAttribute('value');
    this.text.textContent = `Loading the weights of ${label}: ${kb(received)}${total ? ` of ${kb(total)}` : ''}`;
  }

  done(text) {
    if (this.failures.size) return this.showFailures();
    this.el.dataset.state = 'ok';
    this.bar.hidden = true;
    this.text.textContent = text;
    this.el.classList.remove('error');
  }

  fail(name, message) {
    this.failures.set(name, message);
    this.showFailures();
  }

  clear(name) {
    this.failures.delete(name);
    if (!this.failures.size) this.el.classList.remove('error');
  }

  showFailures() {
    this.el.dataset.state = 'error';
    this.el.setAttribute('role', 'alert');
    this.el.classList.add('error');
    this.el.hidden = false;
    this.bar.hidden = true;
    this.text.textContent = [...this.failures.values()].join(' ');
  }
}

const loaded = new Map();   // name -> Promise of the worker's { name, info }

// Fetch and load a model once per page (later calls share the first's promise). The
// rejection's message says which file failed and why, in one sentence.
export function loadModel(client, name, status) {
  if (!loaded.has(name)) {
    const spec = WEIGHTS[name], url = weightsUrl(name);
    const file = url.slice(url.lastIndexOf('/') + 1);
    const promise = (async () => {
      try {
        const bytes = await fetchBytes(url, (got, total) => status && status.progress(spec.label, got, total));
        const result = await client.call('modelLoad', { name, bytes }, [bytes]);
        if (result.info.family !== spec.family)
          throw new Error(`it holds a ${result.info.family} model, not a ${spec.family} model`);
        return result;
      } catch (e) {
        loaded.delete(name);   // a later attempt may succeed (the file may have been fixed)
        throw new Error(`The weights of ${spec.label} (weights/${file}) could not be loaded: ${e.message.replace(/\.$/, '')}.`);
      }
    })();
    loaded.set(name, promise);
  }
  return loaded.get(name);
}
