// dense_paths.h - internal: the kernel tables each path's file defines.
#ifndef TD_DENSE_PATHS_H
#define TD_DENSE_PATHS_H

#include "nn/dense.h"

extern const td_dense_kernel td_dense_ref;
#if defined(TD_X86)
extern const td_dense_kernel td_dense_sse2;
extern const td_dense_kernel td_dense_avx2;
extern const td_dense_kernel td_dense_avx512;
#endif
#if defined(__EMSCRIPTEN__)
extern const td_dense_kernel td_dense_wasm128;
#endif

#endif
