// dense_wasm.c - the dense kernels for WebAssembly SIMD128 (no FMA: mul + add),
// chosen at compile time under Emscripten; CMake adds -msimd128 for this file.
//
// Backward and the activation passes come from the shared template (dense_simd.h).
// Forward has its own kernel here, in dot form for every shape, written with named
// register variables: V8 gives wasm about 15 vector registers, and clang 14 leaves the
// template's acc[][] tile arrays on the stack in wasm (each multiply-add then loads
// and stores its accumulator), which measured 3-4x slower (bench/wasm). A packed
// broadcast (BLAS-style) tile measured no faster than this unpacked dot tile.
#if defined(__EMSCRIPTEN__)
#if !defined(__wasm_simd128__)
#error "dense_wasm.c needs -msimd128"
#endif
#define TD_SIMD_WASM128 1
#include "nn/dense_simd.h"

enum { ROW_BLOCK = 32,     // rows of x per pass over W: 32 x K floats stay in L1/L2
       SMALL_K = 3,        // products this shallow use small_k_rows ...
       SMALL_N = 1024 };   // ... when W^T fits on the stack (12 KB)

// The four lane sums of a, b, c, d as one vector (a transpose-and-add tree).
TD_INLINE vf sum4(vf a, vf b, vf c, vf d) {
    vf t0 = vf_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
    vf t1 = vf_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
    return vf_add(wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5), wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
}

#define MADD(acc, u, v) acc = vf_add(acc, vf_mul(u, v))

// Where a tile's results go: out (M, N) is the slope buffer when the caller keeps
// slopes (z there until the activation pass turns it into act'(z)), else y; the
// activation is a separate pass per row block (see wasm_forward).
typedef struct {
    const float *b;   // (N) or NULL
    float *out;
    size_t N;
} out_rows;

// s holds x_row . W_rows[n .. n+3] + the K tail already; add the bias and store.
TD_INLINE void store4(const out_rows *o, size_t i, size_t n, vf s) {
    if (o->b) s = vf_add(s, vf_load(o->b + n));
    vf_store(o->out + i * o->N + n, s);
}

// The K % 4 tail of one row against four rows of W: (x . w0, x . w1, x . w2, x . w3).
TD_INLINE vf tail4(const float *x, const float *w, size_t K, size_t k) {
    vf s = vf_zero();
    for (; k < K; k++)
        s = vf_add(s, vf_mul(vf_set1(x[k]), wasm_f32x4_make(w[k], w[K + k], w[2 * K + k], w[3 * K + k])));
    return s;
}

// y rows i, i+1 x columns n .. n+3: x (2, K) . W rows (4, K); 8 accumulators + 4 W + 1 x
// registers, 6 loads per 8 multiply-adds.
static void tile_2x4(const float *x, const float *W, size_t K, size_t i, size_t n, const out_rows *o) {
    const float *x0 = x + i * K, *x1 = x0 + K, *w0 = W + n * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
    vf a00 = vf_zero(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    size_t k = 0;
    for (; k + VL <= K; k += VL) {
        vf v0 = vf_load(w0 + k), v1 = vf_load(w1 + k), v2 = vf_load(w2 + k), v3 = vf_load(w3 + k);
        vf u = vf_load(x0 + k);
        MADD(a00, u, v0), MADD(a01, u, v1), MADD(a02, u, v2), MADD(a03, u, v3);
        u = vf_load(x1 + k);
        MADD(a10, u, v0), MADD(a11, u, v1), MADD(a12, u, v2), MADD(a13, u, v3);
    }
    vf s0 = sum4(a00, a01, a02, a03), s1 = sum4(a10, a11, a12, a13);
    if (k < K) s0 = vf_add(s0, tail4(x0, w0, K, k)), s1 = vf_add(s1, tail4(x1, w0, K, k));
    store4(o, i, n, s0);
    store4(o, i + 1, n, s1);
}

// One row x columns n .. n+3 (an odd last row).
static void tile_1x4(const float *x, const float *W, size_t K, size_t i, size_t n, const out_rows *o) {
    const float *x0 = x + i * K, *w0 = W + n * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
    vf a0 = vf_zero(), a1 = a0, a2 = a0, a3 = a0;
    size_t k = 0;
    for (; k + VL <= K; k += VL) {
        vf u = vf_load(x0 + k);
        MADD(a0, u, vf_load(w0 + k)), MADD(a1, u, vf_load(w1 + k));
        MADD(a2, u, vf_load(w2 + k)), MADD(a3, u, vf_load(w3 + k));
    }
    vf s = sum4(a0, a1, a2, a3);
    if (k < K) s = vf_add(s, tail4(x0, w0, K, k));
    store4(o, i, n, s);
}

// One row x columns n .. n+7: a single row (M = 1) reads W once, so it is bound by
// W's loads; eight accumulators keep two loads a cycle in flight.
static void tile_1x8(const float *x, const float *W, size_t K, size_t i, size_t n, const out_rows *o) {
    const float *x0 = x + i * K, *w = W + n * K;
    vf a0 = vf_zero(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    size_t k = 0;
    for (; k + VL <= K; k += VL) {
        vf u = vf_load(x0 + k);
        MADD(a0, u, vf_load(w + k)), MADD(a1, u, vf_load(w + K + k));
        MADD(a2, u, vf_load(w + 2 * K + k)), MADD(a3, u, vf_load(w + 3 * K + k));
        MADD(a4, u, vf_load(w + 4 * K + k)), MADD(a5, u, vf_load(w + 5 * K + k));
        MADD(a6, u, vf_load(w + 6 * K + k)), MADD(a7, u, vf_load(w + 7 * K + k));
    }
    vf s0 = sum4(a0, a1, a2, a3), s1 = sum4(a4, a5, a6, a7);
    if (k < K) s0 = vf_add(s0, tail4(x0, w, K, k)), s1 = vf_add(s1, tail4(x0, w + 4 * K, K, k));
    store4(o, i, n, s0);
    store4(o, i, n + 4, s1);
}

// The last N % 4 columns, one at a time: four rows of x against one row of W give one
// column of four rows (then fewer rows one by one); stored lane by lane.
static void column(const float *x, const float *W, size_t K, size_t i0, size_t i1, size_t n,
                   const out_rows *o) {
    const float *w = W + n * K;
    float bias = o->b ? o->b[n] : 0.0f, s[VL];
    size_t i = i0;
    for (; i + 4 <= i1; i += 4) {
        const float *x0 = x + i * K, *x1 = x0 + K, *x2 = x1 + K, *x3 = x2 + K;
        vf a0 = vf_zero(), a1 = a0, a2 = a0, a3 = a0;
        size_t k = 0;
        for (; k + VL <= K; k += VL) {
            vf v = vf_load(w + k);
            MADD(a0, vf_load(x0 + k), v), MADD(a1, vf_load(x1 + k), v);
            MADD(a2, vf_load(x2 + k), v), MADD(a3, vf_load(x3 + k), v);
        }
        vf_store(s, vf_add(sum4(a0, a1, a2, a3), vf_set1(bias)));
        for (size_t r = 0; r < 4; r++) {
            for (size_t kk = k; kk < K; kk++) s[r] += x[(i + r) * K + kk] * w[kk];
            o->out[(i + r) * o->N + n] = s[r];
        }
    }
    for (; i < i1; i++) {
        const float *x0 = x + i * K;
        vf a = vf_zero();
        size_t k = 0;
        for (; k + VL <= K; k += VL) MADD(a, vf_load(x0 + k), vf_load(w + k));
        float t = vf_reduce(a) + bias;
        for (; k < K; k++) t += x0[k] * w[k];
        o->out[i * o->N + n] = t;
    }
}

// Rows i0 .. i1 for a product only a few deep (K <= SMALL_K: the score net's first layer
// once the shared time embedding is folded into its bias reads 2 columns). Dot form
// would be all lane sums and K % 4 tail; here each output vector is the bias plus K
// broadcast multiply-adds along N, with Wt = W^T (K, N).
static void small_k_rows(const float *x, const float *Wt, size_t K, size_t i0, size_t i1,
                         const out_rows *o) {
    size_t N = o->N, N4 = N - N % 4;
    for (size_t i = i0; i < i1; i++) {
        const float *xi = x + i * K;
        float *out = o->out + i * N;
        size_t n = 0;
        for (; n < N4; n += 4) {
            vf acc = o->b ? vf_load(o->b + n) : vf_zero();
            for (size_t k = 0; k < K; k++) MADD(acc, vf_set1(xi[k]), vf_load(Wt + k * N + n));
            vf_store(out + n, acc);
        }
        for (; n < N; n++) {
            float acc = o->b ? o->b[n] : 0.0f;
            for (size_t k = 0; k < K; k++) acc += xi[k] * Wt[k * N + n];
            out[n] = acc;
        }
    }
}

// The activation pass over rows [i0, i1) of out (see out_rows).
static void finish_rows(float *slope, float *y, size_t i0, size_t i1, size_t N, td_act act) {
    if (slope) act_forward_slope(slope + i0 * N, y + i0 * N, (i1 - i0) * N, act);
    else if (act != TD_ACT_NONE) act_forward(y + i0 * N, y + i0 * N, (i1 - i0) * N, act);
}

// x (M, K), W (N, K), b (N) -> y (M, N) = act(z), slope (M, N) = act'(z) optional
static void wasm_forward(const float *x, const float *W, const float *b, float *slope, float *y,
                         int M_, int K_, int N_, td_act act) {
    if (M_ <= 0 || N_ <= 0 || K_ < 0) return;
    (void)dense_forward;   // the template's forward: not used in wasm (see the top)
    size_t M = (size_t)M_, K = (size_t)K_, N = (size_t)N_, N4 = N - N % 4;
    out_rows o = {b, slope ? slope : y, N};
    float small_wt[SMALL_K * SMALL_N];   // W^T for a shallow, not too wide layer
    int small = K > 0 && K <= SMALL_K && N <= SMALL_N && M >= 4;
    if (small)
        for (size_t n = 0; n < N; n++)
            for (size_t k = 0; k < K; k++) small_wt[k * N + n] = W[n * K + k];
    // Row blocks: a block of x stays in cache while every group of four W rows passes;
    // then the block's activation, as one pass while its outputs are still in cache (a
    // pass has independent vectors in flight; after each tile, exp's long dependency
    // chain stalled the tile loop).
    for (size_t i0 = 0; i0 < M; i0 += ROW_BLOCK) {
        size_t i1 = M - i0 < ROW_BLOCK ? M : i0 + ROW_BLOCK;
        if (small) {
            small_k_rows(x, small_wt, K, i0, i1, &o);
            finish_rows(slope, y, i0, i1, N, act);
            continue;
        }
        size_t n = 0;
        if (M == 1)
            for (; n + 8 <= N4; n += 8) tile_1x8(x, W, K, 0, n, &o);
        for (; n < N4; n += 4) {
            size_t i = i0;
            for (; i + 2 <= i1; i += 2) tile_2x4(x, W, K, i, n, &o);
            if (i < i1) tile_1x4(x, W, K, i, n, &o);
        }
        for (n = N4; n < N; n++) column(x, W, K, i0, i1, n, &o);
        finish_rows(slope, y, i0, i1, N, act);
    }
}

const td_dense_kernel td_dense_wasm128 = {"wasm128", wasm_forward, dense_backward, act_forward,
                                          act_backward};
#else
typedef int td_dense_wasm_unused;   // not Emscripten: nothing to compile (ISO C wants a declaration)
#endif
