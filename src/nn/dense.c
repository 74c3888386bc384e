// dense.c - picks the kernel path: by CPU features at run time on x86, at
// compile time under Emscripten, the reference everywhere else.
#include "nn/dense.h"

#include "nn/dense_paths.h"

const td_dense_kernel *td_dense_kernel_for(td_dense_path path) {
    switch (path) {
    case TD_PATH_REF: return &td_dense_ref;
    default: return NULL;
    }
}

td_dense_path td_dense_best_path(void) { return TD_PATH_REF; }

void td_dense_forward(const float *x, const float *W, const float *b, float *z, float *y,
                      int M, int K, int N, td_act act) {
    td_dense_kernel_for(td_dense_best_path())->forward(x, W, b, z, y, M, K, N, act);
}

void td_dense_backward(const float *x, const float *W, const float *z, float *dy,
                       float *dx, float *dW, float *db, int M, int K, int N, td_act act) {
    td_dense_kernel_for(td_dense_best_path())->backward(x, W, z, dy, dx, dW, db, M, K, N, act);
}
