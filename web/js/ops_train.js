// ops_train.js - worker operations for "Train it yourself" (api_train.js over api_train.c).
//
// The worker keeps one trainer: the page creates it from settings and data (trainCreate),
// then asks for slices of steps (trainRun: as many steps as fit in `ms`, so a pause or any
// other section's request waits at most that long) and, about once a second, a view of
// the current model (trainView). A failed create or load leaves the previous trainer as
// it was: bad input never costs the reader their model.
import { Trainer, csvPoints } from './api_train.js';

let trainer = null;
let settings = null;   // what the current trainer was made from (for the description)

function checkInt(name, v, lo, hi) {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new Error(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
}

function current() {
  if (!trainer) throw new Error('no model is being trained yet');
  return trainer;
}

// Run fn(...objects) and free the objects whatever happens.
function using(objects, fn) {
  try {
    return fn(...objects);
  } finally {
    for (const o of objects) if (o) o.free();
  }
}

// settings: Trainer's options (sde, data | points, width, depth, batch, steps, lr, ema, seed).
function trainCreate(td, args) {
  const next = new Trainer(td, args);   // throws with the C reason; the old trainer stays
  if (trainer) trainer.free();
  trainer = next;
  settings = { ...args, points: undefined, init: undefined, nPoints: args.points ? args.points.length / 2 : 0,
    fromFile: Boolean(args.init) };
  return { progress: trainer.progress() };
}

// A dropped checkpoint: it must be a diffusion model, VAE or HVAE of 2-D points; training goes
// on from its weights with the page's data and optimiser settings.
function trainLoad(td, { bytes, ...rest }) {
  let info;
  try {
    const probe = td.model(new Uint8Array(bytes));
    info = probe.info;
    probe.free();
  } catch (e) {
    throw new Error(`this file is not a thinkdiff model: ${e.message.replace(/\.$/, '')}`);
  }
  const vae = info.family === 'vae' || info.family === 'hvae';
  if (info.family !== 'diffusion' && !vae)
    throw new Error(`this file holds a ${info.family} model; the trainer continues diffusion models and VAEs of 2-D points`);
  if (vae && Number(info.meta.x_dim) !== 2)
    throw new Error(`this ${info.family} model is not a model of 2-D points (x_dim ${info.meta.x_dim})`);
  if (!vae && Number(info.meta.data_dim) !== 2 || Number(info.meta.n_classes || 0) || Number(info.meta.cond_dim || 0))
    throw new Error(`this diffusion model is not an unconditional 2-D model (data_dim ${info.meta.data_dim})`);
  const out = trainCreate(td, { ...rest, init: new Uint8Array(bytes) });
  settings.sde = vae ? info.family : info.meta.sde;
  settings.width = Number(vae ? info.meta.hidden : info.meta.width);
  settings.depth = Number(info.meta.depth);
  return { ...out, info };
}

// As many steps as fit in `ms` (at least one chunk): their losses and where the run is.
function trainRun(td, { ms = 120, chunk = 20 }) {
  checkInt('chunk', chunk, 1, 10000);
  const t = current(), start = performance.now(), parts = [];
  let total = 0;
  do {
    const losses = t.run(chunk);
    if (!losses.length) break;
    parts.push(losses);
    total += losses.length;
  } while (performance.now() - start < ms);
  const losses = new Float32Array(total);
  let at = 0;
  for (const p of parts) { losses.set(p, at); at += p.length; }
  const progress = t.progress();
  return { losses, progress, complete: progress.step >= progress.steps };
}

function trainReset() {
  current().reset();
  return { progress: trainer.progress() };
}

// The current model: n samples (the CLI's sampler from `seed`; a VAE's decoded prior draws),
// their metrics against the data, and optionally the learned score on a (res, res) grid over
// [-extent, extent]^2 at t - or, for a VAE, which has no score, its decoder on a (res, res)
// grid of latents over [-2.5, 2.5]^2 (`grid`, row-major (res, res, 2)): how it folds the plane.
function trainView(td, { n = 1000, sampler = 'ddpm', steps = 100, seed = 1, metrics = true, score = false, t = 0.1,
  res = 17, extent = 4 }) {
  checkInt('samples', n, 2, 20000);
  checkInt('sampler steps', steps, 1, 1000);
  checkInt('grid resolution', res, 2, 64);
  const tr = current(), t0 = performance.now();
  const bytes = tr.exportBytes();
  return using([td.model(bytes), td.rng(seed, 1)], (model, rng) => {
    const vae = model.family === 'vae' || model.family === 'hvae';
    const run = vae ? model.vaeSample(rng, n) : model.sample(rng, n, { sampler, steps });
    const sampleMs = performance.now() - t0;
    const met = metrics ? tr.metrics(run.x, seed) : null;
    const field = score && !vae ? model.scoreGrid(t, [-extent, extent, -extent, extent], res, res) : null;
    let grid = null;
    if (score && vae) {
      const z = new Float32Array(2 * res * res);
      for (let r = 0; r < res; r++)
        for (let c = 0; c < res; c++) z.set([-2.5 + 5 * c / (res - 1), -2.5 + 5 * r / (res - 1)], 2 * (r * res + c));
      grid = model.vaeDecode(z);
    }
    return { x: run.x, metrics: met, score: field, grid, family: model.family, res, extent, t, progress: tr.progress(),
      sampleMs, settings: { ...settings } };
  });
}

// n draws of a toy set (`data`), or of the current trainer's data: what it learns from.
function trainData(td, { data = null, n = 2000, seed = 2 }) {
  checkInt('points', n, 1, 100000);
  if (!data) return using([td.rng(seed, 4)], (rng) => ({ x: current().data(rng, n) }));
  // A toy set's own sampler, through a throw-away trainer (the current one is untouched).
  return using([new Trainer(td, { data, width: 4, depth: 1, batch: 8, steps: 100 }), td.rng(seed, 4)],
    (t, rng) => ({ x: t.data(rng, n) }));
}

// The current model as .safetensors bytes (moved to the page for the download).
function trainExport() {
  const t = current();
  return { bytes: t.exportBytes(), progress: t.progress(), settings: { ...settings } };
}

// CSV text -> points (n, 2); garbage names its line.
function trainCsv(td, { text }) {
  if (typeof text !== 'string') throw new Error('the CSV must be text');
  return { points: csvPoints(td, text) };
}

export const TRAIN_OPS = { trainCreate, trainLoad, trainRun, trainReset, trainView, trainData, trainExport, trainCsv };
