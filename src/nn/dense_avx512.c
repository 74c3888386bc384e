// dense_avx512.c - the dense kernels for AVX-512F, compiled with its flags (CMake
// adds them by file suffix) and called only after dense.c's CPU check.
#if defined(TD_X86)
#define TD_SIMD_AVX512 1
#include "nn/dense_simd.h"

const td_dense_kernel td_dense_avx512 = TD_DENSE_KERNEL("avx512");
#else
typedef int td_dense_avx512_unused;   // not x86: nothing to compile (ISO C wants a declaration)
#endif
