// forward.js - section "Forward diffusion": the ring noised by VP / sub-VP / VE at time t,
// over the exact marginal density, and the schedules of every kind.
import { latestOnly } from '../client.js';
import { Plot, ramp, themeColor } from '../gl.js';
import { choiceParam, intParam, numParam, setParams } from '../url.js';

const KIND_LABEL = { vp: 'VP', subvp: 'sub-VP', ve: 'VE' };
const KIND_COLOR = { vp: '--accent', subvp: '--accent-3', ve: '--accent-2' };

export function setupForward(client, status) {
  const section = document.getElementById('forward');
  const form = document.getElementById('forward-controls');
  const readout = document.getElementById('forward-readout');
  const figures = document.getElementById('forward-figures');
  section.hidden = false;

  const field = new Plot(figures, { xlabel: 'x₁', ylabel: 'x₂', aspect: 1, equal: true,
    caption: 'Noised samples <var>x<sub>t</sub></var> over the exact log-density log <var>p<sub>t</sub></var> (brighter is likelier; ten nats of range).' });
  const coeffs = new Plot(figures, { xlabel: 't', ylabel: 'value', aspect: 1,
    caption: 'The selected kind: α(<var>t</var>), σ(<var>t</var>) and the SDE coefficients <var>f</var>(<var>t</var>), <var>g</var>(<var>t</var>).' });
  const schedFigures = document.getElementById('schedule-figures');
  const snrPlot = new Plot(schedFigures, { xlabel: 't', ylabel: 'log₁₀ SNR(t)', aspect: 0.7,
    caption: 'Signal-to-noise ratio α<sup>2</sup>/σ<sup>2</sup> of each kind.' });
  const ddpmPlot = new Plot(schedFigures, { xlabel: 'i / N', ylabel: 'ᾱᵢ', aspect: 0.7,
    caption: 'DDPM: ᾱ<sub><var>i</var></sub> of the linear and cosine schedules (<var>N</var> = 1000), and the continuous VP α(<var>t</var>)<sup>2</sup>.' });

  form.kind.value = choiceParam('forward', 'kind', 'vp', Object.keys(KIND_LABEL));
  form.t.value = numParam('forward', 't', 0.2, 0, 1);
  form.seed.value = intParam('forward', 'seed', 1, 0, 999999);
  form.tOut.value = Number(form.t.value).toFixed(2);

  let sched = null;
  let current = null;

  const update = latestOnly(async () => {
    const kind = form.kind.value, t = Number(form.t.value), seed = Number(form.seed.value);
    if (!Number.isInteger(seed) || seed < 0) { status.error('Seed must be a whole number ≥ 0.'); return; }
    setParams('forward', { kind, t, seed });
    try {
      if (!sched) sched = await client.call('schedules', {});
      current = await client.call('forward', { kind, t, seed });
      drawField(current);
      drawSchedules();
      const r = current;
      readout.textContent = `${KIND_LABEL[kind]} at t = ${t.toFixed(3)}: α = ${r.alpha.toFixed(4)}, σ = ${r.sigma.toFixed(4)}, ` +
        `SNR = ${r.snr.toPrecision(3)}, f(t) = ${r.f.toFixed(3)}, g(t) = ${r.g.toFixed(3)} · computed in ${r.ms.toFixed(0)} ms`;
    } catch (e) {
      status.error(`Forward diffusion failed: ${e.message}`);
    }
  });

  function drawField(r) {
    const { res, extent: R } = r;
    let max = -Infinity;
    for (const v of r.logDensity) if (v > max) max = v;
    const rgba = new Uint8Array(res * res * 4);
    for (let i = 0; i < res * res; i++) {
      const [cr, cg, cb] = ramp((r.logDensity[i] - (max - 10)) / 10);
      rgba.set([cr, cg, cb, 255], 4 * i);
    }
    field.setView(-R, R, -R, R);
    field.draw((p) => {
      p.image(rgba, res, res, -R, R, -R, R);
      p.points(r.points, [1, 1, 1, 0.55], 2.5);
    });
  }

  function drawSchedules() {
    const kind = form.kind.value, t = Number(form.t.value);
    const s = sched.kinds[kind];
    const cA = themeColor('--accent'), cS = themeColor('--accent-2'), cF = themeColor('--accent-3'),
      cG = themeColor('--accent-4'), mark = themeColor('--muted', 0.8);
    const all = [...s.alpha, ...s.sigma, ...s.f, ...s.g].filter(Number.isFinite);
    const lo = Math.min(...all), hi = Math.max(...all), pad = (hi - lo) * 0.05;
    coeffs.setView(0, 1, lo - pad, hi + pad);
    coeffs.draw((p) => {
      p.line([0, 1], [0, 0], themeColor('--muted', 0.5), 1);
      p.line(sched.t, s.f, cF, 2);
      p.line(sched.t, s.g, cG, 2);
      p.line(sched.t, s.sigma, cS, 2.5);
      p.line(sched.t, s.alpha, cA, 2.5);
      p.vline(t, mark);
    }, [{ label: 'α(t)', color: cA }, { label: 'σ(t)', color: cS }, { label: 'f(t)', color: cF }, { label: 'g(t)', color: cG }]);

    const logSnr = {};
    for (const k of Object.keys(KIND_LABEL)) logSnr[k] = sched.kinds[k].snr.map((v) => Math.log10(v));
    snrPlot.setView(0, 1, -4.5, 4.5);
    snrPlot.draw((p) => {
      for (const k of Object.keys(KIND_LABEL))
        p.line(sched.t, logSnr[k], themeColor(KIND_COLOR[k]), k === kind ? 3 : 1.5);
      p.vline(t, mark);
    }, Object.keys(KIND_LABEL).map((k) => ({ label: KIND_LABEL[k], color: themeColor(KIND_COLOR[k]) })));

    const lin = sched.kinds['ddpm-linear'].alphaBar, cos = sched.kinds['ddpm-cosine'].alphaBar;
    const idx = (a) => Float32Array.from(a, (_, i) => i / (a.length - 1));
    const vpA2 = sched.kinds.vp.alpha.map((a) => a * a);
    const cLin = themeColor('--accent'), cCos = themeColor('--accent-2'), cVp = themeColor('--ink', 0.6);
    ddpmPlot.setView(0, 1, 0, 1.05);
    ddpmPlot.draw((p) => {
      p.line(idx(lin), lin, cLin, 4);
      p.line(idx(cos), cos, cCos, 2.5);
      p.line(sched.t, vpA2, cVp, 1.5);
    }, [{ label: 'linear β 1e-4 → 0.02', color: cLin }, { label: 'cosine', color: cCos }, { label: 'VP α(t)²', color: cVp }]);
  }

  form.addEventListener('input', (e) => {
    if (e.target === form.t) form.tOut.value = Number(form.t.value).toFixed(2);
    update();
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  update();
}
