// digits.js - section 5, "Coloured digits": latent diffusion with classifier-free guidance
// per attribute (class, colour), a scrubber over the denoising steps (x_t and the predicted
// x0, both decoded), and style from a drawing or an example digit.
//
// The digit weights are large (several MB), so nothing is fetched until the section is
// first used: it scrolls near the viewport, or the reader touches a control. Each file
// reports its own progress and error; a failed file disables only what needs it.
import { latestOnly } from '../client.js';
import { Plot } from '../gl.js';
import { choiceParam, getParam, intParam, numParam, onNewSeed, setParams } from '../url.js';
import { WeightsStatus, fetchBytes } from '../weights.js';

// Load order matters: latent diffusion is checked against the VAE it was trained on.
const FILES = [
  { part: 'vae', file: 'digit_vae.safetensors', label: 'the digit VAE', needs: null },
  { part: 'latent', file: 'digit_latent.safetensors', label: 'latent diffusion', needs: 'vae' },
  { part: 'cvae', file: 'digit_cvae.safetensors', label: 'the conditional VAE (style)', needs: null },
  { part: 'classifier', file: 'classifier.safetensors', label: 'the classifier', needs: null },
];
const SIDE = 28, DIGIT = SIDE * SIDE * 3, GAP = 2;

// ?weights.digit_latent=FILE.safetensors points one file at another in weights/ (as weights.js).
function weightsUrl(file) {
  const key = file.replace(/\.safetensors$/, '');
  const override = getParam('weights', key, null);
  const name = override && /^[\w.-]+\.safetensors$/.test(override) ? override : file;
  return new URL(`../../weights/${name}`, import.meta.url).href;
}

// Digits x (n, 28, 28, 3) in [0, 1] -> an RGBA texture of `cols` columns with a dark gutter,
// row 0 at the bottom (as Plot.image wants it).
function gridTexture(x, n, cols, offset = 0) {
  const rows = Math.ceil(n / cols), W = cols * (SIDE + GAP) + GAP, H = rows * (SIDE + GAP) + GAP;
  const rgba = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i++) rgba.set([34, 36, 40, 255], 4 * i);
  for (let k = 0; k < n; k++) {
    const ox = GAP + (k % cols) * (SIDE + GAP), oy = GAP + Math.floor(k / cols) * (SIDE + GAP);
    for (let y = 0; y < SIDE; y++)
      for (let xx = 0; xx < SIDE; xx++) {
        const src = offset + k * DIGIT + (y * SIDE + xx) * 3, dst = 4 * ((H - 1 - (oy + y)) * W + ox + xx);
        for (let c = 0; c < 3; c++) rgba[dst + c] = Math.round(255 * Math.min(1, Math.max(0, x[src + c])));
        rgba[dst + 3] = 255;
      }
  }
  return { rgba, W, H };
}

// A bare plot (no axes) showing a texture at its own aspect ratio.
function showTexture(plot, tex) {
  plot.opts.aspect = tex.H / tex.W;
  plot.setView(0, tex.W, 0, tex.H);
  plot.draw((p) => p.image(tex.rgba, tex.W, tex.H, 0, tex.W, 0, tex.H));
}

export async function setupDigits(client) {
  const section = document.getElementById('digits');
  const form = document.getElementById('digits-controls');
  const styleForm = document.getElementById('digits-style-controls');
  const readout = document.getElementById('digits-readout');
  const styleReadout = document.getElementById('digits-style-readout');
  const scrubOut = document.getElementById('digits-scrub-readout');
  const weights = new WeightsStatus(document.getElementById('digits-weights'));
  section.hidden = false;

  const scrubFigures = document.getElementById('digits-figures');
  const gridPlot = new Plot(scrubFigures, { axes: false, aspect: 1,
    caption: 'Generated digits: latent diffusion samples a 16-number latent per digit, guided towards the class and colour; the VAE decodes it.' });
  const xtPlot = new Plot(scrubFigures, { axes: false, aspect: 1,
    caption: 'The noisy latent <var>z<sub>t</sub></var> at the chosen step, decoded.' });
  const x0Plot = new Plot(scrubFigures, { axes: false, aspect: 1,
    caption: 'The model\'s guess of the clean latent at that step, <var>ẑ</var><sub>0</sub> = (<var>z<sub>t</sub></var> − σ<sub><var>t</var></sub> ε̂) / α<sub><var>t</var></sub>, decoded.' });
  const stylePlot = new Plot(document.getElementById('digits-style-out'), { axes: false, aspect: 0.1,
    caption: 'Your reference (left, as framed for the model) and every class 0–9 in its style and your colour.' });

  // ---- controls and URL state ----
  const { list } = await client.call('samplers');
  for (const s of list) {
    const o = document.createElement('option');
    o.value = s.name;
    o.textContent = s.name;
    o.title = s.summary;
    form.sampler.append(o);
  }
  form.label.value = String(intParam('digits', 'class', 3, 0, 9));
  const color = getParam('digits', 'color', 'ff8000');
  form.color.value = /^[0-9a-f]{6}$/i.test(color) ? `#${color.toLowerCase()}` : '#ff8000';
  form.gClass.value = numParam('digits', 'gclass', 3, 0, 8);
  form.gColor.value = numParam('digits', 'gcolor', 2, 0, 8);
  form.seed.value = intParam('digits', 'seed', 0, 0, 999999);
  form.sampler.value = choiceParam('digits', 'sampler', 'ddim', list.map((s) => s.name));
  form.steps.value = intParam('digits', 'steps', 50, 1, 200);
  form.n.value = choiceParam('digits', 'n', '16', ['16', '36', '64']);
  const outputs = () => {
    form.gClassOut.value = Number(form.gClass.value).toFixed(1);
    form.gColorOut.value = Number(form.gColor.value).toFixed(1);
  };
  outputs();

  // ---- lazy loading ----
  const parts = {};   // part -> Promise (resolves when loaded in the worker; rejects with a reason)
  let loading = null;
  function load() {
    if (loading) return loading;
    const received = new Map(), totals = new Map();
    const progress = () => {
      const got = [...received.values()].reduce((a, b) => a + b, 0), all = [...totals.values()].reduce((a, b) => a + b, 0);
      weights.progress('the digit models', got, all);
    };
    const fetched = Object.fromEntries(FILES.map((f) => [f.part, fetchBytes(weightsUrl(f.file), (got, total) => {
      received.set(f.part, got);
      totals.set(f.part, total);
      progress();
    })]));
    for (const f of FILES) {
      parts[f.part] = (async () => {
        let bytes;
        try {
          bytes = await fetched[f.part];
          if (f.needs) await parts[f.needs];
        } catch (e) {
          if (!bytes) throw new Error(`The weights of ${f.label} (weights/${f.file}) could not be loaded: ${e.message.replace(/\.$/, '')}.`);
          throw new Error(`${f.label[0].toUpperCase()}${f.label.slice(1)} needs ${FILES.find((g) => g.part === f.needs).label}, which did not load.`);
        }
        try {
          return await client.call('digitsLoad', { part: f.part, bytes }, [bytes]);
        } catch (e) {
          throw new Error(`The weights of ${f.label} (weights/${f.file}) could not be loaded: ${e.message.replace(/\.$/, '')}.`);
        }
      })();
    }
    loading = Promise.allSettled(FILES.map((f) => parts[f.part])).then((results) => {
      results.forEach((r, i) => { if (r.status === 'rejected') weights.fail(FILES[i].part, r.reason.message); });
      const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
      const mb = [...totals.values()].reduce((a, b) => a + b, 0) / 1e6;
      if (ok.length) weights.done(`Digit models loaded (${mb.toFixed(1)} MB): ${ok.map((v) => `${v.part} ${v.params.toLocaleString()} numbers`).join(', ')}.`);
      return results;
    });
    return loading;
  }

  // ---- generation and the scrubber ----
  let run = null;
  const generate = latestOnly(async () => {
    const args = { label: Number(form.label.value), color: form.color.value, gClass: Number(form.gClass.value),
      gColor: Number(form.gColor.value), seed: Number(form.seed.value), sampler: form.sampler.value,
      steps: Number(form.steps.value), n: Number(form.n.value), frames: 26 };
    if (!Number.isInteger(args.seed) || args.seed < 0 || !Number.isInteger(args.steps) || args.steps < 1 || args.steps > 200) {
      readout.textContent = 'Seed must be a whole number ≥ 0 and steps a whole number in 1–200.';
      return;
    }
    setParams('digits', { class: args.label, color: args.color.slice(1), gclass: args.gClass, gcolor: args.gColor,
      seed: args.seed, sampler: args.sampler, steps: args.steps, n: args.n });
    section.dataset.state = 'running';
    try {
      await load();
      await parts.latent;
    } catch {
      section.dataset.state = 'failed';
      readout.textContent = 'Generation needs the digit VAE and latent diffusion weights (see the message above).';
      return;
    }
    try {
      readout.textContent = `Sampling ${args.n} digits with ${args.sampler}, ${args.steps} steps…`;
      run = await client.call('digitsGenerate', args);
      const cols = Math.round(Math.sqrt(run.n));
      showTexture(gridPlot, gridTexture(run.x, run.n, cols));
      form.scrub.max = run.frames.length - 1;
      form.scrub.value = run.frames.length - 1;
      scrub();
      readout.textContent = `${run.n} digits of class ${run.label} in ${run.color}, guidance ${run.gClass} (class) and `
        + `${run.gColor} (colour), ${run.sampler} with ${run.steps} steps: ${run.nfe} network calls (each three passes), `
        + `${Math.round(run.sampleMs)} ms in the worker, including ${run.frames.length} decoded frames of the scrubber.`;
      section.dataset.state = 'done';
    } catch (e) {
      readout.textContent = `Generation failed: ${e.message}`;
      section.dataset.state = 'failed';
    }
  });

  function scrub() {
    if (!run) return;
    const f = Number(form.scrub.value), k = run.frames[f], V = run.n * DIGIT, cols = Math.round(Math.sqrt(run.n));
    showTexture(xtPlot, gridTexture(run.xt, run.n, cols, f * V));
    showTexture(x0Plot, gridTexture(run.x0, run.n, cols, f * V));
    scrubOut.textContent = k === 0 ? 'step 0: the prior draw (pure noise)'
      : k === run.steps ? `step ${k}: the sample` : `after step ${k} of ${run.steps}`;
  }

  // ---- style: a drawing or an example ----
  const pad = document.getElementById('digits-pad'), ctx = pad.getContext('2d');
  let drawn = false, strokes = 0;
  function clearPad() {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, pad.width, pad.height);
    drawn = false;
  }
  clearPad();
  let last = null;
  const at = (e) => {
    const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
  };
  pad.addEventListener('pointerdown', (e) => {
    pad.setPointerCapture(e.pointerId);
    last = at(e);
    ctx.fillStyle = '#fff';
    ctx.beginPath();
    ctx.arc(last[0], last[1], pad.width / 22, 0, 2 * Math.PI);
    ctx.fill();
    drawn = true;
    e.preventDefault();
  });
  pad.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = at(e);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = pad.width / 11;   // a thick round brush: MNIST strokes are ~2-3 px of 28
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    last = p;
    e.preventDefault();
  });
  const end = () => {
    if (!last) return;
    last = null;
    strokes++;
    styleFromDrawing();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  styleForm.clear.addEventListener('click', () => { clearPad(); styleReadout.textContent = 'Draw a digit in the box.'; });

  let styleRef = null;   // { drawing } or { ink, refLabel }
  const style = latestOnly(async () => {
    if (!styleRef) return;
    const box = document.getElementById('digits-style');
    box.dataset.state = 'running';
    try {
      await load();
      await parts.cvae;
      if (styleRef.drawing) await parts.classifier;
    } catch {
      box.dataset.state = 'failed';
      styleReadout.textContent = 'Style needs the conditional VAE (and, for a drawing, the classifier): see the message above.';
      return;
    }
    try {
      const r = await client.call('digitsStyle', { ...styleRef, color: form.color.value });
      const all = new Float32Array(11 * DIGIT);
      for (let p = 0; p < SIDE * SIDE; p++) all.fill(r.ref[p], 3 * p, 3 * p + 3);   // the reference, in white
      all.set(r.x, DIGIT);
      showTexture(stylePlot, gridTexture(all, 11, 11));
      styleReadout.textContent = r.guessed
        ? `The classifier reads your drawing as a ${r.refLabel} (${Math.round(100 * r.confidence)}% sure); the conditional VAE, told that class, encodes what is left — slant, stroke weight, width — and redraws it as every class.`
        : `An example ${r.refLabel} from the test split, encoded with its label and redrawn as every class.`;
      box.dataset.state = 'done';
      box.dataset.refLabel = String(r.refLabel);
      lastStyle = r;
    } catch (e) {
      styleReadout.textContent = `Style failed: ${e.message}`;
      box.dataset.state = 'failed';
    }
  });
  let lastStyle = null;

  function styleFromDrawing() {
    if (!drawn) return;
    const img = ctx.getImageData(0, 0, pad.width, pad.height).data, n = pad.width * pad.height;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = img[4 * i] / 255;
    styleRef = { drawing: { w: pad.width, h: pad.height, data } };
    style();
  }

  // The example references: a few test digits (web/examples/digits.bin, TDMNIST1).
  const strip = document.getElementById('digits-examples');
  (async () => {
    try {
      const bytes = await fetchBytes(new URL('../../examples/digits.bin', import.meta.url).href);
      const ex = await client.call('digitsExamples', { bytes }, [bytes]);
      for (let k = 0; k < ex.n; k++) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'digit-example';
        b.title = `Use this ${ex.labels[k]} (a test digit) as the reference`;
        b.setAttribute('aria-label', b.title);
        const c = document.createElement('canvas');
        c.width = c.height = SIDE;
        const im = c.getContext('2d').createImageData(SIDE, SIDE);
        for (let p = 0; p < SIDE * SIDE; p++) {
          const v = Math.round(255 * ex.ink[k * SIDE * SIDE + p]);
          im.data.set([v, v, v, 255], 4 * p);
        }
        c.getContext('2d').putImageData(im, 0, 0);
        b.append(c);
        b.addEventListener('click', () => {
          styleRef = { ink: Array.from(ex.ink.subarray(k * SIDE * SIDE, (k + 1) * SIDE * SIDE)), refLabel: ex.labels[k] };
          style();
        });
        strip.append(b);
      }
    } catch (e) {
      strip.textContent = `The example digits could not be loaded: ${e.message}`;
    }
  })();

  // ---- wiring ----
  form.addEventListener('input', outputs);
  form.addEventListener('change', (e) => {
    if (e.target === form.scrub) return;
    generate();
    if (e.target === form.color && styleRef) style();
  });
  form.scrub.addEventListener('input', scrub);
  form.addEventListener('submit', (e) => e.preventDefault());
  onNewSeed(form.reseed, form.seed, generate);
  // First use: the section comes near the viewport (or a control is touched).
  const io = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) {
      io.disconnect();
      generate();
    }
  }, { rootMargin: '300px' });
  io.observe(section);

  window.thinkdiffPage = window.thinkdiffPage || {};
  Object.defineProperties(window.thinkdiffPage, {
    digits: { get: () => run, configurable: true },
    digitsStyle: { get: () => lastStyle, configurable: true },
    digitsLoaded: { get: () => loading !== null, configurable: true },
    digitsStrokes: { get: () => strokes, configurable: true },
  });
  section.dataset.state = 'idle';
}
