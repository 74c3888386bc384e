// simd.h - internal: the few vector operations the dense kernels need, mapped
// once per instruction set (the ggml idea), plus each set's tile sizes.
//
// The includer defines exactly one of TD_SIMD_SSE2, TD_SIMD_AVX2,
// TD_SIMD_AVX512, TD_SIMD_WASM128 and is compiled with that set's flags;
// dense_simd.h is then written once against these names.
//
//   vf            a vector of VL floats
//   vf_fmadd      a * b + c (fused where the ISA has it; wasm and SSE2 do not)
//   vf_max/min    SSE semantics: max(a, b) = a > b ? a : b (so max(z, 0) is ReLU
//                 exactly as the reference writes it, NaN included)
//   vf_round      round to the nearest integer, as a float
//   vf_pow2i(n)   2^n for an integral float n in [-126, 127]
//   vf_scale2(p, n)  p * 2^n for an integral float n in [-126, 127] (one
//                 vscalefps on AVX-512)
//   vf_recip(d)   1 / d to a few ulp for normal d: the hardware estimate and
//                 one Newton step (a division takes several times longer);
//                 an exact division on wasm, which has no estimate
//   vf_step(z)    1.0f where z > 0, else 0.0f
//   vf_reduce(v)  the sum of the lanes
//   vf_reduce4    the four lane sums of a, b, c, d stored to out[0..3] (one
//                 transpose-and-add tree instead of four reductions)
//
// Tile sizes (see dense_simd.h for their roles):
//   MR x NV*VL    rows x columns of the broadcast micro-kernel's register tile
//   DM x DN       rows of x x rows of W of the dot-product tile (small M or N)
//   KC, NC, MC    cache blocks: K depth of a packed panel, columns per packed
//                 block, rows of x per pass
#ifndef TD_SIMD_H
#define TD_SIMD_H

#if defined(TD_SIMD_AVX512)
#include <immintrin.h>
#define VL 16
#define MR 8
#define NV 2
#define DM 4
#define DN 4
#define KC 128
typedef __m512 vf;
#define vf_load(p) _mm512_loadu_ps(p)
#define vf_store(p, v) _mm512_storeu_ps(p, v)
#define vf_set1(x) _mm512_set1_ps(x)
#define vf_zero() _mm512_setzero_ps()
#define vf_add(a, b) _mm512_add_ps(a, b)
#define vf_sub(a, b) _mm512_sub_ps(a, b)
#define vf_mul(a, b) _mm512_mul_ps(a, b)
#define vf_div(a, b) _mm512_div_ps(a, b)
#define vf_max(a, b) _mm512_max_ps(a, b)
#define vf_min(a, b) _mm512_min_ps(a, b)
#define vf_fmadd(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vf_round(x) _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define vf_pow2i(n) _mm512_castsi512_ps(_mm512_slli_epi32( \
    _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23))
#define vf_scale2(p, n) _mm512_scalef_ps(p, n)
static inline __m512 vf_recip(__m512 d) {
    __m512 r = _mm512_rcp14_ps(d);   // 2^-14 relative error; Newton squares it
    return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(1.0f)), r);
}
#define vf_step(z) _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_GT_OQ), \
                                       _mm512_set1_ps(1.0f))
#define vf_reduce(v) _mm512_reduce_add_ps(v)
static inline void vf_reduce4(vf a, vf b, vf c, vf d, float *out) {
    vf t0 = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
    vf t1 = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
    vf u = _mm512_add_ps(_mm512_shuffle_ps(t0, t1, _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 2, 3, 2)));
    __m128 lo = _mm_add_ps(_mm512_extractf32x4_ps(u, 0), _mm512_extractf32x4_ps(u, 1));
    __m128 hi = _mm_add_ps(_mm512_extractf32x4_ps(u, 2), _mm512_extractf32x4_ps(u, 3));
    _mm_storeu_ps(out, _mm_add_ps(lo, hi));
}

#elif defined(TD_SIMD_AVX2)
#include <immintrin.h>
#define VL 8
#define MR 6
#define NV 2
#define DM 2
#define DN 4
#define KC 256
typedef __m256 vf;
#define vf_load(p) _mm256_loadu_ps(p)
#define vf_store(p, v) _mm256_storeu_ps(p, v)
#define vf_set1(x) _mm256_set1_ps(x)
#define vf_zero() _mm256_setzero_ps()
#define vf_add(a, b) _mm256_add_ps(a, b)
#define vf_sub(a, b) _mm256_sub_ps(a, b)
#define vf_mul(a, b) _mm256_mul_ps(a, b)
#define vf_div(a, b) _mm256_div_ps(a, b)
#define vf_max(a, b) _mm256_max_ps(a, b)
#define vf_min(a, b) _mm256_min_ps(a, b)
#define vf_fmadd(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vf_round(x) _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define vf_pow2i(n) _mm256_castsi256_ps(_mm256_slli_epi32( \
    _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23))
#define vf_scale2(p, n) _mm256_mul_ps(p, vf_pow2i(n))
static inline __m256 vf_recip(__m256 d) {
    __m256 r = _mm256_rcp_ps(d);   // 1.5 * 2^-12 relative error; Newton squares it
    return _mm256_fmadd_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(1.0f)), r);
}
#define vf_step(z) _mm256_and_ps(_mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_GT_OQ), \
                                 _mm256_set1_ps(1.0f))
static inline float vf_reduce(vf v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
}
static inline void vf_reduce4(vf a, vf b, vf c, vf d, float *out) {
    vf t0 = _mm256_add_ps(_mm256_unpacklo_ps(a, b), _mm256_unpackhi_ps(a, b));
    vf t1 = _mm256_add_ps(_mm256_unpacklo_ps(c, d), _mm256_unpackhi_ps(c, d));
    vf u = _mm256_add_ps(_mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 2, 3, 2)));
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(u), _mm256_extractf128_ps(u, 1)));
}

#elif defined(TD_SIMD_SSE2)
#include <emmintrin.h>
#define VL 4
#define MR 6
#define NV 2
#define DM 2
#define DN 4
#define KC 256
typedef __m128 vf;
#define vf_load(p) _mm_loadu_ps(p)
#define vf_store(p, v) _mm_storeu_ps(p, v)
#define vf_set1(x) _mm_set1_ps(x)
#define vf_zero() _mm_setzero_ps()
#define vf_add(a, b) _mm_add_ps(a, b)
#define vf_sub(a, b) _mm_sub_ps(a, b)
#define vf_mul(a, b) _mm_mul_ps(a, b)
#define vf_div(a, b) _mm_div_ps(a, b)
#define vf_max(a, b) _mm_max_ps(a, b)
#define vf_min(a, b) _mm_min_ps(a, b)
#define vf_fmadd(a, b, c) _mm_add_ps(_mm_mul_ps(a, b), c)
// Inputs are clamped to |x| < 2^31 before rounding, so the int trip is exact.
#define vf_round(x) _mm_cvtepi32_ps(_mm_cvtps_epi32(x))
#define vf_pow2i(n) _mm_castsi128_ps(_mm_slli_epi32( \
    _mm_add_epi32(_mm_cvtps_epi32(n), _mm_set1_epi32(127)), 23))
#define vf_scale2(p, n) _mm_mul_ps(p, vf_pow2i(n))
static inline __m128 vf_recip(__m128 d) {
    __m128 r = _mm_rcp_ps(d);   // 1.5 * 2^-12 relative error; Newton squares it
    return _mm_add_ps(r, _mm_mul_ps(r, _mm_sub_ps(_mm_set1_ps(1.0f), _mm_mul_ps(d, r))));
}
#define vf_step(z) _mm_and_ps(_mm_cmpgt_ps(z, _mm_setzero_ps()), _mm_set1_ps(1.0f))
static inline float vf_reduce(vf v) {
    __m128 s = _mm_add_ps(v, _mm_movehl_ps(v, v));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
}
static inline void vf_reduce4(vf a, vf b, vf c, vf d, float *out) {
    vf t0 = _mm_add_ps(_mm_unpacklo_ps(a, b), _mm_unpackhi_ps(a, b));   // a02 b02 a13 b13
    vf t1 = _mm_add_ps(_mm_unpacklo_ps(c, d), _mm_unpackhi_ps(c, d));
    _mm_storeu_ps(out, _mm_add_ps(_mm_movelh_ps(t0, t1), _mm_movehl_ps(t1, t0)));
}

#elif defined(TD_SIMD_WASM128)
#include <wasm_simd128.h>
#define VL 4
#define MR 4
#define NV 2
#define DM 2
#define DN 4
#define KC 256
typedef v128_t vf;
#define vf_load(p) wasm_v128_load(p)
#define vf_store(p, v) wasm_v128_store(p, v)
#define vf_set1(x) wasm_f32x4_splat(x)
#define vf_zero() wasm_f32x4_splat(0.0f)
#define vf_add(a, b) wasm_f32x4_add(a, b)
#define vf_sub(a, b) wasm_f32x4_sub(a, b)
#define vf_mul(a, b) wasm_f32x4_mul(a, b)
#define vf_div(a, b) wasm_f32x4_div(a, b)
// pmax(x, y) = x < y ? y : x, so pmax(b, a) = a > b ? a : b: the SSE semantics.
#define vf_max(a, b) wasm_f32x4_pmax(b, a)
#define vf_min(a, b) wasm_f32x4_pmin(b, a)
#define vf_fmadd(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), c)
#define vf_round(x) wasm_f32x4_nearest(x)
// No float-to-int conversion (slow in V8): n + 127 + 1.5 * 2^23 holds n + 127 in its
// low mantissa bits, and the shift moves them into the exponent field.
#define vf_pow2i(n) wasm_i32x4_shl(wasm_f32x4_add(n, wasm_f32x4_splat(12583039.0f)), 23)
#define vf_scale2(p, n) wasm_f32x4_mul(p, vf_pow2i(n))
#define vf_recip(d) wasm_f32x4_div(wasm_f32x4_splat(1.0f), d)
#define vf_step(z) wasm_v128_and(wasm_f32x4_gt(z, wasm_f32x4_splat(0.0f)), wasm_f32x4_splat(1.0f))
static inline float vf_reduce(vf v) {
    return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
           (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}
static inline void vf_reduce4(vf a, vf b, vf c, vf d, float *out) {
    vf t0 = wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
    vf t1 = wasm_f32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
    wasm_v128_store(out, wasm_f32x4_add(wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5),
                                        wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7)));
}

#else
#error "define one of TD_SIMD_SSE2, TD_SIMD_AVX2, TD_SIMD_AVX512, TD_SIMD_WASM128"
#endif

#define NR (NV * VL)   // columns of the broadcast micro-kernel's tile
#define NC 512         // columns per packed block (a multiple of every NR)
#define MC 256         // rows of x per pass over a packed block

#endif
