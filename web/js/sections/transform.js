// transform.js - section "Sampling is a transformation": u ~ U(0,1) -> x = Phi^-1(u).
import { latestOnly } from '../client.js';
import { Plot, themeColor } from '../gl.js';
import { choiceParam, intParam, onNewSeed, setParams } from '../url.js';

export function setupTransform(client, status) {
  const form = document.getElementById('transform-controls');
  const figures = document.getElementById('transform-figures');
  const readout = document.getElementById('transform-readout');
  const uPlot = new Plot(figures, { xlabel: 'u', ylabel: 'density', aspect: 0.8,
    caption: 'Histogram of <var>u</var> ~ U[0, 1].' });
  const curvePlot = new Plot(figures, { xlabel: 'u', ylabel: 'x = Φ⁻¹(u)', aspect: 0.8,
    caption: 'The transformation Φ<sup>−1</sup>, with the first ten draws carried across.' });
  const xPlot = new Plot(figures, { xlabel: 'x', ylabel: 'density', aspect: 0.8,
    caption: 'Histogram of <var>x</var> = Φ<sup>−1</sup>(<var>u</var>), and the 𝒩(0, 1) density.' });

  form.seed.value = intParam('transform', 'seed', 1, 0, 999999);
  form.n.value = choiceParam('transform', 'n', '10000', ['1000', '10000', '100000', '1000000']);
  form.bins.value = intParam('transform', 'bins', 50, 10, 120);
  form.binsOut.value = form.bins.value;

  const update = latestOnly(async () => {
    const seed = Number(form.seed.value), n = Number(form.n.value), bins = Number(form.bins.value);
    if (!Number.isInteger(seed) || seed < 0) { status.error('Seed must be a whole number ≥ 0.'); return; }
    setParams('transform', { seed, n, bins });
    try {
      const r = await client.call('transform', { seed, n, bins });
      draw(r);
      readout.textContent = `${r.n.toLocaleString()} draws in ${r.ms.toFixed(1)} ms · ` +
        `sample mean ${r.mean.toFixed(4)}, std ${r.std.toFixed(4)} (exact: 0, 1)`;
    } catch (e) {
      status.error(`Sampling failed: ${e.message}`);
    }
  });

  function draw(r) {
    const bar = themeColor('--accent', 0.85), line = themeColor('--accent-2');
    const uMax = Math.max(1.6, ...r.uHist) * 1.05;
    uPlot.setView(0, 1, 0, uMax);
    uPlot.draw((p) => {
      p.bars(0, 1, r.uHist, bar);
      p.line([0, 1], [1, 1], line, 2);
    }, [{ label: 'draws', color: bar }, { label: 'U[0,1] density', color: line }]);

    curvePlot.setView(0, 1, -r.range, r.range);
    curvePlot.draw((p) => {
      const guide = themeColor('--muted', 0.55);
      for (let i = 0; i < r.exampleU.length; i++) {
        const u = r.exampleU[i], x = r.exampleX[i];
        if (Math.abs(x) > r.range) continue;
        p.line([u, u, 0], [-r.range, x, x], guide, 1);
      }
      p.line(r.curveU, r.curveX, line, 2.5);
      p.points(interleave(r.exampleU, r.exampleX), bar, 7);
    }, [{ label: 'Φ⁻¹(u)', color: line }]);

    const xMax = Math.max(0.45, ...r.xHist) * 1.2;  // room for the legend
    xPlot.setView(-r.range, r.range, 0, xMax);
    xPlot.draw((p) => {
      p.bars(-r.range, r.range, r.xHist, bar);
      p.line(r.pdfX, r.pdfY, line, 2);
    }, [{ label: 'draws', color: bar }, { label: '𝒩(0,1) density', color: line }]);
  }

  form.addEventListener('input', (e) => {
    if (e.target === form.bins) form.binsOut.value = form.bins.value;
    update();
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  onNewSeed(form.reseed, form.seed, update);
  update();
}

function interleave(xs, ys) {
  const out = new Float32Array(xs.length * 2);
  for (let i = 0; i < xs.length; i++) { out[2 * i] = xs[i]; out[2 * i + 1] = ys[i]; }
  return out;
}
