// hardening.test.mjs - the page against bad input and for its own safety, in Debian's
// Chromium: every request stays on the page's origin; the CSP meta tag forbids eval and
// inline script (and the CSP detector is shown to fire); bad numbers typed into the
// reverse-diffusion controls give a visible message while the section keeps the
// samples and state it had; the page's worker answers requests over its caps with a
// message and keeps working.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { openPage, routeStandInWeights, start } from './harness.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { if (env) await env.close(); });

async function newContext() {
  const context = await env.browser.newContext({ reducedMotion: 'reduce', viewport: { width: 1100, height: 900 }, serviceWorkers: 'block' });
  await routeStandInWeights(context);
  return context;
}

const waitState = (page, id, states = ['done'], timeout = 60000) => page.waitForFunction(
  ([sel, ok]) => ok.includes(document.getElementById(sel).dataset.state), [id, states], { timeout });

test('the page loads nothing from another origin and its CSP forbids eval and inline script', async () => {
  const context = await newContext();
  const urls = [];
  context.on('request', (r) => urls.push(r.url()));
  try {
    const { page, problems } = await openPage(context, env.base);
    for (const id of ['vae', 'reverse']) await waitState(page, id, ['done', 'partial']);
    const origin = new URL(env.base).origin;
    const foreign = urls.filter((u) => !u.startsWith(`${origin}/`) && !/^(data|blob):/.test(u));
    assert.deepEqual(foreign, [], 'requests to other origins');
    assert.ok(urls.some((u) => u.endsWith('.wasm')) && urls.some((u) => u.endsWith('.safetensors')),
      'the request log saw the module and the weights');

    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    assert.deepEqual(directives['script-src'], ["'self'", "'wasm-unsafe-eval'"]);
    assert.deepEqual(directives['default-src'], ["'self'"]);
    assert.deepEqual(directives['object-src'], ["'none'"]);
    const inline = await page.evaluate(() => ({
      scripts: document.querySelectorAll('script:not([src])').length,
      handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => /^on/i.test(a.name))).length,
    }));
    assert.deepEqual(inline, { scripts: 0, handlers: 0 });
    assert.deepEqual(problems.csp, [], 'CSP violations while loading');

    // The detector fires: string code (setTimeout's eval) and an injected inline script
    // are blocked and reported. (page.evaluate itself runs outside the page's CSP, so the
    // code to block is handed to the page to run later.)
    await page.evaluate(() => {
      setTimeout('window.__evalRan = true', 0);
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true;';
      document.body.append(s);
    });
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate(() => [window.__evalRan === true, window.__inlineRan === true]),
      [false, false], 'string code or an inline script ran');
    assert.ok(problems.csp.filter((v) => /script-src/.test(v)).length >= 2,
      `violations seen: ${JSON.stringify(problems.csp)}`);
  } finally {
    await context.close();
  }
});

test('bad steps and seeds in the reverse section show a message and keep the previous samples', async () => {
  const context = await newContext();
  try {
    const { page, problems } = await openPage(context, `${env.base}?reverse.model=exact&reverse.steps=20&reverse.n=1024`);
    await waitState(page, 'reverse');
    const before = await page.evaluate(() => {
      const r = window.thinkdiffPage.reverse;
      return { steps: r.steps, first: [r.x[0], r.x[1]], search: location.search };
    });
    assert.equal(before.steps, 20);
    const setField = (name, value) => page.evaluate(([n, v]) => {
      const input = document.querySelector(`#reverse-controls [name=${n}]`);
      input.value = v;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, [name, value]);
    const cases = [['steps', '0', /Steps must be a whole number from 1 to 1000/],
                   ['steps', '-5', /Steps must be a whole number from 1 to 1000/],
                   ['steps', '1000000000', /Steps must be a whole number from 1 to 1000/],
                   ['steps', '2.5', /Steps must be a whole number from 1 to 1000/],
                   ['seed', '-1', /Seed must be a whole number/]];
    for (const [field, value, message] of cases) {
      await setField(field, value);
      await page.waitForFunction(() => /must be a whole number/.test(document.getElementById('reverse-metrics').textContent));
      assert.match(await page.textContent('#reverse-metrics'), message, `${field} = ${value}`);
      assert.ok(await page.isVisible('#reverse-metrics'));
      const now = await page.evaluate(() => {
        const r = window.thinkdiffPage.reverse;
        return { steps: r.steps, first: [r.x[0], r.x[1]], search: location.search,
          state: document.getElementById('reverse').dataset.state };
      });
      assert.deepEqual(now, { ...before, state: 'done' }, `${field} = ${value} changed the section`);
      // Put the good value back (no message afterwards means the section runs again).
      await setField(field, field === 'steps' ? '20' : '1');
      await waitState(page, 'reverse');
      await page.waitForFunction(() => !/must be a whole number/.test(document.getElementById('reverse-metrics').textContent));
    }
    assert.deepEqual(problems, { console: [], errors: [], csp: [] });
  } finally {
    await context.close();
  }
});

test('the worker refuses requests over its caps with a message and keeps working', async () => {
  const context = await newContext();
  try {
    const { page, problems } = await openPage(context, env.base);
    const out = await page.evaluate(async () => {
      const { WorkerClient } = await import('./js/client.js');
      const c = new WorkerClient(new URL('./js/worker.js', document.baseURI));
      const tryCall = async (args) => {
        try { await c.call('sampleModel', args); return 'ran'; } catch (e) { return e.message; }
      };
      const r = {
        n: await tryCall({ n: 1e9, frames: 0, metrics: false }),
        steps: await tryCall({ steps: 100000, frames: 0, metrics: false }),
        zero: await tryCall({ steps: 0, frames: 0, metrics: false }),
        sampler: await tryCall({ sampler: 'bogus', steps: 5, n: 8, frames: 0, metrics: false }),
      };
      r.after = (await c.call('sampleModel', { steps: 5, n: 64, frames: 0, metrics: false })).x.length;
      c.worker.terminate();
      return r;
    });
    assert.match(out.n, /particles must be an integer in \[1, 20000\], got 1000000000/);
    assert.match(out.steps, /steps must be an integer in \[1, 1000\], got 100000/);
    assert.match(out.zero, /steps must be an integer in \[1, 1000\], got 0/);
    assert.match(out.sampler, /bogus/);
    assert.equal(out.after, 128, 'the worker samples again after the refusals');
    assert.deepEqual(problems, { console: [], errors: [], csp: [] });
  } finally {
    await context.close();
  }
});
