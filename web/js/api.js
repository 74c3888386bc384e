// api.js - JavaScript wrappers over the module's exports (src/wasm/api.c).
//
// Every wasm-heap allocation made here is freed here, in a finally block, so a
// thrown error never leaks heap memory. Objects that live across calls (Rng,
// Dense, ...) hold a C handle and must be free()d by their owner. A negative
// return code becomes a TdError carrying the C library's one-sentence reason.

const STATUS_NAMES = {
  '-1': 'invalid argument', '-2': 'out of memory', '-3': 'bad file format',
  '-4': 'shape mismatch', '-5': 'input/output error', '-6': 'resource limit exceeded',
};

export class TdError extends Error {
  constructor(code, message) {
    super(message || STATUS_NAMES[code] || `status ${code}`);
    this.name = 'TdError';
    this.code = code;
    this.status = STATUS_NAMES[code] || 'unknown status';
  }
}

export const ACT = { none: 0, relu: 1, silu: 2, gelu: 3, tanh: 4 };

export class Thinkdiff {
  constructor(module) {
    this.M = module;
  }

  // ---- plumbing ---------------------------------------------------------------------------

  lastError() { return this.M.UTF8ToString(this.M._td_wasm_last_error()); }

  // rc >= 0 passes through; rc < 0 throws with the C library's reason.
  check(rc) {
    if (rc < 0) throw new TdError(rc, this.lastError());
    return rc;
  }

  liveHandles() { return this.M._td_wasm_live_handles(); }

  densePath() { return this.M.UTF8ToString(this.M._td_wasm_dense_path()); }

  // Allocate float32 buffers of the given lengths, run fn(...pointers), free them all.
  withF32(lengths, fn) {
    const ptrs = [];
    try {
      for (const n of lengths) {
        const p = this.M._malloc(Math.max(1, n) * 4);
        if (!p) throw new TdError(-2, `out of memory for ${n} floats in the wasm heap`);
        ptrs.push(p);
      }
      return fn(...ptrs);
    } finally {
      for (const p of ptrs) this.M._free(p);
    }
  }

  // Copy n floats out of the heap. Views are made afresh: memory growth detaches old ones.
  readF32(ptr, n) { return this.M.HEAPF32.slice(ptr >> 2, (ptr >> 2) + n); }

  writeF32(ptr, data) { this.M.HEAPF32.set(data, ptr >> 2); }

  // ---- the normal distribution --------------------------------------------------------------

  normalPdf(x) { return this.M._td_wasm_normal_pdf(x); }
  normalCdf(x) { return this.M._td_wasm_normal_cdf(x); }
  normalIcdf(p) { return this.M._td_wasm_normal_icdf(p); }

  // ---- objects ------------------------------------------------------------------------------

  rng(seed, stream = 0) { return new Rng(this, this.check(this.M._td_wasm_rng_create(seed, stream))); }

  dense(inputs, outputs, act = 'none') {
    const code = typeof act === 'number' ? act : ACT[act];
    if (code === undefined) throw new TdError(-1, `unknown activation '${act}'`);
    return new Dense(this, inputs, outputs,
      this.check(this.M._td_wasm_dense_create(inputs, outputs, code)));
  }
}

// A handle-owning object: free() releases the C side once; using it afterwards throws.
class Handle {
  constructor(td, handle, freeFn) {
    this.td = td;
    this.handle = handle;
    this._free = freeFn;
  }

  get live() { return this.handle > 0; }

  free() {
    if (this.handle > 0) this.td.check(this._free(this.handle));
    this.handle = 0;
  }
}

export class Rng extends Handle {
  constructor(td, handle) { super(td, handle, (h) => td.M._td_wasm_rng_free(h)); }

  // n uniform draws in [0, 1).
  uniform(n) {
    const { td } = this;
    return td.withF32([n], (p) => {
      td.check(td.M._td_wasm_rng_uniform(this.handle, p, n));
      return td.readF32(p, n);
    });
  }

  // n standard normal draws (Box-Muller).
  normal(n) {
    const { td } = this;
    return td.withF32([n], (p) => {
      td.check(td.M._td_wasm_rng_normal(this.handle, p, n));
      return td.readF32(p, n);
    });
  }

  // The blog's first example: u ~ U(0,1) and x = Phi^-1(u), pairwise.
  icdfTransform(n) {
    const { td } = this;
    return td.withF32([n, n], (pu, px) => {
      td.check(td.M._td_wasm_icdf_transform(this.handle, pu, px, n));
      return { u: td.readF32(pu, n), x: td.readF32(px, n) };
    });
  }
}

export class Dense extends Handle {
  constructor(td, inputs, outputs, handle) {
    super(td, handle, (h) => td.M._td_wasm_dense_free(h));
    this.inputs = inputs;
    this.outputs = outputs;
  }

  // W (outputs, inputs) row-major, b (outputs) or null.
  set(W, b = null) {
    const { td } = this;
    if (W.length !== this.inputs * this.outputs)
      throw new TdError(-4, `weights have ${W.length} values, expected ${this.inputs * this.outputs}`);
    if (b && b.length !== this.outputs)
      throw new TdError(-4, `bias has ${b.length} values, expected ${this.outputs}`);
    td.withF32([W.length, b ? b.length : 0], (pW, pb) => {
      td.writeF32(pW, W);
      if (b) td.writeF32(pb, b);
      td.check(td.M._td_wasm_dense_set(this.handle, pW, b ? pb : 0));
    });
  }

  // x (rows, inputs) -> y (rows, outputs)
  forward(x, rows) {
    const { td } = this;
    if (x.length !== rows * this.inputs)
      throw new TdError(-4, `input has ${x.length} values, expected ${rows} x ${this.inputs}`);
    return td.withF32([x.length, rows * this.outputs], (px, py) => {
      td.writeF32(px, x);
      td.check(td.M._td_wasm_dense_forward(this.handle, px, rows, py));
      return td.readF32(py, rows * this.outputs);
    });
  }
}
