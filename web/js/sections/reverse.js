// reverse.js - section "Reverse diffusion": particles from the prior to the ring, driven
// by the exact score or a shipped network, two samplers side by side from the same seed,
// animated from their trajectories, with metrics at the end; then the score field itself,
// learned beside exact, and their error.
import { latestOnly } from '../client.js';
import { Plot, hueColor, ramp, themeColor } from '../gl.js';
import { choiceParam, intParam, numParam, onNewSeed, setParams } from '../url.js';
import { WEIGHTS, WeightsStatus, loadModel } from '../weights.js';

const KINDS = ['vp', 'subvp', 've', 'ddpm-linear', 'ddpm-cosine'];
const MODELS = ['exact', 'ddpm', 'ddpm-cosine', 'vp', 'subvp', 've'];
const LEARNED = MODELS.slice(1);
const MODEL_LABEL = { exact: 'exact score', ddpm: 'DDPM, linear (network)', 'ddpm-cosine': 'DDPM, cosine (network)',
  vp: 'VP score (network)', subvp: 'sub-VP score (network)', ve: 'VE score (network)' };
const PARTICLES = ['1000', '4096', '10000'];
const PLAY_MS = 2600;   // the whole trajectory plays in this time
const TRAILS = 60;      // particles whose paths are drawn when trajectories are on

export async function setupReverse(client) {
  const section = document.getElementById('reverse');
  const form = document.getElementById('reverse-controls');
  const figures = document.getElementById('reverse-figures');
  const metricsEls = [document.getElementById('reverse-metrics'), document.getElementById('reverse-metrics-b')];
  const weights = new WeightsStatus(document.getElementById('reverse-weights'));
  section.hidden = false;

  const { list } = await client.call('samplers');
  for (const select of [form.sampler, form.samplerB]) {
    for (const s of list) {
      const option = document.createElement('option');
      option.value = s.name;
      option.textContent = s.name;
      option.title = s.summary;
      select.append(option);
    }
  }
  for (const name of MODELS) {
    const option = document.createElement('option');
    option.value = name;
    option.textContent = MODEL_LABEL[name];
    if (name !== 'exact') option.title = `weights/${WEIGHTS[name].file}`;
    form.model.append(option);
  }
  const names = list.map((s) => s.name);

  const panels = [0, 1].map(() => new Plot(figures, { xlabel: 'x₁', ylabel: 'x₂', aspect: 1, equal: true, caption: 'Sampling…' }));

  form.model.value = choiceParam('reverse', 'model', 'exact', MODELS);
  form.sampler.value = choiceParam('reverse', 'sampler', names.includes('ddpm') ? 'ddpm' : names[0], names);
  form.samplerB.value = choiceParam('reverse', 'samplerB', names.includes('ode-heun') ? 'ode-heun' : names[0], names);
  form.kind.value = choiceParam('reverse', 'kind', 'vp', KINDS);
  form.grid.value = choiceParam('reverse', 'grid', 'log-snr', ['log-snr', 'uniform']);
  form.steps.value = intParam('reverse', 'steps', 100, 1, 1000);
  form.n.value = choiceParam('reverse', 'n', '4096', PARTICLES);
  form.seed.value = intParam('reverse', 'seed', 1, 0, 999999);
  form.trails.checked = choiceParam('reverse', 'trails', '0', ['0', '1']) === '1';

  let runs = null, colors = null, animation = 0, startTime = 0;

  function syncKind() {
    // A network brings its own SDE; the picker applies to the exact score only.
    form.kind.disabled = form.model.value !== 'exact';
  }

  const update = latestOnly(async () => {
    syncKind();
    const base = { model: form.model.value, kind: form.kind.value, grid: form.grid.value, steps: Number(form.steps.value),
      n: Number(form.n.value), seed: Number(form.seed.value) };
    const samplers = [form.sampler.value, form.samplerB.value];
    if (!Number.isInteger(base.steps) || base.steps < 1 || base.steps > 1000) { metricsEls[0].textContent = 'Steps must be a whole number from 1 to 1000.'; return; }
    if (!Number.isInteger(base.seed) || base.seed < 0) { metricsEls[0].textContent = 'Seed must be a whole number ≥ 0.'; return; }
    setParams('reverse', { ...base, sampler: samplers[0], samplerB: samplers[1], trails: form.trails.checked ? 1 : 0 });
    section.dataset.state = 'running';
    cancelAnimationFrame(animation);
    try {
      if (base.model !== 'exact') {
        const { info } = await loadModel(client, base.model, weights);
        weights.clear(base.model);
        // Show the network's own SDE in the (disabled) picker; the exact score then compares on it.
        if (KINDS.includes(info.meta.sde)) form.kind.value = base.kind = info.meta.sde;
        weights.done(`Weights: ${WEIGHTS[base.model].file}, ${info.params.toLocaleString()} numbers, trained ${info.meta.train_steps ? `${Number(info.meta.train_steps).toLocaleString()} steps ` : ''}on ${info.meta.data || 'ring8'} (${info.meta.sde} SDE).`);
      } else {
        weights.done('The exact score of the noised ring: no weights needed.');
      }
      setParams('reverse', { kind: base.kind });
      metricsEls.forEach((el, i) => { el.textContent = `Sampling ${base.n.toLocaleString()} particles with ${samplers[i]}, ${base.steps} steps…`; });
      // The worker runs one job at a time: A, then B, from the same seed.
      runs = [];
      for (const sampler of samplers) runs.push(await client.call('sampleModel', { ...base, sampler }));
    } catch (e) {
      if (base.model !== 'exact') weights.fail(base.model, e.message);
      section.dataset.state = 'failed';
      metricsEls.forEach((el) => { el.textContent = ''; });
      return;
    }
    const end = runs[0];
    colors = runs.map((run) => {
      const c = new Float32Array(run.n * 4);
      for (let i = 0; i < run.n; i++) c.set(hueColor(Math.atan2(run.x[2 * i + 1], run.x[2 * i]), 0.7), 4 * i);
      return c;
    });
    panels.forEach((p, i) => {
      p.figure.querySelector('figcaption').innerHTML = `${i ? 'B' : 'A'}: <strong>${runs[i].sampler}</strong> on ${MODEL_LABEL[end.model]} (${runs[i].kind}), ` +
        `${runs[i].nfe} network evaluations; particles coloured by where they end.`;
    });
    play();
  });

  function frameAt(run, progress) {
    const F = run.times.length, pos = Math.min(progress, 1) * (F - 1);
    const f = Math.min(Math.floor(pos), F - 2), w = pos - f, values = run.n * 2;
    const a = run.frames.subarray(f * values, (f + 1) * values), b = run.frames.subarray((f + 1) * values, (f + 2) * values);
    const x = new Float32Array(values);
    for (let i = 0; i < values; i++) x[i] = a[i] + (b[i] - a[i]) * w;
    return { x, f, t: run.times[f] + (run.times[f + 1] - run.times[f]) * w,
      extent: run.extents[f] + (run.extents[f + 1] - run.extents[f]) * w };
  }

  function drawFrame(progress) {
    // Both panels share one view, so the two samplers compare at a glance.
    const frames = runs.map((run) => frameAt(run, progress));
    const extent = Math.max(...frames.map((f) => f.extent));
    panels.forEach((panel, k) => {
      const run = runs[k], { x, f } = frames[k];
      panel.setView(-extent, extent, -extent, extent);
      panel.draw((p) => {
        const circle = Array.from({ length: 129 }, (_, i) => 2 * Math.PI * i / 128);
        p.line(circle.map((a) => 2 * Math.cos(a)), circle.map((a) => 2 * Math.sin(a)), themeColor('--muted', 0.35), 1);
        if (form.trails.checked) {
          const values = run.n * 2;
          for (let i = 0; i < Math.min(TRAILS, run.n); i++) {
            const xs = [], ys = [];
            for (let j = 0; j <= f; j++) { xs.push(run.frames[j * values + 2 * i]); ys.push(run.frames[j * values + 2 * i + 1]); }
            xs.push(x[2 * i]); ys.push(x[2 * i + 1]);
            const c = colors[k].slice(4 * i, 4 * i + 4); c[3] = 0.6;
            p.line(xs, ys, c, 1.2);
          }
        }
        p.points(x, colors[k], run.n > 5000 ? 2.2 : 3);
      });
    });
    metricsEls[0].dataset.t = frames[0].t.toFixed(3);
  }

  function showMetrics() {
    runs.forEach((run, i) => {
      const m = run.metrics;
      metricsEls[i].textContent = `${i ? 'B' : 'A'}: ${run.sampler} on ${MODEL_LABEL[run.model]} (${run.kind}), ${run.steps} steps (${run.grid} grid), ` +
        `${run.n.toLocaleString()} particles, seed ${run.seed}\nnetwork evaluations ${run.nfe} · sampling ${run.sampleMs.toFixed(0)} ms · metrics ${run.metricsMs.toFixed(0)} ms\n\n${m.text}`;
    });
    section.dataset.state = 'done';
  }

  // A reader who asks the system for less motion gets the end at once; the Replay
  // button still animates, since that is asked for explicitly.
  function play(animate = !matchMedia('(prefers-reduced-motion: reduce)').matches) {
    cancelAnimationFrame(animation);
    section.dataset.played = animate ? 'animated' : 'still';
    if (!animate) {
      drawFrame(1);
      showMetrics();
      return;
    }
    startTime = performance.now();
    const tick = (now) => {
      const progress = (now - startTime) / PLAY_MS;
      drawFrame(progress);
      if (progress < 1) animation = requestAnimationFrame(tick);
      else showMetrics();
    };
    animation = requestAnimationFrame(tick);
  }

  form.addEventListener('change', (e) => {
    if (e.target === form.trails) {
      setParams('reverse', { trails: form.trails.checked ? 1 : 0 });
      if (runs) play();
      return;
    }
    update();
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  form.replay.addEventListener('click', () => { if (runs) play(true); });
  onNewSeed(form.run, form.seed, update);
  // for tests and curious readers: the last runs of panels A and B
  window.thinkdiffPage = window.thinkdiffPage || {};
  Object.defineProperties(window.thinkdiffPage, {
    reverse: { get: () => (runs && runs[0]) || null, configurable: true },
    reverseB: { get: () => (runs && runs[1]) || null, configurable: true },
  });
  update();
  setupScoreField(client);
}

// ---- the score field: learned beside exact, and their error --------------------------------

function setupScoreField(client) {
  const form = document.getElementById('score-controls');
  const figures = document.getElementById('score-figures');
  const readout = document.getElementById('score-readout');
  const box = document.getElementById('score');
  const weights = new WeightsStatus(document.getElementById('score-weights'));
  for (const name of LEARNED) {
    const option = document.createElement('option');
    option.value = name;
    option.textContent = MODEL_LABEL[name];
    form.model.append(option);
  }
  const learnedPlot = new Plot(figures, { xlabel: 'x₁', ylabel: 'x₂', aspect: 1, equal: true,
    caption: 'The network\'s score −ε̂(<var>x</var>, <var>t</var>)/σ(<var>t</var>).' });
  const exactPlot = new Plot(figures, { xlabel: 'x₁', ylabel: 'x₂', aspect: 1, equal: true,
    caption: 'The exact score ∇ log <var>p<sub>t</sub></var> of the noised ring, over log <var>p<sub>t</sub></var>.' });
  const errorPlot = new Plot(figures, { xlabel: 'x₁', ylabel: 'x₂', aspect: 1, equal: true,
    caption: 'Relative error |learned − exact| / |exact| (dark 0, bright ≥ 100%); the bright bands between modes are where the exact score is small and turns round.' });

  form.model.value = choiceParam('score', 'model', 'vp', LEARNED);
  form.t.value = numParam('score', 't', 0.1, 0.005, 1);
  form.tOut.value = Number(form.t.value).toFixed(3);

  const update = latestOnly(async () => {
    const model = form.model.value, t = Number(form.t.value);
    setParams('score', { model, t });
    box.dataset.state = 'running';
    try {
      await loadModel(client, model, weights);
      weights.clear(model);
      weights.done('');
      weights.el.hidden = true;
      const r = await client.call('scoreField', { model, t });
      draw(r);
      readout.textContent = `${MODEL_LABEL[model]} at t = ${t.toFixed(3)} (σ = ${r.sigma.toFixed(3)}): mean relative error ` +
        `weighted by p_t ${(100 * r.weightedError).toFixed(1)}% · computed in ${r.ms.toFixed(0)} ms`;
      box.dataset.state = 'done';
    } catch (e) {
      weights.fail(model, e.message);
      readout.textContent = '';
      box.dataset.state = 'failed';
    }
  });

  function arrows(field, res, extent, scale) {
    // One arrow per cell: direction of the score, length log-compressed and shared by both
    // panels (the score grows like 1/σ near the modes).
    const cell = 2 * extent / res, seg = new Float32Array(res * res * 12);
    for (let r = 0; r < res; r++) {
      for (let c = 0; c < res; c++) {
        const i = r * res + c, sx = field[2 * i], sy = field[2 * i + 1], mag = Math.hypot(sx, sy);
        const cx = -extent + (c + 0.5) * cell, cy = -extent + (r + 0.5) * cell;
        const len = 0.9 * cell * Math.min(1, Math.log1p(mag / scale.s0) / Math.log1p(scale.max / scale.s0));
        const ux = mag > 0 ? sx / mag : 0, uy = mag > 0 ? sy / mag : 0;
        const x0 = cx - ux * len / 2, y0 = cy - uy * len / 2, x1 = cx + ux * len / 2, y1 = cy + uy * len / 2;
        const h = 0.35 * len, ca = Math.cos(0.45), sa = Math.sin(0.45);
        seg.set([x0, y0, x1, y1,
          x1, y1, x1 - h * (ux * ca - uy * sa), y1 - h * (uy * ca + ux * sa),
          x1, y1, x1 - h * (ux * ca + uy * sa), y1 - h * (uy * ca - ux * sa)], 12 * i);
      }
    }
    return seg;
  }

  function draw(r) {
    const mags = [];
    for (let i = 0; i < r.res * r.res; i++) mags.push(Math.hypot(r.exact[2 * i], r.exact[2 * i + 1]));
    mags.sort((a, b) => a - b);
    const scale = { s0: Math.max(mags[Math.floor(mags.length / 2)], 1e-6), max: Math.max(mags[Math.floor(0.98 * (mags.length - 1))], 1e-6) };
    const E = r.extent, n = r.errorRes;
    let maxLog = -Infinity;
    for (const v of r.density) maxLog = Math.max(maxLog, v);
    const dens = new Uint8Array(n * n * 4), err = new Uint8Array(n * n * 4);
    const bg = themeColor('--plot-bg');
    for (let i = 0; i < n * n; i++) {
      const [cr, cg, cb] = ramp((r.density[i] - (maxLog - 10)) / 10);
      // the density faded towards the background, so the arrows stay readable
      dens.set([0.35 * cr + 0.65 * 255 * bg[0], 0.35 * cg + 0.65 * 255 * bg[1], 0.35 * cb + 0.65 * 255 * bg[2], 255], 4 * i);
      const [er, eg, eb] = ramp(Math.min(r.error[i], 1));
      err.set([er, eg, eb, 255], 4 * i);
    }
    const ink = themeColor('--ink', 0.85), learnedColor = themeColor('--accent', 0.95);
    const circle = Array.from({ length: 129 }, (_, i) => 2 * Math.PI * i / 128);
    const ring = (p, c) => p.line(circle.map((a) => 2 * Math.cos(a)), circle.map((a) => 2 * Math.sin(a)), c, 1);
    for (const [plot, field, color] of [[learnedPlot, r.learned, learnedColor], [exactPlot, r.exact, ink]]) {
      plot.setView(-E, E, -E, E);
      plot.draw((p) => {
        p.image(dens, n, n, -E, E, -E, E);
        ring(p, themeColor('--muted', 0.5));
        p.segments(arrows(field, r.res, E, scale), color, 1.4);
      });
    }
    errorPlot.setView(-E, E, -E, E);
    errorPlot.draw((p) => {
      p.image(err, n, n, -E, E, -E, E);
      ring(p, [1, 1, 1, 0.6]);
    });
  }

  form.addEventListener('input', (e) => {
    if (e.target === form.t) form.tOut.value = Number(form.t.value).toFixed(3);
    update();
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  update();
}
