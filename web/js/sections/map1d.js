// map1d.js - section 1, second half: a learned monotone map carries N(0, 1) onto a bimodal
// target, beside the exact map F^-1(Phi(x)); histograms of the samples each one pushes.
import { latestOnly } from '../client.js';
import { Plot, themeColor } from '../gl.js';
import { choiceParam, intParam, onNewSeed, setParams } from '../url.js';
import { WeightsStatus, loadModel } from '../weights.js';

export function setupMap1d(client) {
  const section = document.getElementById('map1d');
  const form = document.getElementById('map1d-controls');
  const figures = document.getElementById('map1d-figures');
  const readout = document.getElementById('map1d-readout');
  const weights = new WeightsStatus(document.getElementById('map1d-weights'));

  const curvePlot = new Plot(figures, { xlabel: 'x ~ 𝒩(0, 1)', ylabel: 'y', aspect: 0.8,
    caption: 'The learned map <var>f</var>(<var>x</var>) and the exact <var>T</var>(<var>x</var>) = <var>F</var><sup>−1</sup>(Φ(<var>x</var>)); grey lines mark the modes at ±2.' });
  const histPlot = new Plot(figures, { xlabel: 'y', ylabel: 'density', aspect: 0.8,
    caption: 'Samples pushed through each map, and the target density 0.5 𝒩(−2, 0.5²) + 0.5 𝒩(2, 0.5²).' });

  form.seed.value = intParam('map1d', 'seed', 1, 0, 999999);
  form.n.value = choiceParam('map1d', 'n', '20000', ['2000', '20000', '200000']);
  form.bins.value = intParam('map1d', 'bins', 60, 20, 160);
  form.binsOut.value = form.bins.value;

  const update = latestOnly(async () => {
    const seed = Number(form.seed.value), n = Number(form.n.value), bins = Number(form.bins.value);
    if (!Number.isInteger(seed) || seed < 0) { readout.textContent = 'Seed must be a whole number ≥ 0.'; return; }
    setParams('map1d', { seed, n, bins });
    try {
      await loadModel(client, 'map1d', weights);
      const r = await client.call('map1d', { seed, n, bins });
      weights.done(`Weights: ${r.units} tanh units (${3 * r.units + 1} numbers), trained from samples only.`);
      draw(r);
      readout.textContent = `${r.n.toLocaleString()} draws in ${r.ms.toFixed(1)} ms · |f − T| on [−${r.range}, ${r.range}]: ` +
        `mean ${r.meanErr.toFixed(3)}, max ${r.maxErr.toFixed(3)} · W₁ between the pushed sample sets ${r.w1.toFixed(3)}`;
      section.dataset.state = 'done';
    } catch (e) {
      weights.fail('map1d', e.message);
      readout.textContent = '';
      section.dataset.state = 'failed';
    }
  });

  function draw(r) {
    const learned = themeColor('--accent'), exact = themeColor('--accent-2'), guide = themeColor('--muted', 0.5);
    const yMax = r.range + 1;
    curvePlot.setView(-r.range, r.range, -yMax, yMax);
    curvePlot.draw((p) => {
      for (const m of [-2, 2]) p.line([-r.range, r.range], [m, m], guide, 1);  // the target's modes
      p.line(r.curves.x, r.curves.exact, exact, 2.5);
      p.line(r.curves.x, r.curves.learned, learned, 2);
    }, [{ label: 'learned f(x)', color: learned }, { label: 'exact F⁻¹(Φ(x))', color: exact }]);
    const hMax = Math.max(0.5, ...r.learnedHist, ...r.exactHist) * 1.25;
    histPlot.setView(r.yLo, r.yHi, 0, hMax);
    histPlot.draw((p) => {
      p.bars(r.yLo, r.yHi, r.exactHist, themeColor('--accent-2', 0.45));
      p.bars(r.yLo, r.yHi, r.learnedHist, themeColor('--accent', 0.55));
      p.line(r.y, r.pdf, themeColor('--ink', 0.85), 2);
    }, [{ label: 'pushed by f', color: themeColor('--accent', 0.7) },
      { label: 'pushed by T', color: themeColor('--accent-2', 0.6) },
      { label: 'target density', color: themeColor('--ink') }]);
  }

  form.addEventListener('input', (e) => {
    if (e.target === form.bins) form.binsOut.value = form.bins.value;
    update();
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  onNewSeed(form.reseed, form.seed, update);
  update();
}
