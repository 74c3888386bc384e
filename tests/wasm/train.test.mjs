// train.test.mjs - training in the page's module (src/wasm/api_train.c via web/js/api_train.js
// and the worker's ops_train.js): slices lower the loss, a sliced run is the whole run,
// exports load as ordinary models (and as starting points), reset repeats the run, metrics
// compare with the trainer's own data, CSV parsing names bad lines, and bad input is refused
// with a reason and leaves no handle behind.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';

import { loadApi, refuses, weights, WEB } from './loader.mjs';

const td = await loadApi();
const { Trainer, csvPoints } = await import(pathToFileURL(join(WEB, 'js', 'api_train.js')).href);
const { TRAIN_OPS } = await import(pathToFileURL(join(WEB, 'js', 'ops_train.js')).href);

const SMALL = { sde: 'ddpm-cosine', width: 32, depth: 2, batch: 64, steps: 400, lr: 5e-3, ema: 0.99, seed: 3 };

// Run fn(trainer) on a fresh trainer, free it, and check no handle leaked.
function withTrainer(opts, fn) {
  const before = td.liveHandles();
  const t = new Trainer(td, opts);
  try {
    return fn(t);
  } finally {
    t.free();
    assert.equal(td.liveHandles(), before, 'a handle leaked');
  }
}

const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;

test('slices lower the loss, stop at the end of the run and report progress', () => {
  withTrainer(SMALL, (t) => {
    const first = t.run(50), rest = [];
    assert.equal(first.length, 50);
    for (let i = 0; i < 20; i++) rest.push(...t.run(40));
    assert.equal(rest.length, 350, 'the last slices stop at step 400');
    assert.equal(t.run(10).length, 0, 'a complete run takes no more steps');
    const p = t.progress();
    assert.equal(p.step, 400);
    assert.equal(p.steps, 400);
    assert.ok(p.params > 1000 && p.seconds > 0 && p.loss > 0);
    const early = mean(Array.from(first.slice(0, 20))), late = mean(rest.slice(-100));
    console.log(`loss: first 20 steps ${early.toFixed(3)}, last 100 ${late.toFixed(3)}`);
    assert.ok(late < 0.8 * early, `the loss did not fall (${early} -> ${late})`);
  });
});

test('a run in slices is the same run as in one go, and reset repeats it from step 0', () => {
  const a = withTrainer(SMALL, (t) => { t.run(400); return t.exportBytes(); });
  const b = withTrainer(SMALL, (t) => {
    for (const k of [1, 99, 150, 150, 7]) t.run(k);
    const once = t.exportBytes();
    t.reset();
    assert.equal(t.progress().step, 0);
    t.run(400);
    assert.deepEqual(t.exportBytes(), once, 'reset did not repeat the run');
    return once;
  });
  assert.deepEqual(a, b);
  // The comparison can fail: another seed trains another model.
  const c = withTrainer({ ...SMALL, seed: 4 }, (t) => { t.run(400); return t.exportBytes(); });
  assert.notDeepEqual(a, c);
});

test('an export is a checkpoint with the CLI metadata that loads as a model and samples near the data', () => {
  withTrainer({ ...SMALL, steps: 600 }, (t) => {
    t.run(600);
    const m = td.model(t.exportBytes());
    const rng = td.rng(1, 1);
    try {
      assert.equal(m.family, 'diffusion');
      const meta = m.info.meta;
      assert.equal(meta.sde, 'ddpm-cosine');
      assert.equal(meta.width, '32');
      assert.equal(meta.data, 'ring8');
      assert.equal(meta.train_steps, '600');
      assert.equal(meta.seed, '3');
      assert.equal(meta.trainer, 'thinkdiff page');
      const x = m.sample(rng, 500, { sampler: 'ddpm', steps: 100 }).x;
      const r = [];
      for (let i = 0; i < 500; i++) r.push(Math.hypot(x[2 * i], x[2 * i + 1]));
      r.sort((p, q) => p - q);
      console.log(`median radius of samples after 600 steps: ${r[250].toFixed(3)} (the ring: 2)`);
      assert.ok(Math.abs(r[250] - 2) < 0.4, `median radius ${r[250]}`);
      const met = t.metrics(x, 1);
      assert.equal(met.modes, 8);
      assert.ok(met.hqFraction >= 0 && met.hqFraction <= 1 && met.sw2 > 0);
      assert.match(met.text, /sliced W2/);
    } finally {
      m.free();
      rng.free();
    }
  });
});

test('training continues from a checkpoint: a shipped model starts good and keeps its architecture', () => {
  withTrainer({ ...SMALL, init: weights('ring8-ddpm-linear.safetensors'), steps: 50, lr: 1e-5 }, (t) => {
    const bytes = t.exportBytes();
    const m = td.model(bytes), rng = td.rng(2, 1);
    try {
      assert.equal(m.info.meta.sde, 'ddpm-linear');
      assert.equal(m.info.meta.width, '128');
      const x = m.sample(rng, 1000, { sampler: 'ddpm', steps: 100 }).x;
      const met = t.metrics(x, 1);
      console.log(`shipped DDPM as a starting point: ${met.modesCovered}/8 modes, ${(100 * met.hqFraction).toFixed(1)}% HQ`);
      assert.equal(met.modesCovered, 8);
      assert.ok(met.hqFraction > 0.9);
    } finally {
      m.free();
      rng.free();
    }
  });
});

test('drawn points are learned from: metrics compare with the points, not the ring', () => {
  // 200 points on a short segment from (-1, 1) to (1, 1).
  const pts = new Float32Array(400);
  for (let i = 0; i < 200; i++) { pts[2 * i] = -1 + 2 * i / 199; pts[2 * i + 1] = 1; }
  withTrainer({ ...SMALL, points: pts, steps: 600 }, (t) => {
    const rng = td.rng(5, 1);
    try {
      const data = t.data(rng, 300);
      for (let i = 0; i < 300; i++) assert.equal(data[2 * i + 1], 1, 'data draws are the points');
      t.run(600);
      const m = td.model(t.exportBytes());
      try {
        assert.match(m.info.meta.data, /points \(200 /);
        const x = m.sample(rng, 1000, { sampler: 'ddpm', steps: 100 }).x;
        const met = t.metrics(x, 1);
        assert.ok(Number.isNaN(met.hqFraction) && met.modes === 0, 'no ring metrics for drawn data');
        // The ring itself is far from the segment: the detector separates them.
        const ring = td.ring(), r2 = td.rng(9, 1);
        try {
          const far = t.metrics(ring.sample(r2, 1000), 1);
          console.log(`SW2 to the points: model ${met.sw2.toFixed(3)}, ring ${far.sw2.toFixed(3)}, floor ${met.sw2Floor.toFixed(3)}`);
          assert.ok(met.sw2 < 0.5 * far.sw2, `model ${met.sw2} vs ring ${far.sw2}`);
        } finally { ring.free(); r2.free(); }
      } finally { m.free(); }
    } finally { rng.free(); }
  });
});

test('CSV text becomes points; garbage and too few points are refused naming the line', () => {
  const p = csvPoints(td, 'x,y\n1,2\n# a comment\n3.5 , -4\n\n5;6\n');
  assert.deepEqual(Array.from(p), [1, 2, 3.5, -4, 5, 6]);
  refuses(() => csvPoints(td, '1,2\n3,4\nhello\n'), /line 3/);
  refuses(() => csvPoints(td, '1,2\n3,nan\n'), /line 2/);
  refuses(() => csvPoints(td, ''), /empty/);
  const before = td.liveHandles();
  refuses(() => new Trainer(td, { ...SMALL, points: new Float32Array([0, 0, 1, 1, 2, 2]) }), /too few points.*3/);
  refuses(() => new Trainer(td, { ...SMALL, points: new Float32Array([0, 0, NaN, 1, ...new Array(20).fill(0)]) }), /not finite/);
  assert.equal(td.liveHandles(), before);
});

test('bad settings, bad handles and files that are not 2-D diffusion models or VAEs are refused with a reason', () => {
  const before = td.liveHandles();
  refuses(() => new Trainer(td, { ...SMALL, sde: 'nope' }), /unknown model 'nope'/);
  refuses(() => new Trainer(td, { ...SMALL, width: 0 }), /width must be positive/);
  refuses(() => new Trainer(td, { ...SMALL, width: 5000 }), /width 5000 exceeds/);
  refuses(() => new Trainer(td, { ...SMALL, batch: 100000 }), /batch size/);
  refuses(() => new Trainer(td, { ...SMALL, lr: 0 }), /learning rate/);
  refuses(() => new Trainer(td, { ...SMALL, ema: 1 }), /EMA/);
  refuses(() => new Trainer(td, { ...SMALL, seed: -1 }), /seed/);
  refuses(() => new Trainer(td, { ...SMALL, data: 'spiral' }), /unknown data set/);
  refuses(() => new Trainer(td, { ...SMALL, init: new TextEncoder().encode('not a model at all') }), /header|short|safetensors/i);
  refuses(() => new Trainer(td, { ...SMALL, init: weights('map1d.safetensors') }), /map1d|diffusion/);
  assert.equal(td.liveHandles(), before);
  const t = new Trainer(td, SMALL);
  refuses(() => t.run(0), /steps per slice must be positive/);
  t.free();
  refuses(() => t.td.check(td.M._td_wasm_trainer_run(t.handle || 12345, 1, 0)), /./);
  assert.equal(td.liveHandles(), before);
});

test('the worker ops keep the old trainer when a new one or a dropped file is refused', () => {
  const before = td.liveHandles();
  const { trainCreate, trainRun, trainView, trainLoad, trainExport, trainCsv } = TRAIN_OPS;
  trainCreate(td, SMALL);
  const slice = trainRun(td, { ms: 30, chunk: 10 });
  assert.ok(slice.losses.length >= 10 && slice.progress.step === slice.losses.length);
  assert.throws(() => trainCreate(td, { ...SMALL, points: new Float32Array(4) }), /too few points/);
  assert.throws(() => trainLoad(td, { ...SMALL, bytes: new TextEncoder().encode('{"x": 1}').buffer }), /not a thinkdiff model/);
  assert.throws(() => trainLoad(td, { ...SMALL, bytes: weights('map1d.safetensors').buffer }), /holds a map1d model/);
  assert.throws(() => trainCsv(td, { text: '1,2\nfoo bar baz\n' }), /line 2/);
  // Still the same run: its step count carried on.
  const view = trainView(td, { n: 200, steps: 20, score: true, res: 5 });
  assert.equal(view.progress.step, slice.progress.step);
  assert.equal(view.x.length, 400);
  assert.equal(view.score.length, 50);
  assert.equal(view.metrics.modes, 8);
  const exp = trainExport(td);
  assert.ok(exp.bytes.length > 1000);
  const loaded = trainLoad(td, { ...SMALL, bytes: exp.bytes.buffer });
  assert.equal(loaded.info.family, 'diffusion');
  assert.equal(loaded.progress.step, 0);
  assert.equal(td.liveHandles(), before + 1, 'only the current trainer is live');
});

// ---- VAE and HVAE: the same loop, loss -ELBO ---------------------------------------------------

// The ring's modes (std 0.02) are hard for a VAE: 1000 steps put its mass on the ring, not on 8/8 modes.
const VAE = { ...SMALL, sde: 'vae', width: 32, depth: 2, batch: 128, steps: 1000, lr: 1e-2 };

test('a VAE trains in slices: -ELBO falls, and the export loads as the CLI\'s vae with prior samples near the data', () => {
  withTrainer(VAE, (t) => {
    const first = t.run(50), rest = [];
    for (let i = 0; i < 19; i++) rest.push(...t.run(50));
    assert.equal(t.run(1).length, 0, 'the run ends at step 1000');
    const early = mean(Array.from(first.slice(0, 20))), late = mean(rest.slice(-100));
    console.log(`VAE -ELBO: first 20 steps ${early.toFixed(3)}, last 100 ${late.toFixed(3)} nats`);
    assert.ok(late < early - 0.5, `-ELBO did not fall (${early} -> ${late})`);
    const p = t.progress();
    assert.equal(p.step, 1000);
    assert.ok(Math.abs(p.loss - late) < 1, `smoothed loss ${p.loss} vs ${late}`);
    // The export goes through td_vae_load, the loader `thinkdiff sample --model` uses.
    const m = td.model(t.exportBytes()), rng = td.rng(1, 1), er = td.rng(2, 1);
    try {
      assert.equal(m.family, 'vae');
      const meta = m.info.meta;
      assert.equal(meta.model, 'vae');
      assert.deepEqual([meta.x_dim, meta.z_dim, meta.hidden, meta.depth, meta.act], ['2', '2', '32', '2', 'silu']);
      assert.equal(meta.data, 'ring8');
      assert.equal(meta.train_steps, '1000');
      assert.equal(m.info.params, p.params);
      const x = m.vaeSample(rng, 1000).x, met = t.metrics(x, 1);
      const far = t.metrics(new Float32Array(2000).map(() => 3), 1);   // every point at (3, 3)
      console.log(`VAE after 1000 steps: ${met.modesCovered}/8 modes, SW2 ${met.sw2.toFixed(3)} (a point mass: ${far.sw2.toFixed(3)})`);
      assert.ok(met.sw2 < 0.3 * far.sw2, `SW2 ${met.sw2} vs ${far.sw2}`);
      // The page's loss is the model's own -ELBO: the exported weights agree on fresh data.
      const e = m.elbo(er, t.data(er, 4000));
      console.log(`ELBO of the export on 4000 fresh points: ${e.elbo.toFixed(3)} nats`);
      assert.ok(Math.abs(-e.elbo - late) < 1, `ELBO ${e.elbo} vs loss ${late}`);
    } finally {
      m.free(); rng.free(); er.free();
    }
  });
});

test('an HVAE trains too, and a VAE export continues training with its own architecture', () => {
  const bytes = withTrainer({ ...VAE, sde: 'hvae', steps: 600 }, (t) => {
    const l = Array.from(t.run(600));
    console.log(`HVAE -ELBO: first 20 steps ${mean(l.slice(0, 20)).toFixed(3)}, last 100 ${mean(l.slice(-100)).toFixed(3)} nats`);
    assert.ok(mean(l.slice(-100)) < mean(l.slice(0, 20)) - 0.2, 'HVAE -ELBO fell');   // slower: two latents
    const m = td.model(t.exportBytes());
    try { assert.equal(m.family, 'hvae'); assert.equal(m.info.meta.z2_dim, '2'); } finally { m.free(); }
    return t.exportBytes();
  });
  withTrainer({ ...SMALL, width: 8, init: bytes, steps: 20 }, (t) => {
    assert.equal(t.run(20).length, 20);
    const m = td.model(t.exportBytes());
    try { assert.equal(m.family, 'hvae'); assert.equal(m.info.meta.hidden, '32'); } finally { m.free(); }
  });
  // The shipped VAE (trained by the CLI) is a starting point whose loss starts low.
  withTrainer({ ...SMALL, init: weights('vae.safetensors'), steps: 50, lr: 1e-5 }, (t) => {
    const fresh = withTrainer({ ...VAE, steps: 50 }, (u) => mean(Array.from(u.run(50))));
    const shipped = mean(Array.from(t.run(50)));
    console.log(`-ELBO over 50 steps: shipped VAE ${shipped.toFixed(3)}, fresh VAE ${fresh.toFixed(3)}`);
    assert.ok(shipped < fresh - 1, `shipped ${shipped} vs fresh ${fresh}`);
  });
});

test('VAE settings are checked and the worker shows a VAE with a decoded latent grid instead of a score', () => {
  const before = td.liveHandles();
  refuses(() => new Trainer(td, { ...VAE, sde: 'VAE' }), /unknown model 'VAE'.*vae or hvae/);
  refuses(() => new Trainer(td, { ...VAE, depth: 9 }), /depth/);
  refuses(() => new Trainer(td, { ...VAE, lr: 2 }), /learning rate/);
  refuses(() => new Trainer(td, { ...VAE, points: new Float32Array(6) }), /too few points/);
  assert.equal(td.liveHandles(), before);
  const { trainCreate, trainRun, trainView, trainLoad, trainExport } = TRAIN_OPS;
  trainCreate(td, VAE);
  trainRun(td, { ms: 20, chunk: 10 });
  const view = trainView(td, { n: 300, score: true, res: 6 });
  assert.equal(view.family, 'vae');
  assert.equal(view.score, null);
  assert.equal(view.grid.length, 2 * 36);
  assert.equal(view.x.length, 600);
  assert.ok(view.metrics.sw2 > 0);
  const exp = trainExport(td);
  const loaded = trainLoad(td, { ...SMALL, bytes: exp.bytes.buffer });
  assert.equal(loaded.info.family, 'vae');
  const again = trainView(td, { n: 100, score: true, res: 4 });
  assert.equal(again.settings.sde, 'vae');
  assert.equal(again.settings.width, 32);
  assert.equal(again.grid.length, 32);
  assert.equal(td.liveHandles(), before, 'the worker\'s trainer was replaced, not leaked');
});
