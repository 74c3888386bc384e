// url.js - each section's settings live in the query string (?s1.seed=3&s3.kind=ve...),
// so a link reproduces what its author saw. Values are validated by the section.
const params = new URLSearchParams(location.search);

export function getParam(section, key, fallback) {
  const v = params.get(`${section}.${key}`);
  return v === null ? fallback : v;
}

export function setParams(section, values) {
  for (const [key, value] of Object.entries(values)) params.set(`${section}.${key}`, String(value));
  const query = params.toString();
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
}

// An integer from the URL within [lo, hi], else the fallback.
export function intParam(section, key, fallback, lo, hi) {
  const v = Number(getParam(section, key, fallback));
  return Number.isInteger(v) && v >= lo && v <= hi ? v : fallback;
}

export function numParam(section, key, fallback, lo, hi) {
  const v = Number(getParam(section, key, fallback));
  return Number.isFinite(v) && v >= lo && v <= hi ? v : fallback;
}

export function choiceParam(section, key, fallback, choices) {
  const v = getParam(section, key, fallback);
  return choices.includes(v) ? v : fallback;
}

// A "New seed" button: the seed input steps to the next value of its own range (wrapping
// past its max to 0), then `then()` runs the section again with it.
export function onNewSeed(button, seed, then) {
  button.addEventListener('click', () => {
    seed.value = (Number(seed.value) + 1) % (Number(seed.max) + 1);
    then();
  });
}
