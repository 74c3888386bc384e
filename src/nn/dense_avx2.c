// dense_avx2.c - the dense kernels for AVX2 + FMA, compiled with its flags (CMake
// adds them by file suffix) and called only after dense.c's CPU check.
#if defined(TD_X86)
#define TD_SIMD_AVX2 1
#include "nn/dense_simd.h"

const td_dense_kernel td_dense_avx2 = TD_DENSE_KERNEL("avx2");
#else
typedef int td_dense_avx2_unused;   // not x86: nothing to compile (ISO C wants a declaration)
#endif
