// train.js - section "Train it yourself": choose or paint the data, train a 2-D diffusion
// model (or a VAE / HVAE) in the worker, watch its loss, samples, score field (a VAE's decoded
// latent grid) and metrics, keep it.
//
// The main thread only draws and drives: it asks the worker for slices of steps
// (trainRun, ~120 ms each, so Pause answers at once and the page never freezes) and about
// once a second for a view of the current model (trainView). A refused drawing, CSV or
// model file shows its message here; the current model and drawing stay as they were.
import { Plot, themeColor } from '../gl.js';
import { choiceParam, getParam, intParam, numParam, setParams } from '../url.js';

const DATA = ['ring8', 'moons', 'swissroll', 'checkerboard', 'drawing'];
const SDES = ['ddpm-cosine', 'ddpm-linear', 'vp', 'subvp', 've', 'vae', 'hvae'];
const VAES = ['vae', 'hvae'];   // no score and a loss (-ELBO, nats) that may be negative
const EXTENT = 4;              // every view shows [-4, 4]^2, where the toy sets live
const VIEW_MS = 1000;          // a view of the current model about once a second
const SLICE_MS = 120;          // worker time per slice
const MIN_POINTS = 10;         // api_train.c refuses fewer
const URL_POINTS = 400;        // drawings up to this size go into the URL
const BRUSH = 0.12, ERASER = 0.35;

// Defaults: DDPM (cosine) that reaches 8/8 modes and >= 90% high-quality samples on the ring
// within seconds (README: the 15 s figure).
const DEFAULTS = { data: 'ring8', sde: 'ddpm-cosine', width: 48, depth: 3, lr: 0.008, batch: 128, steps: 8000, seed: 0 };

// Drawn points <-> URL: x, y rounded to 0.01 as int16 pairs, base64url.
function encodePoints(pts) {
  const q = new Int16Array(pts.length);
  for (let i = 0; i < pts.length; i++) q[i] = Math.max(-32768, Math.min(32767, Math.round(pts[i] * 100)));
  let s = '';
  for (const b of new Uint8Array(q.buffer)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodePoints(text) {
  try {
    const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    if (s.length % 4) return [];
    const bytes = Uint8Array.from(s, (c) => c.charCodeAt(0));
    return Array.from(new Int16Array(bytes.buffer), (v) => v / 100);
  } catch {
    return [];
  }
}

export async function setupTrain(client) {
  const section = document.getElementById('train');
  const form = document.getElementById('train-controls');
  const figures = document.getElementById('train-figures');
  const lossFigure = document.getElementById('train-loss');
  const message = document.getElementById('train-message');
  const metricsEl = document.getElementById('train-metrics');
  const readout = document.getElementById('train-readout');
  section.hidden = false;

  const dataPlot = new Plot(figures, { xlabel: 'x₁', ylabel: 'x₂', aspect: 1, equal: true,
    caption: 'The data. Choose “drawing” to paint points with the brush (eraser, clear), or drop a CSV of x,y lines here.' });
  const samplePlot = new Plot(figures, { xlabel: 'x₁', ylabel: 'x₂', aspect: 1, equal: true,
    caption: 'The current model\'s samples (EMA weights, DDPM sampler, 100 steps) over the data (grey).' });
  const scorePlot = new Plot(figures, { xlabel: 'x₁', ylabel: 'x₂', aspect: 1, equal: true,
    caption: 'The learned score −ε̂/σ at <var>t</var> = 0.1, over the samples.' });
  const lossPlot = new Plot(lossFigure, { xlabel: 'step', ylabel: 'log₁₀ loss', aspect: 0.3,
    caption: 'Training loss per step (light) and its running mean (dark); the grey line is the loss of a net that predicts ε̂ = 0.' });
  for (const p of [dataPlot, samplePlot, scorePlot]) p.setView(-EXTENT, EXTENT, -EXTENT, EXTENT);
  const captions = [samplePlot, scorePlot, lossPlot].map((p) => p.figure.querySelector('figcaption'));
  const diffusionText = captions.map((c) => c.innerHTML);
  const vaeText = ['The current model\'s samples (EMA weights: prior draws z ~ N(0, I) through the decoder) over the data (grey).',
    'A VAE has no score: its decoder on a grid of latents over [−2.5, 2.5]², how it folds the plane onto the data (samples grey).',
    'Training loss per step, −ELBO in nats (light), and its running mean (dark); it can go below 0 for tight data.'];
  // Captions and the loss axis follow the kind of model shown.
  function setKind(vae) {
    captions.forEach((c, i) => { c.innerHTML = vae ? vaeText[i] : diffusionText[i]; });
    lossPlot.opts.ylabel = vae ? '−ELBO (nats)' : 'log₁₀ loss';
  }
  const shownVae = () => VAES.includes(view ? view.settings.sde : form.sde.value);

  // ---- state ----
  const urlPoints = decodePoints(getParam('train', 'pts', ''));
  let drawing = urlPoints.length >= 2 * MIN_POINTS ? urlPoints : [];   // flat x, y
  let toyData = null;            // draws of the current toy set, for the data plot
  let losses = [];               // every step's loss so far
  let view = null;               // the last trainView result
  let made = null;               // the settings key the worker's trainer was made from
  let running = false, state = 'idle';
  const timeline = [];           // { ms, step, modes, hq } per view (the page's speed figure)

  form.data.value = choiceParam('train', 'data', drawing.length ? 'drawing' : DEFAULTS.data, DATA);
  form.sde.value = choiceParam('train', 'sde', DEFAULTS.sde, SDES);
  form.width.value = intParam('train', 'width', DEFAULTS.width, 4, 512);
  form.depth.value = intParam('train', 'depth', DEFAULTS.depth, 1, 8);
  form.lr.value = numParam('train', 'lr', DEFAULTS.lr, 1e-5, 0.1);
  form.batch.value = intParam('train', 'batch', DEFAULTS.batch, 8, 4096);
  form.steps.value = intParam('train', 'steps', DEFAULTS.steps, 100, 100000);
  form.seed.value = intParam('train', 'seed', DEFAULTS.seed, 0, 999999);

  function setState(s) {
    state = s;
    section.dataset.state = s;
    form.run.textContent = s === 'running' ? 'Pause' : s === 'paused' ? 'Resume' : 'Train';
    form.download.disabled = !made;
    form.reset.disabled = !made;
    const draw = form.data.value === 'drawing';
    for (const el of [...form.querySelectorAll('[name=tool]'), form.clear]) el.disabled = !draw;
  }

  function say(text, error = false) {
    message.textContent = text;
    message.hidden = !text;
    message.classList.toggle('error', error);
    message.setAttribute('role', error ? 'alert' : 'status');
    message.dataset.kind = error ? 'error' : 'info';
  }

  function settings() {
    const s = { sde: form.sde.value, width: Number(form.width.value), depth: Number(form.depth.value),
      lr: Number(form.lr.value), batch: Number(form.batch.value), steps: Number(form.steps.value),
      seed: Number(form.seed.value), ema: 0.995 };
    const checks = [['width', 4, 512], ['depth', 1, 8], ['batch', 8, 4096], ['steps', 100, 100000], ['seed', 0, 999999]];
    for (const [k, lo, hi] of checks)
      if (!Number.isInteger(s[k]) || s[k] < lo || s[k] > hi) throw new Error(`${k} must be a whole number from ${lo} to ${hi}.`);
    if (!(s.lr > 0 && s.lr <= 0.1)) throw new Error('The learning rate must lie in (0, 0.1].');
    return s;
  }

  function saveUrl() {
    const values = { data: form.data.value, sde: form.sde.value, width: form.width.value, depth: form.depth.value,
      lr: form.lr.value, batch: form.batch.value, steps: form.steps.value, seed: form.seed.value };
    values.pts = form.data.value === 'drawing' && drawing.length / 2 <= URL_POINTS ? encodePoints(drawing) : '';
    setParams('train', values);
  }

  // ---- drawing ----------------------------------------------------------------------------

  const muted = () => themeColor('--muted', 0.45);

  function drawData() {
    const pts = form.data.value === 'drawing' ? new Float32Array(drawing) : toyData;
    dataPlot.draw((p) => { if (pts && pts.length) p.points(pts, themeColor('--accent', 0.8), 3); });
    readout.dataset.points = form.data.value === 'drawing' ? String(drawing.length / 2) : '';
    if (form.data.value === 'drawing')
      readout.textContent = `${drawing.length / 2} points drawn${drawing.length / 2 > URL_POINTS ? ' (too many to share in the link)' : ''}.`;
  }

  async function refreshToy() {
    toyData = null;
    if (form.data.value !== 'drawing') {
      try {
        toyData = (await client.call('trainData', { data: form.data.value, n: 2000 })).x;
      } catch (e) {
        say(e.message, true);
      }
    }
    drawData();
    drawView();
  }

  function toData(event) {
    const rect = dataPlot.canvas.getBoundingClientRect(), [x0, y0, x1, y1] = dataPlot.view;
    return [x0 + (event.clientX - rect.left) / rect.width * (x1 - x0),
      y1 - (event.clientY - rect.top) / rect.height * (y1 - y0)];
  }

  let painting = false, lastPaint = null;
  function paint(event) {
    if (form.data.value !== 'drawing') return;
    const [x, y] = toData(event);
    if (!(Math.abs(x) <= EXTENT && Math.abs(y) <= EXTENT)) return;
    if (form.tool.value === 'eraser') {
      const kept = [];
      for (let i = 0; i < drawing.length; i += 2)
        if (Math.hypot(drawing[i] - x, drawing[i + 1] - y) > ERASER) kept.push(drawing[i], drawing[i + 1]);
      drawing = kept;
    } else {
      // A few points per event, jittered by the brush's size, spaced along the stroke.
      if (lastPaint && Math.hypot(lastPaint[0] - x, lastPaint[1] - y) < 0.04) return;
      for (let k = 0; k < 3; k++) {
        const a = Math.random() * 2 * Math.PI, r = BRUSH * Math.sqrt(Math.random());
        drawing.push(x + r * Math.cos(a), y + r * Math.sin(a));
      }
      lastPaint = [x, y];
    }
    drawData();
  }
  dataPlot.stage.addEventListener('pointerdown', (e) => {
    if (form.data.value !== 'drawing') return;
    painting = true;
    lastPaint = null;
    dataPlot.stage.setPointerCapture(e.pointerId);
    paint(e);
  });
  dataPlot.stage.addEventListener('pointermove', (e) => { if (painting) paint(e); });
  const stop = () => { if (painting) { painting = false; saveUrl(); } };
  dataPlot.stage.addEventListener('pointerup', stop);
  dataPlot.stage.addEventListener('pointercancel', stop);
  dataPlot.stage.style.touchAction = 'none';

  // ---- training ---------------------------------------------------------------------------

  // What the trainer depends on: a change means a new trainer at the next Train.
  function key() {
    const s = { ...settingsOrNull(), data: form.data.value };
    if (s.data === 'drawing') s.pts = drawing.join(',');
    return JSON.stringify(s);
  }
  function settingsOrNull() { try { return settings(); } catch { return null; } }

  async function create() {
    const s = settings();
    const args = form.data.value === 'drawing' ? { ...s, points: new Float32Array(drawing) } : { ...s, data: form.data.value };
    if (form.data.value === 'drawing' && drawing.length / 2 < MIN_POINTS)
      throw new Error(`Too few points to learn from: ${drawing.length / 2} drawn; paint at least ${MIN_POINTS}. Nothing was changed.`);
    await client.call('trainCreate', args);
    made = key();
    losses = [];
    view = null;
    timeline.length = 0;
  }

  async function loop() {
    let lastView = 0;
    while (running) {
      const r = await client.call('trainRun', { ms: SLICE_MS });
      for (const v of r.losses) losses.push(v);
      const now = performance.now();
      // About once a second, but at most a seventh of the time: a view samples and
      // measures, which costs the steps it displaces.
      if (now - lastView > Math.max(VIEW_MS, 6 * (view ? view.ms : 0)) || r.complete) {
        lastView = now;
        await refreshView();
        drawLoss();
      }
      if (r.complete) { running = false; setState('done'); say(`Done: ${r.progress.steps.toLocaleString()} steps. Download the model to keep it.`); }
    }
  }

  async function refreshView() {
    view = await client.call('trainView', { n: 1000, steps: 100, seed: 1, score: true, res: 17, extent: EXTENT * 0.85 });
    const m = view.metrics, pr = view.progress;
    timeline.push({ ms: performance.now(), step: pr.step, modes: m.modesCovered, hq: m.hqFraction, sw2: m.sw2, viewMs: view.ms });
    metricsEl.textContent = `step ${pr.step.toLocaleString()} of ${pr.steps.toLocaleString()} · loss ${pr.loss.toFixed(4)} · ` +
      `${(pr.step / Math.max(pr.seconds, 1e-9)).toFixed(0)} steps/s in the worker · ${pr.params.toLocaleString()} parameters\n\n${m.text}`;
    drawView();
  }

  function drawView() {
    const data = form.data.value === 'drawing' ? new Float32Array(drawing) : toyData;
    if (!view) {   // before training: the data alone, waiting for samples
      for (const plot of [samplePlot, scorePlot]) plot.draw((p) => { if (data && data.length) p.points(data, muted(), 2.5); });
      return;
    }
    samplePlot.draw((p) => {
      if (data) p.points(data, muted(), 2.5);
      p.points(view.x, themeColor('--accent', 0.8), 2.5);
    });
    setKind(Boolean(view.grid));
    if (view.grid) { drawGrid(view); return; }
    const { res, extent, score } = view, cell = 2 * extent / res;
    let max = 1e-6;
    for (let i = 0; i < res * res; i++) max = Math.max(max, Math.hypot(score[2 * i], score[2 * i + 1]));
    const seg = new Float32Array(res * res * 4);
    for (let r = 0; r < res; r++) {
      for (let c = 0; c < res; c++) {
        const i = r * res + c, sx = score[2 * i], sy = score[2 * i + 1], mag = Math.hypot(sx, sy);
        const len = 0.9 * cell * Math.log1p(mag) / Math.log1p(max);
        const cx = -extent + (c + 0.5) * cell, cy = -extent + (r + 0.5) * cell;
        const ux = mag > 0 ? sx / mag : 0, uy = mag > 0 ? sy / mag : 0;
        seg.set([cx - ux * len / 2, cy - uy * len / 2, cx + ux * len / 2, cy + uy * len / 2], 4 * i);
      }
    }
    scorePlot.draw((p) => {
      p.points(view.x, muted(), 2);
      p.segments(seg, themeColor('--ink', 0.85), 1.4);
      for (let i = 0; i < res * res; i++) {   // heads: a dot at each arrow's tip
        seg[2 * i] = seg[4 * i + 2];
        seg[2 * i + 1] = seg[4 * i + 3];
      }
      p.points(seg.subarray(0, 2 * res * res), themeColor('--accent', 0.9), 3.5);
    });
  }

  // A VAE's decoder on the latent grid: each latent row and column drawn as a polyline.
  function drawGrid({ grid, res, x }) {
    const seg = new Float32Array(2 * res * (res - 1) * 4);
    let k = 0;
    for (let r = 0; r < res; r++) {
      for (let c = 0; c + 1 < res; c++) {
        const a = r * res + c, b = c * res + r;   // (r, c)-(r, c+1) and (c, r)-(c+1, r)
        seg.set([grid[2 * a], grid[2 * a + 1], grid[2 * a + 2], grid[2 * a + 3]], k); k += 4;
        seg.set([grid[2 * b], grid[2 * b + 1], grid[2 * (b + res)], grid[2 * (b + res) + 1]], k); k += 4;
      }
    }
    scorePlot.draw((p) => {
      p.points(x, muted(), 2);
      p.segments(seg, themeColor('--ink', 0.7), 1.2);
      p.points(grid, themeColor('--accent', 0.9), 3);
    });
  }

  // The loss of a net that predicts eps_hat = 0 is E|eps|^2 / 2 = 1 per coordinate (log 0):
  // every curve starts near that line and should fall below it.
  // A VAE's -ELBO may be negative: plotted as it is, without the baseline.
  function drawLoss() {
    if (shownVae()) { drawElbo(); return; }
    const n = losses.length, baseline = (p, x1) => p.line([0, x1], [0, 0], themeColor('--muted', 0.6), 4);
    if (n < 2) {
      lossPlot.setView(0, Number(form.steps.value) || 1000, -1, 0.3);
      lossPlot.draw((p) => baseline(p, Number(form.steps.value) || 1000));
      return;
    }
    const stride = Math.max(1, Math.floor(n / 800)), xs = [], ys = [], ms = [];
    let run = Math.log10(losses[0]);
    for (let i = 0; i < n; i++) {
      run = 0.98 * run + 0.02 * Math.log10(losses[i]);
      if (i % stride === 0) { xs.push(i + 1); ys.push(Math.log10(losses[i])); ms.push(run); }
    }
    const lo = Math.min(...ms) - 0.3, hi = Math.max(...ys.slice(0, 5), ...ms) + 0.1;
    lossPlot.setView(0, Math.max(n, 10), lo, hi);
    lossPlot.draw((p) => {
      baseline(p, Math.max(n, 10));
      p.line(xs, ys, themeColor('--muted', 0.35), 1);
      p.line(xs, ms, themeColor('--accent'), 2);
    });
  }

  function drawElbo() {
    setKind(true);
    const n = losses.length;
    if (n < 2) {
      lossPlot.setView(0, Number(form.steps.value) || 1000, -2, 4);
      lossPlot.draw(() => {});
      return;
    }
    const stride = Math.max(1, Math.floor(n / 800)), xs = [], ys = [], ms = [];
    let run = losses[0];
    for (let i = 0; i < n; i++) {
      run = 0.98 * run + 0.02 * losses[i];
      if (i % stride === 0) { xs.push(i + 1); ys.push(losses[i]); ms.push(run); }
    }
    // The view follows the running mean, so the first steps' large losses do not flatten it.
    const lo = Math.min(...ms, ...ys.slice(-200)) - 0.2, hi = Math.max(...ms.slice(Math.floor(ms.length / 10))) + 1;
    lossPlot.setView(0, Math.max(n, 10), lo, Math.max(hi, lo + 0.5));
    lossPlot.draw((p) => {
      p.line(xs, ys, themeColor('--muted', 0.35), 1);
      p.line(xs, ms, themeColor('--accent'), 2);
    });
  }

  async function start() {
    say('');
    try {
      if (!made || made !== key()) await create();
      saveUrl();
      running = true;
      setState('running');
      await loop();
      // Paused: show the model as it now is (what Download gives).
      if (state === 'paused') { await refreshView(); drawLoss(); }
    } catch (e) {
      running = false;
      say(e.message, true);
      setState(made ? 'paused' : 'idle');
    }
  }

  form.run.addEventListener('click', () => {
    if (running) { running = false; setState('paused'); say('Paused. Resume to go on, or change a setting to start afresh.'); return; }
    start();
  });
  form.reset.addEventListener('click', async () => {
    running = false;
    try {
      await client.call('trainReset');
      losses = [];
      timeline.length = 0;
      await refreshView();
      drawLoss();
      setState('paused');
      say('Reset to step 0 with the same settings and data.');
    } catch (e) { say(e.message, true); }
  });
  form.clear.addEventListener('click', () => { drawing = []; drawData(); saveUrl(); });
  form.download.addEventListener('click', async () => {
    try {
      const r = await client.call('trainExport');
      const blob = new Blob([r.bytes], { type: 'application/octet-stream' });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `thinkdiff-${r.settings.sde}-${r.progress.step}steps.safetensors`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    } catch (e) { say(e.message, true); }
  });

  // ---- files: a CSV of points or a .safetensors model, dropped or chosen ---------------------

  async function openFile(file) {
    const csv = /\.(csv|txt)$/i.test(file.name);
    try {
      if (csv) {
        const { points } = await client.call('trainCsv', { text: await file.text() });
        const inside = Array.from(points).filter((v) => Math.abs(v) > EXTENT).length;
        if (points.length / 2 < MIN_POINTS)
          throw new Error(`too few points to learn from: ${points.length / 2} (at least ${MIN_POINTS})`);
        drawing = Array.from(points);
        form.data.value = 'drawing';
        setState(state);
        drawData();
        saveUrl();
        say(`Loaded ${points.length / 2} points from ${file.name}${inside ? ` (${inside / 2 | 0}+ lie outside the [-4, 4] view)` : ''}. Train to learn them.`);
      } else {
        running = false;
        const bytes = await file.arrayBuffer();
        const s = settings();
        const args = form.data.value === 'drawing' ? { ...s, points: new Float32Array(drawing) } : { ...s, data: form.data.value };
        const r = await client.call('trainLoad', { ...args, bytes }, [bytes]);
        made = key();
        losses = [];
        timeline.length = 0;
        const kind = VAES.includes(r.info.family) ? r.info.family : r.info.meta.sde;
        form.sde.value = SDES.includes(kind) ? kind : form.sde.value;
        made = key();
        await refreshView();
        setState('paused');
        say(`Loaded ${file.name}: a ${kind} model, ${r.info.params.toLocaleString()} parameters, trained ` +
          `${Number(r.info.meta.train_steps || 0).toLocaleString()} steps on ${r.info.meta.data || 'unknown data'}. Train to go on from it.`);
      }
    } catch (e) {
      const what = csv ? `The CSV ${file.name} was not loaded` : `${file.name} was not loaded`;
      say(`${what}: ${e.message.replace(/\.$/, '')}. Your current data and model are unchanged.`, true);
    }
  }
  form.file.addEventListener('change', () => { if (form.file.files[0]) openFile(form.file.files[0]); form.file.value = ''; });
  section.addEventListener('dragover', (e) => { e.preventDefault(); section.classList.add('dropping'); });
  section.addEventListener('dragleave', () => section.classList.remove('dropping'));
  section.addEventListener('drop', (e) => {
    e.preventDefault();
    section.classList.remove('dropping');
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) openFile(file);
  });

  form.addEventListener('change', (e) => {
    if (e.target === form.file || e.target.name === 'tool') return;
    if (e.target === form.data) { setState(state); refreshToy(); }
    if (running) say('New settings apply at the next Train (pause, then Train starts afresh).');
    saveUrl();
  });
  form.addEventListener('submit', (e) => e.preventDefault());

  // for tests and the speed benchmark
  window.thinkdiffPage = window.thinkdiffPage || {};
  Object.defineProperty(window.thinkdiffPage, 'train', { configurable: true, get: () => ({
    state, steps: losses.length, dataView: dataPlot.view.slice(), losses: losses.slice(), timeline: timeline.slice(), drawing: drawing.slice(),
    view: view && { x: Array.from(view.x), metrics: view.metrics, progress: view.progress, settings: view.settings,
      family: view.family, grid: view.grid && Array.from(view.grid) },
  }) });
  setState('idle');
  drawLoss();
  await refreshToy();
}
