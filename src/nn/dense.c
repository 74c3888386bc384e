// dense.c - picks the kernel path: by CPU features at run time on x86, at
// compile time under Emscripten, the reference everywhere else.
//
// The ISA files are compiled with their own flags (-mavx2 -mfma, -mavx512f...),
// so nothing in them may run before the check below says the CPU has them.
// The check is asked each time rather than cached: it is a few loads, and a
// cache would be global mutable state.
#include "nn/dense.h"

#include "nn/dense_paths.h"

#if defined(TD_X86)
static int cpu_has(td_dense_path path) {
    __builtin_cpu_init();
    switch (path) {
    case TD_PATH_SSE2: return 1;   // part of x86-64
    case TD_PATH_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case TD_PATH_AVX512: return __builtin_cpu_supports("avx512f");
    default: return 0;
    }
}
#endif

const td_dense_kernel *td_dense_kernel_for(td_dense_path path) {
    switch (path) {
    case TD_PATH_REF: return &td_dense_ref;
#if defined(TD_X86)
    case TD_PATH_SSE2: return cpu_has(path) ? &td_dense_sse2 : NULL;
    case TD_PATH_AVX2: return cpu_has(path) ? &td_dense_avx2 : NULL;
    case TD_PATH_AVX512: return cpu_has(path) ? &td_dense_avx512 : NULL;
#endif
#if defined(__EMSCRIPTEN__)
    case TD_PATH_WASM128: return &td_dense_wasm128;
#endif
    default: return NULL;
    }
}

// AVX-512 first: on this project's reference machine (Zen 4) it is no slower
// than AVX2 and it has twice the registers for the tiles.
td_dense_path td_dense_best_path(void) {
    static const td_dense_path order[] = {TD_PATH_AVX512, TD_PATH_AVX2, TD_PATH_WASM128,
                                          TD_PATH_SSE2};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (td_dense_kernel_for(order[i])) return order[i];
    return TD_PATH_REF;
}

void td_dense_forward(const float *x, const float *W, const float *b, float *slope, float *y,
                      int M, int K, int N, td_act act) {
    td_dense_kernel_for(td_dense_best_path())->forward(x, W, b, slope, y, M, K, N, act);
}

void td_dense_backward(const float *x, const float *W, const float *slope, float *dy,
                       float *dx, float *dW, float *db, int M, int K, int N, td_act act) {
    td_dense_kernel_for(td_dense_best_path())->backward(x, W, slope, dy, dx, dW, db, M, K, N, act);
}
