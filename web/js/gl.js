// gl.js - small WebGL2 plots: bars, thick lines, points and heatmaps in data
// coordinates, with axes, ticks and labels drawn on a 2-D canvas laid over them.
//
// A Plot owns one <figure>: a canvas for the data (the inner plot area) and a 2-D
// canvas for axes and text. Callers set a view and a draw function; the plot redraws
// itself on resize and theme change. Colours come from CSS custom properties so the
// plots follow the page's light or dark palette.
//
// Every plot draws with ONE shared WebGL2 context (browsers keep only about 16 live
// contexts per page, and the page has more plots than that): a plot renders into the
// corner of the shared, off-screen canvas and copies the result to its own canvas.

const MARGIN = { left: 52, right: 12, top: 12, bottom: 40 };  // CSS pixels

// ---- shaders ---------------------------------------------------------------------------------

// Geometry arrives in data coordinates; `view` = (x0, y0, x1, y1) maps it to clip space.
const VS_GEOM = `#version 300 es
in vec2 pos;
in vec4 color;
uniform vec4 view;
uniform float pointSize;
out vec4 vColor;
void main() {
  vec2 p = (pos - view.xy) / (view.zw - view.xy) * 2.0 - 1.0;
  gl_Position = vec4(p, 0.0, 1.0);
  gl_PointSize = pointSize;
  vColor = color;
}`;
const FS_FLAT = `#version 300 es
precision mediump float;
in vec4 vColor;
out vec4 outColor;
void main() { outColor = vec4(vColor.rgb * vColor.a, vColor.a); }`;
// Round, softly edged points (premultiplied alpha).
const FS_POINT = `#version 300 es
precision mediump float;
in vec4 vColor;
out vec4 outColor;
void main() {
  float r = length(gl_PointCoord - 0.5) * 2.0;
  float a = vColor.a * clamp((1.0 - r) * 3.0, 0.0, 1.0);
  outColor = vec4(vColor.rgb * a, a);
}`;
const VS_IMAGE = `#version 300 es
in vec2 pos;
uniform vec4 view;
uniform vec4 extent;
out vec2 uv;
void main() {
  vec2 d = mix(extent.xy, extent.zw, pos);
  uv = pos;
  gl_Position = vec4((d - view.xy) / (view.zw - view.xy) * 2.0 - 1.0, 0.0, 1.0);
}`;
const FS_IMAGE = `#version 300 es
precision mediump float;
in vec2 uv;
uniform sampler2D image;
out vec4 outColor;
void main() { outColor = texture(image, uv); }`;

function compile(gl, vsSource, fsSource) {
  const program = gl.createProgram();
  for (const [type, source] of [[gl.VERTEX_SHADER, vsSource], [gl.FRAGMENT_SHADER, fsSource]]) {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS))
      throw new Error(`shader did not compile: ${gl.getShaderInfoLog(shader)}`);
    gl.attachShader(program, shader);
  }
  gl.bindAttribLocation(program, 0, 'pos');
  gl.bindAttribLocation(program, 1, 'color');
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS))
    throw new Error(`shader did not link: ${gl.getProgramInfoLog(program)}`);
  return program;
}

// ---- colours ---------------------------------------------------------------------------------

// '#rrggbb' or 'rgb(r, g, b)' -> [r, g, b, a] in 0..1
export function parseColor(css, alpha = 1) {
  const s = css.trim();
  if (s.startsWith('#')) {
    const n = parseInt(s.length === 4 ? s.slice(1).replace(/./g, '$&$&') : s.slice(1, 7), 16);
    return [(n >> 16 & 255) / 255, (n >> 8 & 255) / 255, (n & 255) / 255, alpha];
  }
  const m = s.match(/[\d.]+/g) || [0, 0, 0];
  return [m[0] / 255, m[1] / 255, m[2] / 255, alpha];
}

export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export function themeColor(name, alpha = 1) { return parseColor(cssVar(name) || '#888', alpha); }

// A perceptually ordered ramp for densities (viridis-like), t in [0, 1] -> [r, g, b] bytes.
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
export function ramp(t) {
  const x = Math.min(Math.max(t, 0), 1) * (RAMP.length - 1);
  const i = Math.min(Math.floor(x), RAMP.length - 2), f = x - i;
  return RAMP[i].map((c, k) => Math.round(c + (RAMP[i + 1][k] - c) * f));
}

// Hue for an angle (particles are coloured by where they end on the ring).
export function hueColor(angle, alpha = 1) {
  const h = ((angle / (2 * Math.PI)) % 1 + 1) % 1 * 6;
  const c = 0.75, x = c * (1 - Math.abs(h % 2 - 1)), m = 0.2;
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x]
    : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  return [r + m, g + m, b + m, alpha];
}

// ---- ticks -----------------------------------------------------------------------------------

// About `count` round tick values (1, 2, 5 x 10^k steps) covering [lo, hi].
export function niceTicks(lo, hi, count = 5) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

function formatTick(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-3)) return v.toExponential(0);
  return String(+v.toPrecision(4));
}

// ---- the shared context ------------------------------------------------------------------------

let shared;   // undefined: not tried yet; null: WebGL2 unavailable

function sharedGl() {
  if (shared !== undefined) return shared;
  const canvas = document.createElement('canvas');
  canvas.width = 1;
  canvas.height = 1;
  // preserveDrawingBuffer: the frame stays readable until the next plot clears it.
  const gl = canvas.getContext('webgl2', { antialias: true, premultipliedAlpha: true, preserveDrawingBuffer: true });
  if (!gl) return (shared = null);
  const quad = gl.createBuffer();
  gl.bindBuffer(gl.ARRAY_BUFFER, quad);
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
  shared = {
    gl,
    programs: { flat: compile(gl, VS_GEOM, FS_FLAT), point: compile(gl, VS_GEOM, FS_POINT), image: compile(gl, VS_IMAGE, FS_IMAGE) },
    vao: gl.createVertexArray(), posBuffer: gl.createBuffer(), colorBuffer: gl.createBuffer(), quad,
    texture: gl.createTexture(),
  };
  return shared;
}

// ---- the plot --------------------------------------------------------------------------------

export class Plot {
  // opts: { title, xlabel, ylabel, aspect (height / width), equal (same scale on x and y) }
  constructor(parent, opts = {}) {
    this.opts = { aspect: 0.75, ...opts };
    this.figure = document.createElement('figure');
    this.figure.className = 'plot';
    this.stage = document.createElement('div');
    this.stage.className = 'plot-stage';
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'plot-gl';
    this.overlay = document.createElement('canvas');
    this.overlay.className = 'plot-axes';
    this.stage.append(this.canvas, this.overlay);
    this.figure.append(this.stage);
    if (opts.caption) {
      const cap = document.createElement('figcaption');
      cap.innerHTML = opts.caption;
      this.figure.append(cap);
    }
    parent.append(this.figure);
    this.ctx2d = this.canvas.getContext('2d');
    const shared = sharedGl();
    if (!shared) throw new Error('WebGL2 is not available in this browser');
    Object.assign(this, shared);   // gl, programs, vao, posBuffer, colorBuffer, quad, texture
    // opts.axes === false: a bare image (no ticks, labels or margins), e.g. a grid of digits.
    this.margin = opts.axes === false ? { left: 0, right: 0, top: 0, bottom: 0 } : MARGIN;
    this.view = [0, 0, 1, 1];
    this.legend = [];
    this.drawFn = null;
    new ResizeObserver(() => this.render()).observe(this.stage);
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.render());
  }

  setView(x0, x1, y0, y1) { this.view = [x0, y0, x1, y1]; }

  // fn(plot) issues the draw calls; it is kept and re-run on resize.
  draw(fn, legend = []) {
    this.drawFn = fn;
    this.legend = legend;
    this.render();
  }

  render() {
    const { gl, canvas, overlay, stage } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = stage.clientWidth;
    if (w === 0) return;
    let h = Math.round(w * this.opts.aspect);
    stage.style.height = `${h}px`;
    const M = this.margin, iw = w - M.left - M.right, ih = h - M.top - M.bottom;
    if (this.opts.equal) this.equalizeView(iw, ih);
    canvas.style.left = `${M.left}px`;
    canvas.style.top = `${M.top}px`;
    canvas.style.width = `${iw}px`;
    canvas.style.height = `${ih}px`;
    canvas.width = Math.round(iw * dpr);
    canvas.height = Math.round(ih * dpr);
    overlay.width = Math.round(w * dpr);
    overlay.height = Math.round(h * dpr);
    overlay.style.width = `${w}px`;
    overlay.style.height = `${h}px`;
    this.dpr = dpr;
    // Render in the bottom-left corner of the shared canvas (grown, never shrunk), then copy.
    const glCanvas = gl.canvas;
    if (glCanvas.width < canvas.width || glCanvas.height < canvas.height) {
      glCanvas.width = Math.max(glCanvas.width, canvas.width);
      glCanvas.height = Math.max(glCanvas.height, canvas.height);
    }
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.enable(gl.SCISSOR_TEST);
    gl.scissor(0, 0, canvas.width, canvas.height);
    const bg = themeColor('--plot-bg');
    gl.clearColor(bg[0], bg[1], bg[2], 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    this.drawAxes(w, h, iw, ih);
    if (this.drawFn) this.drawFn(this);
    this.ctx2d.drawImage(glCanvas, 0, glCanvas.height - canvas.height, canvas.width, canvas.height,
      0, 0, canvas.width, canvas.height);
  }

  // Widen the view so one data unit is as long on x as on y (circles stay round).
  equalizeView(iw, ih) {
    const [x0, y0, x1, y1] = this.view;
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    const scale = Math.max((x1 - x0) / iw, (y1 - y0) / ih);
    this.view = [cx - scale * iw / 2, cy - scale * ih / 2, cx + scale * iw / 2, cy + scale * ih / 2];
  }

  // ---- primitives (data coordinates) -----------------------------------------------------

  geometry(program, positions, colors, mode, count, pointSize = 1) {
    const { gl } = this;
    gl.useProgram(program);
    gl.bindVertexArray(this.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.posBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, positions, gl.STREAM_DRAW);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
    if (colors.length === 4) {  // one colour for all
      gl.disableVertexAttribArray(1);
      gl.vertexAttrib4f(1, colors[0], colors[1], colors[2], colors[3]);
    } else {
      gl.bindBuffer(gl.ARRAY_BUFFER, this.colorBuffer);
      gl.bufferData(gl.ARRAY_BUFFER, colors, gl.STREAM_DRAW);
      gl.enableVertexAttribArray(1);
      gl.vertexAttribPointer(1, 4, gl.FLOAT, false, 0, 0);
    }
    gl.uniform4fv(gl.getUniformLocation(program, 'view'), this.view);
    gl.uniform1f(gl.getUniformLocation(program, 'pointSize'), pointSize * this.dpr);
    gl.drawArrays(mode, 0, count);
  }

  // Histogram bars: heights[i] over [lo + i w, lo + (i + 1) w].
  bars(lo, hi, heights, color) {
    const n = heights.length, w = (hi - lo) / n, pad = w * 0.08;
    const v = new Float32Array(n * 12);
    for (let i = 0; i < n; i++) {
      const a = lo + i * w + pad, b = lo + (i + 1) * w - pad, y = heights[i];
      v.set([a, 0, b, 0, a, y, a, y, b, 0, b, y], i * 12);
    }
    this.geometry(this.programs.flat, v, color, this.gl.TRIANGLES, n * 6);
  }

  // A polyline of constant on-screen width (CSS px), drawn as triangles.
  line(xs, ys, color, width = 2) {
    const n = xs.length;
    if (n < 2) return;
    const [x0, y0, x1, y1] = this.view;
    const sx = this.canvas.width / this.dpr / (x1 - x0), sy = this.canvas.height / this.dpr / (y1 - y0);
    const v = [];
    for (let i = 0; i + 1 < n; i++) {
      const ax = xs[i], ay = ys[i], bx = xs[i + 1], by = ys[i + 1];
      if (![ax, ay, bx, by].every(Number.isFinite)) continue;
      const dx = (bx - ax) * sx, dy = (by - ay) * sy, len = Math.hypot(dx, dy);
      if (len === 0) continue;
      const nx = -dy / len * width / 2 / sx, ny = dx / len * width / 2 / sy;
      v.push(ax + nx, ay + ny, ax - nx, ay - ny, bx + nx, by + ny,
             bx + nx, by + ny, ax - nx, ay - ny, bx - nx, by - ny);
    }
    this.geometry(this.programs.flat, new Float32Array(v), color, this.gl.TRIANGLES, v.length / 2);
  }

  // Independent segments seg (m, 4) = rows (x0, y0, x1, y1) in data coordinates, of
  // constant on-screen width (CSS px), in one draw call; color is one [r, g, b, a] or
  // a Float32Array (m, 4) with a colour per segment.
  segments(seg, color, width = 1.5) {
    const m = seg.length / 4;
    const [x0, y0, x1, y1] = this.view;
    const sx = this.canvas.width / this.dpr / (x1 - x0), sy = this.canvas.height / this.dpr / (y1 - y0);
    const v = new Float32Array(m * 12), perVertex = color.length === 4 ? null : new Float32Array(m * 24);
    let k = 0;
    for (let i = 0; i < m; i++) {
      const ax = seg[4 * i], ay = seg[4 * i + 1], bx = seg[4 * i + 2], by = seg[4 * i + 3];
      const dx = (bx - ax) * sx, dy = (by - ay) * sy, len = Math.hypot(dx, dy);
      if (!(len > 0) || ![ax, ay, bx, by].every(Number.isFinite)) continue;
      const nx = -dy / len * width / 2 / sx, ny = dx / len * width / 2 / sy;
      v.set([ax + nx, ay + ny, ax - nx, ay - ny, bx + nx, by + ny,
        bx + nx, by + ny, ax - nx, ay - ny, bx - nx, by - ny], 12 * k);
      if (perVertex) for (let j = 0; j < 6; j++) perVertex.set(color.subarray(4 * i, 4 * i + 4), 24 * k + 4 * j);
      k++;
    }
    this.geometry(this.programs.flat, v.subarray(0, 12 * k), perVertex ? perVertex.subarray(0, 24 * k) : color,
      this.gl.TRIANGLES, 6 * k);
  }

  // Vertical marker at x.
  vline(x, color, width = 1.5) {
    this.line([x, x], [this.view[1], this.view[3]], color, width);
  }

  // Points xy (n, 2); colors is one [r, g, b, a] or a Float32Array (n, 4).
  points(xy, color, size = 3) {
    this.geometry(this.programs.point, xy, color, this.gl.POINTS, xy.length / 2, size);
  }

  // An RGBA8 image (w x h, row 0 at the bottom) stretched over [x0, x1] x [y0, y1].
  image(rgba, w, h, x0, x1, y0, y1) {
    const { gl } = this;
    const program = this.programs.image;
    gl.useProgram(program);
    gl.bindTexture(gl.TEXTURE_2D, this.texture);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, w, h, 0, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.bindVertexArray(this.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.quad);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
    gl.disableVertexAttribArray(1);
    gl.uniform4fv(gl.getUniformLocation(program, 'view'), this.view);
    gl.uniform4fv(gl.getUniformLocation(program, 'extent'), [x0, y0, x1, y1]);
    gl.uniform1i(gl.getUniformLocation(program, 'image'), 0);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  // ---- axes (2-D canvas overlay) -----------------------------------------------------------

  drawAxes(w, h, iw, ih) {
    const ctx = this.overlay.getContext('2d');
    const { dpr } = this;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (this.opts.axes === false) return;
    const [x0, y0, x1, y1] = this.view;
    const px = (x) => MARGIN.left + (x - x0) / (x1 - x0) * iw;
    const py = (y) => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * ih;
    const ink = cssVar('--ink'), muted = cssVar('--muted'), grid = cssVar('--grid');
    const font = cssVar('--plot-font') || 'system-ui, sans-serif';
    ctx.font = `11px ${font}`;
    ctx.lineWidth = 1;
    const xt = niceTicks(x0, x1, Math.max(2, Math.round(iw / 70)));
    const yt = niceTicks(y0, y1, Math.max(2, Math.round(ih / 45)));
    // grid lines under the data are drawn here too: the GL area is transparent-free, so
    // we draw them on the overlay faintly (they stay readable over heatmaps).
    ctx.strokeStyle = grid;
    ctx.beginPath();
    for (const t of xt) { ctx.moveTo(Math.round(px(t)) + 0.5, MARGIN.top); ctx.lineTo(Math.round(px(t)) + 0.5, MARGIN.top + ih); }
    for (const t of yt) { ctx.moveTo(MARGIN.left, Math.round(py(t)) + 0.5); ctx.lineTo(MARGIN.left + iw, Math.round(py(t)) + 0.5); }
    ctx.stroke();
    ctx.strokeStyle = muted;
    ctx.strokeRect(MARGIN.left + 0.5, MARGIN.top + 0.5, iw - 1, ih - 1);
    ctx.fillStyle = muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of xt) ctx.fillText(formatTick(t), px(t), MARGIN.top + ih + 5);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of yt) ctx.fillText(formatTick(t), MARGIN.left - 6, py(t));
    ctx.fillStyle = ink;
    ctx.font = `12px ${font}`;
    if (this.opts.xlabel) {
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.fillText(this.opts.xlabel, MARGIN.left + iw / 2, h - 2);
    }
    if (this.opts.ylabel) {
      ctx.save();
      ctx.translate(12, MARGIN.top + ih / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(this.opts.ylabel, 0, 0);
      ctx.restore();
    }
    this.drawLegend(ctx, MARGIN.left + iw - 8, MARGIN.top + 8);
  }

  drawLegend(ctx, right, top) {
    if (!this.legend.length) return;
    ctx.font = `11px ${cssVar('--plot-font') || 'system-ui, sans-serif'}`;
    const width = Math.max(...this.legend.map((e) => ctx.measureText(e.label).width)) + 30;
    const height = this.legend.length * 16 + 6;
    ctx.fillStyle = cssVar('--legend-bg');
    ctx.fillRect(right - width, top, width, height);
    this.legend.forEach((e, i) => {
      const y = top + 11 + i * 16;
      const [r, g, b, a] = e.color;
      ctx.fillStyle = `rgba(${r * 255}, ${g * 255}, ${b * 255}, ${Math.max(a, 0.6)})`;
      ctx.fillRect(right - width + 6, y - 2, 14, 4);
      ctx.fillStyle = cssVar('--ink');
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      ctx.fillText(e.label, right - width + 24, y);
    });
  }
}
