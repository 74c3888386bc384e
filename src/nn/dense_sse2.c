// dense_sse2.c - the dense kernels for SSE2 (every x86-64), compiled with its flags (CMake
// adds them by file suffix) and called only after dense.c's CPU check.
#if defined(TD_X86)
#define TD_SIMD_SSE2 1
#include "nn/dense_simd.h"

const td_dense_kernel td_dense_sse2 = TD_DENSE_KERNEL("sse2");
#else
typedef int td_dense_sse2_unused;   // not x86: nothing to compile (ISO C wants a declaration)
#endif
