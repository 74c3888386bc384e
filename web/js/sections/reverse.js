// reverse.js - section "Reverse diffusion": particles from the prior to the ring under
// the exact score, animated from the sampler's trajectory, with metrics at the end.
import { latestOnly } from '../client.js';
import { Plot, hueColor, themeColor } from '../gl.js';
import { choiceParam, intParam, setParams } from '../url.js';

const KINDS = ['vp', 'subvp', 've', 'ddpm-linear', 'ddpm-cosine'];
const PLAY_MS = 2600;   // the whole trajectory plays in this time
const TRAILS = 60;      // particles whose paths are drawn when trajectories are on

export async function setupReverse(client, status) {
  const section = document.getElementById('reverse');
  const form = document.getElementById('reverse-controls');
  const figures = document.getElementById('reverse-figures');
  const metricsEl = document.getElementById('reverse-metrics');
  section.hidden = false;

  const { list } = await client.call('samplers');
  for (const s of list) {
    const option = document.createElement('option');
    option.value = s.name;
    option.textContent = s.name;
    option.title = s.summary;
    form.sampler.append(option);
  }
  const names = list.map((s) => s.name);

  const field = new Plot(figures, { xlabel: 'x₁', ylabel: 'x₂', aspect: 1, equal: true,
    caption: 'Particles from the prior (<var>t</var> = 1) to the data (<var>t</var> = 0), coloured by where they end.' });
  const zoom = new Plot(figures, { xlabel: 'x₁', ylabel: 'x₂', aspect: 1, equal: true,
    caption: 'Close-up of the mode at (2, 0) at the end: circles at 1σ and 3σ of the true mode (σ = 0.02); inside 3σ counts as high quality.' });

  form.sampler.value = choiceParam('reverse', 'sampler', names.includes('ddim') ? 'ddim' : names[0], names);
  form.kind.value = choiceParam('reverse', 'kind', 'vp', KINDS);
  form.grid.value = choiceParam('reverse', 'grid', 'log-snr', ['log-snr', 'uniform']);
  form.steps.value = intParam('reverse', 'steps', 100, 1, 1000);
  form.n.value = choiceParam('reverse', 'n', '4000', ['1000', '4000', '10000']);
  form.seed.value = intParam('reverse', 'seed', 1, 0, 999999);
  form.trails.checked = choiceParam('reverse', 'trails', '0', ['0', '1']) === '1';

  let run = null, colors = null, animation = 0, startTime = 0;

  const update = latestOnly(async () => {
    const args = { sampler: form.sampler.value, kind: form.kind.value, grid: form.grid.value, steps: Number(form.steps.value),
      n: Number(form.n.value), seed: Number(form.seed.value) };
    if (!Number.isInteger(args.steps) || args.steps < 1 || args.steps > 1000) { status.error('Steps must be a whole number from 1 to 1000.'); return; }
    if (!Number.isInteger(args.seed) || args.seed < 0) { status.error('Seed must be a whole number ≥ 0.'); return; }
    setParams('reverse', { ...args, trails: form.trails.checked ? 1 : 0 });
    section.dataset.state = 'running';
    metricsEl.textContent = `Sampling ${args.n.toLocaleString()} particles with ${args.sampler}, ${args.steps} steps…`;
    try {
      run = await client.call('reverse', args);
    } catch (e) {
      section.dataset.state = 'failed';
      metricsEl.textContent = '';
      status.error(`Sampling failed: ${e.message}`);
      return;
    }
    colors = new Float32Array(run.n * 4);
    for (let i = 0; i < run.n; i++) colors.set(hueColor(Math.atan2(run.x[2 * i + 1], run.x[2 * i]), 0.7), 4 * i);
    drawZoom();
    play();
  });

  function frameAt(progress) {
    const F = run.times.length, pos = Math.min(progress, 1) * (F - 1);
    const f = Math.min(Math.floor(pos), F - 2), w = pos - f, values = run.n * 2;
    const a = run.frames.subarray(f * values, (f + 1) * values), b = run.frames.subarray((f + 1) * values, (f + 2) * values);
    const x = new Float32Array(values);
    for (let i = 0; i < values; i++) x[i] = a[i] + (b[i] - a[i]) * w;
    return { x, f, w, t: run.times[f] + (run.times[f + 1] - run.times[f]) * w,
      extent: run.extents[f] + (run.extents[f + 1] - run.extents[f]) * w };
  }

  function drawFrame(progress) {
    const { x, f, t, extent } = frameAt(progress);
    field.setView(-extent, extent, -extent, extent);
    field.draw((p) => {
      const ring = themeColor('--muted', 0.35);
      const circle = Array.from({ length: 129 }, (_, i) => 2 * Math.PI * i / 128);
      p.line(circle.map(Math.cos).map((c) => 2 * c), circle.map(Math.sin).map((s) => 2 * s), ring, 1);
      if (form.trails.checked) {
        const values = run.n * 2;
        for (let i = 0; i < Math.min(TRAILS, run.n); i++) {
          const xs = [], ys = [];
          for (let k = 0; k <= f; k++) { xs.push(run.frames[k * values + 2 * i]); ys.push(run.frames[k * values + 2 * i + 1]); }
          xs.push(x[2 * i]); ys.push(x[2 * i + 1]);
          const c = colors.slice(4 * i, 4 * i + 4); c[3] = 0.6;
          p.line(xs, ys, c, 1.2);
        }
      }
      p.points(x, colors, run.n > 5000 ? 2.5 : 3.5);
    });
    metricsEl.dataset.t = t.toFixed(3);
    return t;
  }

  function drawZoom() {
    const c = [2, 0], half = 0.16;
    zoom.setView(c[0] - half, c[0] + half, c[1] - half, c[1] + half);
    zoom.draw((p) => {
      p.points(run.x, colors, 4);
      const circle = Array.from({ length: 129 }, (_, i) => 2 * Math.PI * i / 128);
      for (const k of [1, 3])
        p.line(circle.map((a) => c[0] + 0.02 * k * Math.cos(a)), circle.map((a) => c[1] + 0.02 * k * Math.sin(a)), themeColor('--ink', 0.8), 1.5);
    });
  }

  function showMetrics() {
    const m = run.metrics;
    metricsEl.textContent = `${run.sampler} on ${run.kind}, ${run.steps} steps (${run.grid} grid), ${run.n.toLocaleString()} particles, seed ${run.seed}\n` +
      `network evaluations ${run.nfe} · sampling ${run.sampleMs.toFixed(0)} ms · metrics ${run.metricsMs.toFixed(0)} ms\n\n${m.text}`;
    section.dataset.state = 'done';
  }

  function play() {
    cancelAnimationFrame(animation);
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
      if (run) play();
      return;
    }
    update();
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  form.replay.addEventListener('click', () => { if (run) play(); });
  form.run.addEventListener('click', () => {
    form.seed.value = (Number(form.seed.value) + 1) % 1000000;
    update();
  });
  window.thinkdiffPage = { get reverse() { return run; } };  // for tests and curious readers
  update();
}
