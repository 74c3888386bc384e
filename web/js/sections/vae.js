// vae.js - section 2, "VAE and hierarchical VAE": prior samples decoded by each model,
// the data's encodings in latent space coloured by mode, the ELBO's terms and the
// ring metrics that show how a VAE blurs the modes.
import { latestOnly } from '../client.js';
import { Plot, hueColor, themeColor } from '../gl.js';
import { choiceParam, intParam, onNewSeed, setParams } from '../url.js';
import { WeightsStatus, loadModel } from '../weights.js';

const MODELS = [
  { name: 'vae', label: 'VAE', latent: 'z' },
  { name: 'hvae', label: 'Hierarchical VAE', latent: 'z₁' },
];

function modeColor(k, alpha) { return hueColor(k * Math.PI / 4, alpha); }

export function setupVae(client) {
  const section = document.getElementById('vae');
  const form = document.getElementById('vae-controls');
  const sampleFigures = document.getElementById('vae-samples');
  const latentFigures = document.getElementById('vae-latents');
  const table = document.getElementById('vae-terms');
  const weights = new WeightsStatus(document.getElementById('vae-weights'));
  section.hidden = false;

  const plots = {};
  for (const m of MODELS) {
    plots[m.name] = {
      samples: new Plot(sampleFigures, { xlabel: 'x₁', ylabel: 'x₂', aspect: 1, equal: true,
        caption: `${m.label}: prior draws pushed through the decoder (coloured by angle), over the data (grey).` }),
    };
  }
  for (const m of MODELS) {
    plots[m.name].latent = new Plot(latentFigures, { xlabel: `${m.latent}[0]`, ylabel: `${m.latent}[1]`, aspect: 1, equal: true,
      caption: `${m.label}: the encoder's means of the data, coloured by mode, over draws from the prior of ${m.latent} (grey).` });
  }

  form.seed.value = intParam('vae', 'seed', 1, 0, 999999);
  form.n.value = choiceParam('vae', 'n', '4000', ['1000', '4000', '10000']);
  form.noise.checked = choiceParam('vae', 'noise', '0', ['0', '1']) === '1';

  let loadedNames = [];
  const load = (async () => {
    const results = await Promise.allSettled(MODELS.map((m) => loadModel(client, m.name, weights)));
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') loadedNames.push(MODELS[i].name);
      else weights.fail(MODELS[i].name, r.reason.message);
    });
    if (loadedNames.length)
      weights.done(`Weights: ${results.filter((r) => r.status === 'fulfilled').map((r) => `${r.value.name} ${r.value.info.params.toLocaleString()} numbers`).join(', ')}.`);
  })();

  const update = latestOnly(async () => {
    const seed = Number(form.seed.value), n = Number(form.n.value), noise = form.noise.checked;
    if (!Number.isInteger(seed) || seed < 0) return;
    setParams('vae', { seed, n, noise: noise ? 1 : 0 });
    await load;
    if (!loadedNames.length) { section.dataset.state = 'failed'; return; }
    try {
      const r = await client.call('vae', { names: loadedNames, seed, n, noise });
      draw(r);
      section.dataset.state = loadedNames.length === MODELS.length ? 'done' : 'partial';
    } catch (e) {
      weights.fail('run', `The VAE section failed: ${e.message}`);
      section.dataset.state = 'failed';
    }
  });

  function draw(r) {
    const grey = themeColor('--muted', 0.25);
    for (const m of MODELS) {
      const res = r.models[m.name], { samples, latent } = plots[m.name];
      if (!res) {   // its weights failed to load: an empty frame that says so
        for (const p of [samples, latent]) {
          p.setView(-3, 3, -3, 3);
          p.draw(() => {}, [{ label: `${m.label}: weights not loaded`, color: themeColor('--error') }]);
        }
        continue;
      }
      const colors = new Float32Array(r.n * 4);
      for (let i = 0; i < r.n; i++) colors.set(hueColor(Math.atan2(res.x[2 * i + 1], res.x[2 * i]), 0.55), 4 * i);
      samples.setView(-3, 3, -3, 3);
      samples.draw((p) => {
        p.points(r.data, grey, 3);
        p.points(res.x, colors, 2.5);
      });
      const byMode = new Float32Array(r.n * 4);
      for (let i = 0; i < r.n; i++) byMode.set(modeColor(r.mode[i], 0.7), 4 * i);
      // The HVAE's z1 is not tied to N(0, I): frame what is there (99% of both point sets).
      const a = [...res.mu, ...res.z].map(Math.abs).sort((u, v) => u - v);
      const L = Math.max(3.2, 1.08 * a[Math.floor(0.99 * (a.length - 1))]);
      latent.setView(-L, L, -L, L);
      latent.draw((p) => {
        p.points(res.z, grey, 2.5);
        p.points(res.mu, byMode, 3);
      });
    }
    drawTable(r);
  }

  function drawTable(r) {
    const cols = MODELS.map((m) => r.models[m.name]);
    const f = (v, d = 3) => (v === undefined || v === null ? '—' : v.toFixed(d));
    const rows = [
      ['Reconstruction E<sub>q</sub>[log <var>p</var>(<var>x</var> | <var>z</var>)]', (c) => f(c.terms.rec)],
      ['KL, level 1', (c) => f(c.terms.kl1)],
      ['KL, level 2 (top)', (c) => (c.family === 'hvae' ? f(c.terms.kl2) : 'n/a')],
      ['<strong>ELBO</strong> (nats per point; higher is better)', (c) => `<strong>${f(c.terms.elbo)}</strong>`],
      ['Decoder noise σ<sub><var>x</var></sub>', (c) => f(c.terms.sigmaX, 4)],
      ['Modes covered', (c) => `${c.metrics.modesCovered} / ${c.metrics.modes}`],
      ['High-quality samples (within 3σ of a mode)', (c) => `${(100 * c.metrics.hqFraction).toFixed(1)}%`],
      ['Sliced W₂ to the data (floor)', (c) => `${f(c.metrics.sw2)} (${f(c.metrics.sw2Floor)})`],
    ];
    const head = `<tr><th></th>${MODELS.map((m) => `<th scope="col">${m.label}</th>`).join('')}</tr>`;
    const body = rows.map(([label, fn]) => `<tr><th scope="row">${label}</th>${cols.map((c) => `<td>${c ? fn(c) : 'not loaded'}</td>`).join('')}</tr>`).join('');
    table.innerHTML = `<caption>The ELBO's terms on ${r.n.toLocaleString()} data points (one posterior draw each), and the decoded prior samples measured against the ring${r.noise ? ' (with decoder noise)' : ' (decoder means)'}.</caption><thead>${head}</thead><tbody>${body}</tbody>`;
  }

  form.addEventListener('change', () => update());
  form.addEventListener('submit', (e) => e.preventDefault());
  onNewSeed(form.reseed, form.seed, update);
  update();
}
