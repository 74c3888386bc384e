// dense_simd.h - internal: the dense kernels, written once against simd.h.
//
// Included by exactly one file per instruction set (dense_sse2.c, dense_avx2.c,
// dense_avx512.c, dense_wasm.c) after it defines its TD_SIMD_* name; that file
// is compiled with the ISA's flags and only called after the CPU check, so
// everything here is static to it.
//
// Two forms of the same product, picked by shape:
//   - broadcast (GEMM) form, C (M, P) = A (M, Q) B (Q, P): a register tile of
//     MR rows x NR columns; each step broadcasts one A value per row and loads
//     NV vectors of one row of B. B is read in place when its rows are
//     contiguous (backward: dx = dz W, dW += dz^T x) and packed into K-major
//     panels otherwise (forward: B = W^T). Bias, activation and its slope
//     (kept for training) happen on the tile while it is still in registers.
//   - dot-product form for few rows of x (M <= DOT_MAX_M) or few outputs
//     (N <= DOT_MAX_N): DM rows of x against DN rows of W, vectors along K,
//     so W is streamed once and never packed (packing would cost as much as
//     the product at M <= 64); lane sums four at a time; the activation is a
//     second pass over the (small) output.
// Backward with few rows is memory-bound on W and dW: one pass down their
// rows (stream_dW, stream_dx for M <= 4; at M = 16 the register-tiled
// product measured faster for dx), and for M <= DOT_MAX_M dW gets its own plain
// tile (few_rows_dW). A shallow product (depth under SHALLOW, e.g. a forward
// with K = 2) is swept row block by row block so C streams in order.
// Heap scratch (packed panels) is bounded by KC x NC floats; if it cannot be
// had, the call falls back to the reference kernel, which needs none.
//
// Measured on Zen 4 (bench/bench_dense.c): applying the activation to the
// accumulators in registers beat storing the tile and activating it from L1,
// and the dot form beat packing up to M = 64.
#include <stdlib.h>
#include <string.h>

#include "nn/dense_paths.h"
#include "nn/simd.h"

#if defined(__GNUC__)
#define TD_INLINE static inline __attribute__((always_inline))
#define TD_UNROLL _Pragma("GCC unroll 16")
#define TD_PREFETCH(p) __builtin_prefetch(p)
#else
#define TD_INLINE static inline
#define TD_UNROLL
#define TD_PREFETCH(p) ((void)0)
#endif

enum { DOT_MAX_M = 64, DOT_MAX_N = 4, SHALLOW = 32, STREAM_MAX_M = 4,
       STREAM_DW_MAX_M = 4 };

// ---- activations on vectors ------------------------------------------------
// These run on every output of a layer, so their cost is not small next to a
// 128-deep product: a SiLU on 16 values took ~25 cycles with a division and a
// degree-7 polynomial. Now: exp(x) = 2^n e^r, n = round(x / ln 2), |r| <= ln2/2,
// e^r by a degree-5 Chebyshev fit (1.6e-7 relative), 2^n by vscalefps on
// AVX-512; the sigmoid's reciprocal is an estimate plus one Newton step
// (vf_recip). The clamp keeps 2^n a normal float and 1 + e^x finite; e^-87.3
// is 1e-38, which is 0 next to 1 in the sigmoids below.
TD_INLINE vf v_exp(vf x) {
    x = vf_min(vf_max(x, vf_set1(-87.3f)), vf_set1(88.3f));
    vf n = vf_round(vf_mul(x, vf_set1(1.44269504088896341f)));
    vf r = vf_fmadd(n, vf_set1(-0.693147182f), x);   // ln 2 rounded: 2e-9 * 127 off at most
    // c0 + c1 r + ... + c5 r^5 as (c0 + c1 r) + r^2 ((c2 + c3 r) + r^2 (c4 + c5 r)) (Estrin):
    // three multiply-adds deep instead of Horner's five. The activation pass is one long
    // dependency chain per vector, so its latency, not its operation count, set its speed.
    vf r2 = vf_mul(r, r);
    vf lo = vf_add(r, vf_set1(1.000000119f));   // c1 = 1
    vf mid = vf_fmadd(vf_set1(1.666650474e-1f), r, vf_set1(4.999887049e-1f));
    vf hi = vf_fmadd(vf_set1(8.369148709e-3f), r, vf_set1(4.191750661e-2f));
    vf p = vf_fmadd(vf_fmadd(hi, r2, mid), r2, lo);
    return vf_scale2(p, n);
}

// s = 1 / (1 + e^-x), and *sc = 1 - s = e^-x s without the cancellation of
// 1 - s (the gradients multiply it by z, up to 30 in the tests).
TD_INLINE vf v_sigmoid(vf x, vf *sc) {
    vf e = v_exp(vf_sub(vf_zero(), x));
    vf s = vf_recip(vf_add(vf_set1(1.0f), e));
    if (sc) *sc = vf_mul(e, s);
    return s;
}

// sqrt(2/pi) (z + 0.044715 z^3), the GELU's tanh argument.
TD_INLINE vf v_gelu_u(vf z) {
    vf z2 = vf_mul(z, z);
    return vf_mul(vf_set1(0.7978845608028654f), vf_fmadd(vf_mul(vf_set1(0.044715f), z2), z, z));
}

// The identities used: 0.5 (1 + tanh u) = sigmoid(2u), tanh z = 2 sigmoid(2z) - 1,
// and 1 - tanh^2 = 4 s (1 - s) with s = sigmoid(2u).
TD_INLINE vf v_act(td_act act, vf z) {
    switch (act) {
    case TD_ACT_NONE: return z;
    case TD_ACT_RELU: return vf_max(z, vf_zero());
    case TD_ACT_SILU: return vf_mul(z, v_sigmoid(z, NULL));
    case TD_ACT_GELU: {
        vf u = v_gelu_u(z);
        return vf_mul(z, v_sigmoid(vf_add(u, u), NULL));
    }
    case TD_ACT_TANH: {
        vf s = v_sigmoid(vf_add(z, z), NULL);
        return vf_sub(vf_add(s, s), vf_set1(1.0f));
    }
    }
    return z;
}

// act(z), and *slope = act'(z) from the same sigmoid (the training forward keeps it).
TD_INLINE vf v_act_slope(td_act act, vf z, vf *slope) {
    vf one = vf_set1(1.0f), sc;
    switch (act) {
    case TD_ACT_NONE: *slope = one; return z;
    case TD_ACT_RELU: *slope = vf_step(z); return vf_max(z, vf_zero());
    case TD_ACT_SILU: {   // y = z s, y' = s + z s (1 - s) = s + y (1 - s)
        vf s = v_sigmoid(z, &sc), y = vf_mul(z, s);
        *slope = vf_fmadd(y, sc, s);
        return y;
    }
    case TD_ACT_GELU: {   // y = z s with s = sigmoid(2u); y' = s + 2 z s (1 - s) u'(z)
        vf u = v_gelu_u(z);
        vf s = v_sigmoid(vf_add(u, u), &sc);
        vf du = vf_mul(vf_set1(0.7978845608028654f),
                       vf_fmadd(vf_mul(vf_set1(3.0f * 0.044715f), z), z, one));
        vf zs = vf_mul(vf_add(z, z), vf_mul(s, sc));
        *slope = vf_fmadd(zs, du, s);
        return vf_mul(z, s);
    }
    case TD_ACT_TANH: {   // y = 2 s - 1 with s = sigmoid(2z); y' = 4 s (1 - s)
        vf s = v_sigmoid(vf_add(z, z), &sc);
        *slope = vf_mul(vf_set1(4.0f), vf_mul(s, sc));
        return vf_sub(vf_add(s, s), one);
    }
    }
    *slope = one;
    return z;
}

// act'(z) alone (the activation passes from a pre-activation): the compiler drops
// the unused act(z).
TD_INLINE vf v_act_grad(td_act act, vf z) {
    vf slope;
    (void)v_act_slope(act, z, &slope);
    return slope;
}

// y (n) = act(z (n)); y may equal z. The tail goes through a padded vector so
// every element sees the same arithmetic.
static void act_forward(const float *z, float *y, size_t n, td_act act) {
    size_t i = 0;
    for (; i + VL <= n; i += VL) vf_store(y + i, v_act(act, vf_load(z + i)));
    if (i < n) {
        float t[VL] = {0};
        memcpy(t, z + i, (n - i) * sizeof *t);
        vf_store(t, v_act(act, vf_load(t)));
        memcpy(y + i, t, (n - i) * sizeof *t);
    }
}

// dy (n) *= act'(z (n))
static void act_backward(const float *z, float *dy, size_t n, td_act act) {
    if (act == TD_ACT_NONE) return;
    size_t i = 0;
    for (; i + VL <= n; i += VL)
        vf_store(dy + i, vf_mul(vf_load(dy + i), v_act_grad(act, vf_load(z + i))));
    if (i < n) {
        float tz[VL] = {0}, td[VL] = {0};
        memcpy(tz, z + i, (n - i) * sizeof *tz);
        memcpy(td, dy + i, (n - i) * sizeof *td);
        vf_store(td, vf_mul(vf_load(td), v_act_grad(act, vf_load(tz))));
        memcpy(dy + i, td, (n - i) * sizeof *td);
    }
}

// zs (n) holds z: y (n) = act(z), and zs is overwritten with act'(z).
static void act_forward_slope(float *zs, float *y, size_t n, td_act act) {
    size_t i = 0;
    vf slope;
    for (; i + VL <= n; i += VL) {
        vf_store(y + i, v_act_slope(act, vf_load(zs + i), &slope));
        vf_store(zs + i, slope);
    }
    if (i < n) {
        float t[VL] = {0}, ts[VL];
        memcpy(t, zs + i, (n - i) * sizeof *t);
        vf_store(t, v_act_slope(act, vf_load(t), &slope));
        vf_store(ts, slope);
        memcpy(y + i, t, (n - i) * sizeof *t);
        memcpy(zs + i, ts, (n - i) * sizeof *ts);
    }
}

// dy (n) *= slope (n), the forward's act'(z); nothing for a linear layer.
static void slope_backward(const float *slope, float *dy, size_t n, td_act act) {
    if (act == TD_ACT_NONE) return;
    size_t i = 0;
    for (; i + VL <= n; i += VL) vf_store(dy + i, vf_mul(vf_load(dy + i), vf_load(slope + i)));
    for (; i < n; i++) dy[i] *= slope[i];
}

// ---- broadcast form: the MR x NR register tile -----------------------------
// One C (M, P) [+]= A (M, Q) B (Q, P) product; A (r, q) is a[r*a_rs + q*a_cs],
// B (q, p) is b[q*b_rs + p*b_cs].
typedef struct {
    size_t M, P, Q;
    const float *a;
    size_t a_rs, a_cs;
    const float *b;
    size_t b_rs, b_cs;
    float *c;             // (M, P), row stride P
    float *slope;         // forward: act'(pre-activation) (M, P) or NULL
    const float *bias;    // forward: (P) or NULL
    int accumulate;       // C += A B (dW) instead of C = A B
    td_act act;
} gemm_args;

// How one tile starts and ends within the K blocking.
typedef struct {
    const float *bias;    // NR floats to start from (first K block), or NULL
    int load_c;           // start from C (a later K block, or accumulating)
    int last;             // last K block: apply the activation, store the slope
    float *slope;         // act' tile (same stride as C) or NULL
    td_act act;
    int prefetch;         // B is read in place: fetch the next panel's rows ahead
} tile_mode;

// C tile (mr, nc) of stride ldc = A (mr, kc) Bp (kc, nv*VL), Bp rows ldb apart.
// mr and nv are compile-time constants at every call site, so acc[][] lives
// in registers; tiles narrower than nv*VL go through tmp.
TD_INLINE void tile(int mr, int nv, int nc, const float *a, size_t a_rs, size_t a_cs, const float *bp,
                    size_t ldb, size_t kc, float *c, size_t ldc, const tile_mode *m) {
    vf acc[MR][NV];
    float tmp[MR * NR];
    int full = nc == nv * VL;
    size_t width = (size_t)nc * sizeof(float);
    if (m->load_c) {
        const float *src = c;
        size_t lds = ldc;
        if (!full) {
            for (int r = 0; r < mr; r++) memcpy(tmp + r * NR, c + (size_t)r * ldc, width);
            src = tmp;
            lds = NR;
        }
        TD_UNROLL for (int r = 0; r < mr; r++)
            TD_UNROLL for (int v = 0; v < nv; v++)
                acc[r][v] = vf_load(src + (size_t)r * lds + v * VL);
    } else {
        TD_UNROLL for (int v = 0; v < nv; v++) {
            vf init = m->bias ? vf_load(m->bias + v * VL) : vf_zero();
            TD_UNROLL for (int r = 0; r < mr; r++) acc[r][v] = init;
        }
    }
    for (size_t q = 0; q < kc; q++) {
        const float *bq = bp + q * ldb, *aq = a + q * a_cs;
        if (m->prefetch)
            TD_UNROLL for (int line = 0; line < NR; line += 16) TD_PREFETCH(bq + NR + line);
        vf bv[NV];
        TD_UNROLL for (int v = 0; v < nv; v++) bv[v] = vf_load(bq + v * VL);
        TD_UNROLL for (int r = 0; r < mr; r++) {
            vf av = vf_set1(aq[(size_t)r * a_rs]);
            TD_UNROLL for (int v = 0; v < nv; v++) acc[r][v] = vf_fmadd(av, bv[v], acc[r][v]);
        }
    }
    float *dst = full ? c : tmp;
    size_t ldd = full ? ldc : NR;
    if (m->last && m->slope) {
        float *sd = full ? m->slope : tmp;
        TD_UNROLL for (int r = 0; r < mr; r++)
            TD_UNROLL for (int v = 0; v < nv; v++) {
                vf slope;
                acc[r][v] = v_act_slope(m->act, acc[r][v], &slope);
                vf_store(sd + (size_t)r * ldd + v * VL, slope);
            }
        if (!full)
            for (int r = 0; r < mr; r++) memcpy(m->slope + (size_t)r * ldc, tmp + r * NR, width);
    } else if (m->last && m->act != TD_ACT_NONE) {
        TD_UNROLL for (int r = 0; r < mr; r++)
            TD_UNROLL for (int v = 0; v < nv; v++) acc[r][v] = v_act(m->act, acc[r][v]);
    }
    TD_UNROLL for (int r = 0; r < mr; r++)
        TD_UNROLL for (int v = 0; v < nv; v++) vf_store(dst + (size_t)r * ldd + v * VL, acc[r][v]);
    if (!full)
        for (int r = 0; r < mr; r++) memcpy(c + (size_t)r * ldc, tmp + r * NR, width);
}

// Rows [0, mr) in tiles of MR, then 4, 2 and 1 rows, each a specialised
// copy; a last panel at most one vector wide uses single-vector tiles.
#define TILE(rows) (nc <= VL ? tile(rows, 1, nc, ar, a_rs, a_cs, bp, ldb, kc, cr, ldc, &m) \
                             : tile(rows, NV, nc, ar, a_rs, a_cs, bp, ldb, kc, cr, ldc, &m))
static void tile_rows(size_t mr, int nc, const float *a, size_t a_rs, size_t a_cs,
                      const float *bp, size_t ldb, size_t kc, float *c, size_t ldc,
                      const tile_mode *mode) {
    tile_mode m = *mode;
    size_t r = 0;
    while (r < mr) {
        size_t left = mr - r, done;
        const float *ar = a + r * a_rs;
        float *cr = c + r * ldc;
        m.slope = mode->slope ? mode->slope + r * ldc : NULL;
        m.prefetch = mode->prefetch && r == 0;   // one tile per panel is enough
        if (left >= MR) {
            TILE(MR);
            done = MR;
#if MR > 4
        } else if (left >= 4) {
            TILE(4);
            done = 4;
#endif
        } else if (left >= 2) {
            TILE(2);
            done = 2;
        } else {
            TILE(1);
            done = 1;
        }
        r += done;
    }
}
#undef TILE

// Copy B rows [q0, q0+kc) x columns [p0, p0+np) into a K-major panel of NR
// columns (kc, NR), zero-padding the columns past np.
static void pack_panel(const gemm_args *g, size_t q0, size_t kc, size_t p0, size_t np,
                       float *panel) {
    if (np < NR) memset(panel, 0, kc * NR * sizeof *panel);
    if (g->b_rs == 1) {   // B = W^T: column p is a contiguous row of W
        for (size_t j = 0; j < np; j++) {
            const float *src = g->b + (p0 + j) * g->b_cs + q0;
            for (size_t q = 0; q < kc; q++) panel[q * NR + j] = src[q];
        }
    } else {
        for (size_t q = 0; q < kc; q++) {
            const float *src = g->b + (q0 + q) * g->b_rs + p0 * g->b_cs;
            for (size_t j = 0; j < np; j++) panel[q * NR + j] = src[j * g->b_cs];
        }
    }
}

// Scratch the driver needs: a packed block (KC, NC) and a padded bias (NC).
static const size_t GEMM_SCRATCH = (size_t)KC * NC + NC;

// Blocked loop nest (BLIS order without packing A): column blocks of NC, depth
// blocks of KC (packed once), row blocks of MC (stay in L2), then panels of NR
// (stay in L1) and tiles of MR rows.
static void gemm(const gemm_args *g, float *scratch) {
    float *packed = scratch, *bias = scratch + (size_t)KC * NC;
    for (size_t jc = 0; jc < g->P; jc += NC) {
        size_t nc = g->P - jc < NC ? g->P - jc : NC;
        if (g->bias) {
            memset(bias, 0, NC * sizeof *bias);
            memcpy(bias, g->bias + jc, nc * sizeof *bias);
        }
        for (size_t pc = 0; pc < g->Q; pc += KC) {
            size_t kc = g->Q - pc < KC ? g->Q - pc : KC;
            int in_place = g->b_cs == 1;   // rows of B contiguous: full panels need no copy
            for (size_t jr = 0; jr < nc; jr += NR) {
                size_t np = nc - jr < NR ? nc - jr : NR;
                if (!in_place) pack_panel(g, pc, kc, jc + jr, np, packed + jr * kc);
                else if (np < NR) pack_panel(g, pc, kc, jc + jr, np, packed);   // the one partial panel
            }
            tile_mode mode = {NULL, pc > 0 || g->accumulate, pc + kc == g->Q, NULL, g->act, 0};
            // A shallow block is all C traffic: then sweep C row block by row
            // block, so its rows stream in order.
            size_t rows = kc < SHALLOW ? MR : MC;
            for (size_t ic = 0; ic < g->M; ic += rows) {
                size_t mc = g->M - ic < rows ? g->M - ic : rows;
                for (size_t jr = 0; jr < nc; jr += NR) {
                    size_t np = nc - jr < NR ? nc - jr : NR;
                    const float *bp = in_place ? packed : packed + jr * kc;
                    size_t ldb = NR;
                    mode.prefetch = 0;
                    if (in_place && np == NR) {
                        bp = g->b + pc * g->b_rs + jc + jr;
                        ldb = g->b_rs;
                        // A panel in place is kc rows far apart (W in dx = dz W): too many
                        // streams for the hardware prefetcher, so the first tile fetches the
                        // next panel's lines (digit-sized backward with W out of cache:
                        // 10-15% faster; no change with W in cache).
                        mode.prefetch = ic == 0 && jr + 2 * NR <= nc;
                    }
                    size_t off = ic * g->P + jc + jr;
                    mode.bias = g->bias && pc == 0 ? bias + jr : NULL;
                    mode.slope = g->slope ? g->slope + off : NULL;
                    tile_rows(mc, (int)np, g->a + ic * g->a_rs + pc * g->a_cs, g->a_rs, g->a_cs,
                              bp, ldb, kc, g->c + off, g->P, &mode);
                }
            }
        }
    }
}

// ---- dot-product form -------------------------------------------------------
// out tile (rm, rn) of stride ldo = x rows (rm, K), ldx apart . W rows (rn, K) + b.
TD_INLINE void dot_tile(int rm, int rn, const float *x, size_t ldx, const float *W, const float *b,
                        size_t K, float *out, size_t ldo) {
    vf acc[DM][DN];
    TD_UNROLL for (int r = 0; r < rm; r++)
        TD_UNROLL for (int n = 0; n < rn; n++) acc[r][n] = vf_zero();
    size_t k = 0;
    for (; k + VL <= K; k += VL) {
        vf wv[DN];
        TD_UNROLL for (int n = 0; n < rn; n++) wv[n] = vf_load(W + (size_t)n * K + k);
        TD_UNROLL for (int r = 0; r < rm; r++) {
            vf xv = vf_load(x + (size_t)r * ldx + k);
            TD_UNROLL for (int n = 0; n < rn; n++) acc[r][n] = vf_fmadd(xv, wv[n], acc[r][n]);
        }
    }
    // Lane sums four accumulators at a time (row-major over the tile), then
    // the K % VL tail, then the bias.
    vf flat[DM * DN];
    float s[DM * DN];
    int count = 0;
    TD_UNROLL for (int r = 0; r < rm; r++)
        TD_UNROLL for (int n = 0; n < rn; n++) flat[count++] = acc[r][n];
    int fours = count / 4 * 4;
    for (int t = 0; t < fours; t += 4) vf_reduce4(flat[t], flat[t + 1], flat[t + 2], flat[t + 3], s + t);
    for (int t = fours; t < count; t++) s[t] = vf_reduce(flat[t]);
    for (int r = 0; r < rm; r++) {
        for (int n = 0; n < rn; n++) {
            float v = s[r * rn + n];
            for (size_t kk = k; kk < K; kk++) v += x[(size_t)r * ldx + kk] * W[(size_t)n * K + kk];
            out[(size_t)r * ldo + (size_t)n] = v + (b ? b[n] : 0.0f);
        }
    }
}

// x (M, K) rows ldx apart . W (N, K)^T + b -> out (M, N): W blocks of DN rows
// stay in L1 while every block of DM rows of x passes by.
static void dot_forward(const float *x, size_t ldx, const float *W, const float *b, float *out,
                        size_t M, size_t K, size_t N) {
    for (size_t n = 0; n < N;) {
        size_t rn = N - n >= DN ? DN : N - n >= 2 ? 2 : 1;
        const float *Wn = W + n * K, *bn = b ? b + n : NULL;
        for (size_t i = 0; i < M;) {
            size_t rm = M - i >= DM ? DM : 1;
            const float *xi = x + i * ldx;
            float *o = out + i * N + n;
            if (rm == DM && rn == DN) dot_tile(DM, DN, xi, ldx, Wn, bn, K, o, N);
            else if (rm == DM && rn == 2) dot_tile(DM, 2, xi, ldx, Wn, bn, K, o, N);
            else if (rm == DM) dot_tile(DM, 1, xi, ldx, Wn, bn, K, o, N);
            else if (rn == DN) dot_tile(1, DN, xi, ldx, Wn, bn, K, o, N);
            else if (rn == 2) dot_tile(1, 2, xi, ldx, Wn, bn, K, o, N);
            else dot_tile(1, 1, xi, ldx, Wn, bn, K, o, N);
            i += rm;
        }
        n += rn;
    }
}

// ---- backward for a handful of rows ----------------------------------------
// With few rows the weight gradient is bound by reading and writing dW, and
// (for M <= STREAM_MAX_M) dx = dz W by reading W: walk their rows once, in
// memory order, with the M rows of x and dx hot in cache.

// dW (N, K) += dz^T x for M <= STREAM_DW_MAX_M rows.
static void stream_dW(const float *x, const float *dz, float *dW, size_t M, size_t K, size_t N) {
    for (size_t n = 0; n < N; n++) {
        float *dw = dW + n * K, d[STREAM_DW_MAX_M];
        for (size_t i = 0; i < M; i++) d[i] = dz[i * N + n];
        size_t k = 0;
        for (; k + VL <= K; k += VL) {
            vf acc = vf_load(dw + k);
            for (size_t i = 0; i < M; i++) acc = vf_fmadd(vf_set1(d[i]), vf_load(x + i * K + k), acc);
            vf_store(dw + k, acc);
        }
        for (; k < K; k++)
            for (size_t i = 0; i < M; i++) dw[k] += d[i] * x[i * K + k];
    }
}

// dx (M, K) = dz W for M <= STREAM_MAX_M rows, four rows of W at a time: each dx
// vector is loaded and stored once per four multiply-adds, not once per one
// (1 x 848 -> 512 on Zen 4: dx 25 -> 22 us, as fast as the forward reads W).
static void stream_dx(const float *W, const float *dz, float *dx, size_t M, size_t K, size_t N) {
    memset(dx, 0, M * K * sizeof *dx);
    size_t n = 0;
    for (; n + 4 <= N; n += 4) {
        const float *w0 = W + n * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
        for (size_t i = 0; i < M; i++) {
            const float *d = dz + i * N + n;
            vf d0 = vf_set1(d[0]), d1 = vf_set1(d[1]), d2 = vf_set1(d[2]), d3 = vf_set1(d[3]);
            float *dxi = dx + i * K;
            size_t k = 0;
            for (; k + VL <= K; k += VL) {
                vf a = vf_fmadd(d0, vf_load(w0 + k), vf_load(dxi + k));
                a = vf_fmadd(d1, vf_load(w1 + k), a);
                a = vf_fmadd(d2, vf_load(w2 + k), a);
                vf_store(dxi + k, vf_fmadd(d3, vf_load(w3 + k), a));
            }
            for (; k < K; k++) dxi[k] += ((d[0] * w0[k] + d[1] * w1[k]) + d[2] * w2[k]) + d[3] * w3[k];
        }
    }
    for (; n < N; n++) {
        const float *w = W + n * K;
        for (size_t i = 0; i < M; i++) {
            vf d = vf_set1(dz[i * N + n]);
            float *dxi = dx + i * K;
            size_t k = 0;
            for (; k + VL <= K; k += VL) vf_store(dxi + k, vf_fmadd(d, vf_load(w + k), vf_load(dxi + k)));
            for (; k < K; k++) dxi[k] += dz[i * N + n] * w[k];
        }
    }
}

// ---- the weight gradient in plain tiles -------------------------------------
// dW rows [n0, n0 + mr) += dz[:, n0 .. n0 + mr)^T x, a tile of nv vectors at a time
// that runs down all M rows in registers and then adds into dW once. The register
// tile's machinery (depth blocks, C loaded before the products) is built for deep
// products with many rows of C; it does not pay for
//   - few outputs (N <= DOT_MAX_N): dW (2, K) gave it two rows, four accumulators,
//     and FMA latency set the pace; here N x FEW_V accumulators, x read once per
//     column block (256x128->2 on Zen 4: dW 43 -> 70 GFLOP/s);
//   - few rows (M <= DOT_MAX_M): each dW value gets only M multiply-adds; here MR rows
//     x WV vectors (AVX-512, three vectors wide: dW of 16 x 768 -> 512 75 -> 102
//     GFLOP/s, of 64 rows 100 -> 108; 8 rows 56 -> 93).
enum { FEW_V = MR * NV / 2,   // vectors per tile for few outputs (N x FEW_V accumulators:
                              // spills at N > 2, but x is read once per column block)
#if defined(TD_SIMD_AVX512)
       WV = 3,                // vectors per tile for few rows: 24 accumulators of 32 registers
#else
       WV = NV,
#endif
       DW_ROWS = MR > DOT_MAX_N ? MR : DOT_MAX_N };

// dW rows [n0, n0 + mr) x vectors [k0, k0 + nv VL); mr, nv constants at every call.
TD_INLINE void dW_tile(int mr, int nv, const float *x, size_t ldx, const float *dz, size_t ldz,
                       float *dW, size_t K, size_t M, size_t n0, size_t k0) {
    vf acc[DW_ROWS][FEW_V];
    TD_UNROLL for (int r = 0; r < mr; r++)
        TD_UNROLL for (int v = 0; v < nv; v++) acc[r][v] = vf_zero();
    for (size_t i = 0; i < M; i++) {
        vf xv[FEW_V];
        TD_UNROLL for (int v = 0; v < nv; v++) xv[v] = vf_load(x + i * ldx + k0 + (size_t)v * VL);
        const float *d = dz + i * ldz + n0;
        TD_UNROLL for (int r = 0; r < mr; r++) {
            vf dv = vf_set1(d[r]);
            TD_UNROLL for (int v = 0; v < nv; v++) acc[r][v] = vf_fmadd(dv, xv[v], acc[r][v]);
        }
    }
    TD_UNROLL for (int r = 0; r < mr; r++)
        TD_UNROLL for (int v = 0; v < nv; v++) {
            float *c = dW + (n0 + (size_t)r) * K + k0 + (size_t)v * VL;
            vf_store(c, vf_add(vf_load(c), acc[r][v]));
        }
}

// Rows [n0, n0 + mr) of dW across all K: nv vectors at a time, then single vectors,
// then the K % VL last columns one by one.
TD_INLINE void dW_strip(int mr, int nv, const float *x, size_t ldx, const float *dz, size_t ldz,
                        float *dW, size_t M, size_t K, size_t n0) {
    size_t k0 = 0;
    for (; k0 + (size_t)nv * VL <= K; k0 += (size_t)nv * VL) dW_tile(mr, nv, x, ldx, dz, ldz, dW, K, M, n0, k0);
    for (; k0 + VL <= K; k0 += VL) dW_tile(mr, 1, x, ldx, dz, ldz, dW, K, M, n0, k0);
    for (; k0 < K; k0++)
        for (size_t r = 0; r < (size_t)mr; r++) {
            float a = 0.0f;
            for (size_t i = 0; i < M; i++) a += dz[i * ldz + n0 + r] * x[i * ldx + k0];
            dW[(n0 + r) * K + k0] += a;
        }
}

// dW (N, K) += dz^T x over M <= DOT_MAX_M rows, x and dz rows ldx and ldz apart.
static void few_rows_dW(const float *x, size_t ldx, const float *dz, size_t ldz, float *dW, size_t M,
                        size_t K, size_t N) {
    size_t n0 = 0;
    for (; n0 + MR <= N; n0 += MR) dW_strip(MR, WV, x, ldx, dz, ldz, dW, M, K, n0);
    for (; n0 < N; n0++) dW_strip(1, WV, x, ldx, dz, ldz, dW, M, K, n0);
}

// ---- backward for a few outputs (N <= DOT_MAX_N) -----------------------------
// dx = dz W is a product only N deep, all tile set-up for the register tile: each
// row of dx is sum_n dz[i, n] W[n, :] with W's N rows hot in L1 (256x128->2 on
// Zen 4: dx 22 -> 40 GFLOP/s); dW is one strip of plain tiles (above).

// dx (M, K) = dz (M, nn) W (nn, K).
TD_INLINE void few_dx_n(int nn, const float *W, const float *dz, float *dx, size_t M, size_t K) {
    for (size_t i = 0; i < M; i++) {
        const float *d = dz + i * (size_t)nn;
        float *o = dx + i * K;
        vf dv[DOT_MAX_N];
        TD_UNROLL for (int n = 0; n < nn; n++) dv[n] = vf_set1(d[n]);
        size_t k = 0;
        for (; k + VL <= K; k += VL) {
            vf acc = vf_mul(dv[0], vf_load(W + k));
            TD_UNROLL for (int n = 1; n < nn; n++) acc = vf_fmadd(dv[n], vf_load(W + (size_t)n * K + k), acc);
            vf_store(o + k, acc);
        }
        for (; k < K; k++) {
            float a = 0.0f;
            for (int n = 0; n < nn; n++) a += d[n] * W[(size_t)n * K + k];
            o[k] = a;
        }
    }
}

// dx (unless NULL) and dW for N <= DOT_MAX_N, each with N a constant.
#define FEW_BACKWARD(nn) \
    do { \
        if (dx) few_dx_n(nn, W, dz, dx, M, K); \
        dW_strip(nn, FEW_V, x, K, dz, nn, dW, M, K, 0); \
    } while (0)
static void few_backward(const float *x, const float *W, const float *dz, float *dx, float *dW,
                         size_t M, size_t K, size_t N) {
    switch (N) {
    case 1: FEW_BACKWARD(1); break;
    case 2: FEW_BACKWARD(2); break;
    case 3: FEW_BACKWARD(3); break;
    default: FEW_BACKWARD(4); break;
    }
}
#undef FEW_BACKWARD

// ---- padded copies of a few rows -------------------------------------------
// Rows whose stride is a multiple of 64 floats (256 bytes) fall into a quarter
// or fewer of L1's 64 sets, so rows read side by side evict each other: the
// digit MLP's 512-wide layers ran at 2/3 the speed of its 848-wide one. With
// few rows (M <= DOT_MAX_M) a copy one cache line longer per row costs about
// 1/N of the product and spreads the rows over every set.
static size_t padded_ld(size_t cols) { return cols % 64 == 0 ? cols + 16 : cols; }

// src (rows, cols) -> dst (rows, cols) rows ld apart; src itself when ld == cols.
static const float *pad_rows(const float *src, size_t rows, size_t cols, size_t ld, float *dst) {
    if (ld == cols) return src;
    for (size_t i = 0; i < rows; i++) memcpy(dst + i * ld, src + i * cols, cols * sizeof *dst);
    return dst;
}

// ---- the weight gradient the other way round ----------------------------------
// The tile computes whole panels of NR columns (or one vector for a last narrow
// panel), so dW (N, K) with K = 34 computes 48 columns for 34 on AVX-512. When
// N fills panels better, dW^T (K, N) = x^T dz is computed into scratch and added
// back transposed (toy MLP's first layer, 4096 x 34 -> 128: dW 0.55 -> 0.40 ms).
enum { TRANSPOSED_MAX = 1 << 16 };   // floats of scratch for dW^T: only small layers

// Columns the tile computes for a product P wide.
static size_t tile_width(size_t P) {
    size_t r = P % NR;
    return P - r + (r == 0 ? 0 : r <= VL ? VL : NR);
}

static int dW_transposed(size_t K, size_t N) {
    return K * N <= TRANSPOSED_MAX && tile_width(N) * K < tile_width(K) * N;
}

// dW (N, K) += t (K, N)^T
static void add_transposed(const float *t, float *dW, size_t K, size_t N) {
    for (size_t n = 0; n < N; n++)
        for (size_t k = 0; k < K; k++) dW[n * K + k] += t[k * N + n];
}

// ---- the kernel entry points ------------------------------------------------
// x (M, K), W (N, K), b (N) -> y (M, N) = act(z), slope (M, N) = act'(z) optional
static void dense_forward(const float *x, const float *W, const float *b, float *slope, float *y,
                          int M_, int K_, int N_, td_act act) {
    if (M_ <= 0 || N_ <= 0 || K_ < 0) return;
    size_t M = (size_t)M_, K = (size_t)K_, N = (size_t)N_;
    if (M <= DOT_MAX_M || N <= DOT_MAX_N || K == 0) {
        float *out = slope ? slope : y, *xp = NULL;   // z, before the activation pass
        size_t ldx = M > 1 && M <= DOT_MAX_M ? padded_ld(K) : K;
        if (ldx != K && !(xp = malloc(M * ldx * sizeof *xp))) ldx = K;   // unpadded is as right
        dot_forward(pad_rows(x, M, K, ldx, xp), ldx, W, b, out, M, K, N);
        free(xp);
        if (slope) act_forward_slope(slope, y, M * N, act);
        else if (act != TD_ACT_NONE) act_forward(y, y, M * N, act);
        return;
    }
    float *scratch = malloc(GEMM_SCRATCH * sizeof *scratch);
    if (!scratch) {
        td_dense_ref.forward(x, W, b, slope, y, M_, K_, N_, act);
        return;
    }
    gemm_args g = {M, N, K, x, K, 1, W, 1, K, y, slope, b, 0, act};
    gemm(&g, scratch);
    free(scratch);
}

// dy (M, N) -> dz = dy * slope in place; dx (M, K) = dz W; dW (N, K) += dz^T x; db (N) += sum dz
static void dense_backward(const float *x, const float *W, const float *slope, float *dy,
                           float *dx, float *dW, float *db, int M_, int K_, int N_, td_act act) {
    if (M_ <= 0 || N_ < 0 || K_ < 0) return;
    size_t M = (size_t)M_, K = (size_t)K_, N = (size_t)N_;
    if (N == 0) {   // dz is empty; dx = dz W is a sum of nothing
        if (dx) memset(dx, 0, M * K * sizeof *dx);
        return;
    }
    float *scratch = NULL;
    int few = N <= DOT_MAX_N && M > STREAM_DW_MAX_M;   // few outputs: few_dx / few_dW, no scratch
    int needs_gemm = !few && K > 0 && ((dx && M > STREAM_MAX_M) || M > STREAM_DW_MAX_M);
    int few_rows = M <= DOT_MAX_M;   // few rows: pad dz and x (see padded_ld)
    size_t ldz = few_rows ? padded_ld(N) : N, ldx = few_rows ? padded_ld(K) : K;
    int transposed = needs_gemm && !few_rows && dW_transposed(K, N);
    size_t extra = (ldz != N ? M * ldz : 0) + (ldx != K ? M * ldx : 0) + (transposed ? K * N : 0);
    if (needs_gemm && !(scratch = malloc((GEMM_SCRATCH + extra) * sizeof *scratch))) {
        // Before touching dy, so the reference sees the original.
        td_dense_ref.backward(x, W, slope, dy, dx, dW, db, M_, K_, N_, act);
        return;
    }
    slope_backward(slope, dy, M * N, act);
    if (db) {
        size_t n = 0;
        for (; n + VL <= N; n += VL) {
            vf s = vf_zero();
            for (size_t i = 0; i < M; i++) s = vf_add(s, vf_load(dy + i * N + n));
            vf_store(db + n, vf_add(vf_load(db + n), s));
        }
        for (; n < N; n++) {   // four partial sums: one chain of M adds was 20% of 256x128->2
            float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            size_t i = 0;
            for (; i + 4 <= M; i += 4)
                for (size_t u = 0; u < 4; u++) s[u] += dy[(i + u) * N + n];
            for (; i < M; i++) s[0] += dy[i * N + n];
            db[n] += (s[0] + s[1]) + (s[2] + s[3]);
        }
    }
    const float *dz = dy, *xs = x;
    if (needs_gemm) {
        dz = pad_rows(dy, M, N, ldz, scratch + GEMM_SCRATCH);
        xs = pad_rows(x, M, K, ldx, scratch + GEMM_SCRATCH + (ldz != N ? M * ldz : 0));
    }
    if (few && K > 0) {
        few_backward(x, W, dy, dx, dW, M, K, N);
        return;
    }
    if (K > 0 && dx) {
        if (M <= STREAM_MAX_M) {
            stream_dx(W, dy, dx, M, K, N);
        } else {
            gemm_args g = {M, K, N, dz, ldz, 1, W, K, 1, dx, NULL, NULL, 0, TD_ACT_NONE};
            gemm(&g, scratch);
        }
    }
    if (K > 0 && M <= STREAM_DW_MAX_M) {
        stream_dW(x, dy, dW, M, K, N);
    } else if (K > 0 && few_rows) {
        few_rows_dW(xs, ldx, dz, ldz, dW, M, K, N);
    } else if (transposed) {   // t (K, N) = x^T dz, then dW += t^T
        float *t = scratch + GEMM_SCRATCH + extra - K * N;
        gemm_args g = {K, N, M, xs, 1, ldx, dz, ldz, 1, t, NULL, NULL, 0, TD_ACT_NONE};
        gemm(&g, scratch);
        add_transposed(t, dW, K, N);
    } else if (K > 0) {
        gemm_args g = {N, K, M, dz, 1, ldz, xs, ldx, 1, dW, NULL, NULL, 1, TD_ACT_NONE};
        gemm(&g, scratch);
    }
    free(scratch);
}

#define TD_DENSE_KERNEL(name) {name, dense_forward, dense_backward, act_forward, act_backward}
