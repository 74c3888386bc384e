// dense_wasm.c - the dense kernels for WebAssembly SIMD128 (no FMA: mul + add),
// chosen at compile time under Emscripten; CMake adds -msimd128 for this file.
#if defined(__EMSCRIPTEN__)
#if !defined(__wasm_simd128__)
#error "dense_wasm.c needs -msimd128"
#endif
#define TD_SIMD_WASM128 1
#include "nn/dense_simd.h"

const td_dense_kernel td_dense_wasm128 = TD_DENSE_KERNEL("wasm128");
#else
typedef int td_dense_wasm_unused;   // not Emscripten: nothing to compile (ISO C wants a declaration)
#endif
