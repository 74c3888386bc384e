// dense.h - the fully connected layer, y = act(x W^T + b), forward and backward.
//
// Layout follows PyTorch's Linear: W is (N, K) row-major, so a row of W is one
// output unit's weights. Bias and activation are fused into the kernels: the
// output is written once, never re-read for a separate bias or activation pass.
//
// A training forward keeps the activation's slope act'(z) at every output, not
// z itself: it comes almost free from the sigmoid the forward computes anyway,
// and the backward then multiplies instead of evaluating exp again (SiLU's
// gradient pass was 5% of the toy MLP's training step).
//
// Several kernel paths compute the same thing: a scalar reference (the ground
// truth every fast path is tested against), SSE2, AVX2+FMA and AVX-512 chosen
// at run time from the CPU's features, and WASM SIMD128 chosen at compile time.
#ifndef TD_DENSE_H
#define TD_DENSE_H

#include <stddef.h>

#include "core/status.h"

typedef enum {
    TD_ACT_NONE = 0,
    TD_ACT_RELU,
    TD_ACT_SILU,   // z * sigmoid(z)
    TD_ACT_GELU,   // tanh approximation: 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))
    TD_ACT_TANH,
} td_act;

typedef enum {
    TD_PATH_REF = 0,   // plain C, the reference
    TD_PATH_SSE2,
    TD_PATH_AVX2,      // AVX2 + FMA
    TD_PATH_AVX512,
    TD_PATH_WASM128,   // WebAssembly SIMD128
    TD_PATH_COUNT
} td_dense_path;

// One kernel path's entry points; see td_dense_forward/backward for meaning.
typedef struct {
    const char *name;
    void (*forward)(const float *x, const float *W, const float *b, float *slope, float *y,
                    int M, int K, int N, td_act act);
    void (*backward)(const float *x, const float *W, const float *slope, float *dy,
                     float *dx, float *dW, float *db, int M, int K, int N, td_act act);
    // The activation alone, from the pre-activation z, for callers that keep it
    // separate (the benchmark's BLAS baseline): y (n) = act(z (n)), y may equal z;
    // dy (n) *= act'(z (n)).
    void (*activate)(const float *z, float *y, size_t n, td_act act);
    void (*activate_backward)(const float *z, float *dy, size_t n, td_act act);
} td_dense_kernel;

// Forward: x (M, K), W (N, K), b (N) or NULL -> y (M, N) = act(z), z = x W^T + b,
// and slope (M, N) = act'(z) for a later backward, or NULL when the caller does
// not train. y may not alias x.
void td_dense_forward(const float *x, const float *W, const float *b, float *slope, float *y,
                      int M, int K, int N, td_act act);

// Backward: dy (M, N) is the gradient w.r.t. y and is overwritten with the
// gradient w.r.t. z (dy * slope); slope is the forward's, and is not read when
// act is TD_ACT_NONE (it may be NULL then).
//   dx (M, K)  = dz W           overwritten; NULL to skip (the first layer)
//   dW (N, K) += dz^T x         accumulated, as gradients are
//   db (N)    += sum_rows dz    accumulated; NULL when there is no bias
void td_dense_backward(const float *x, const float *W, const float *slope, float *dy,
                       float *dx, float *dW, float *db, int M, int K, int N, td_act act);

// ---- a stack of layers, run row block by row block --------------------------
// Layer l reads layer l-1's output (layer 0 reads x). Layer by layer over a
// large batch, every activation makes a round trip through L3 between layers;
// here a block of rows runs through ALL layers (forward) or back down all of
// them (backward) while its activations stay in L2. Results match the
// layer-by-layer calls up to summation order (dW sums blocks in turn).
typedef struct {
    int K, N;             // x (M, K) -> y (M, N); K equals the previous layer's N
    td_act act;
    const float *W, *b;   // W (N, K), b (N) or NULL
    float *slope;         // (M, N) act'(z), kept for backward; NULL for inference
    float *y;             // (M, N) output; may be NULL for a hidden layer in inference
    float *dW, *db;       // backward: dW (N, K) +=, db (N) += (NULL when b is NULL)
} td_dense_layer;

// x (M, layers[0].K) -> every layers[l].slope and layers[l].y that is not NULL (a
// hidden y left NULL stays in block-sized scratch: TD_ERR_NOMEM if that cannot
// be had). kern: a path from td_dense_kernel_for (normally the best one).
// TD_ERR_ARG for M <= 0, L <= 0, widths that do not chain or no final y.
td_status td_dense_stack_forward(const td_dense_kernel *kern, const td_dense_layer *layers, int L,
                                 const float *x, int M);

// Backward of a forward that kept every slope and y: dy (M, layers[L-1].N) is dL/dy and
// is overwritten (as td_dense_backward does); every dW, db accumulates; dx
// (M, layers[0].K) = dL/dx unless NULL. Scratch of two blocks is allocated
// (TD_ERR_NOMEM if it cannot be, before anything is written).
td_status td_dense_stack_backward(const td_dense_kernel *kern, const td_dense_layer *layers, int L,
                                  const float *x, float *dy, float *dx, int M);

// A whole training step, row block by row block: each block goes forward through
// every layer, `loss` turns its output into dL/dy, and it goes back down every
// layer before the next block starts, its activations never leaving the cache.
// loss(ctx, y, dy, first, rows): y (rows, N_{L-1}) are rows [first, first + rows)
// of the output; write dL/dy there into dy (rows, N_{L-1}); a status other than
// TD_OK stops the step and is returned. layers[L-1].y (M, N_{L-1}) receives the
// output; the other layers' slope and y are not used (block scratch instead).
// Every dW, db accumulates; dx (M, layers[0].K) = dL/dx unless NULL. Matches
// td_dense_stack_forward + td_dense_stack_backward up to summation order.
// work: td_dense_stack_train_floats(layers, L, M) floats of scratch, or NULL to
// allocate them for this call. At most TD_DENSE_STACK_MAX layers.
enum { TD_DENSE_STACK_MAX = 16 };
typedef td_status (*td_dense_loss_fn)(void *ctx, const float *y, float *dy, int first, int rows);
td_status td_dense_stack_train(const td_dense_kernel *kern, const td_dense_layer *layers, int L,
                               const float *x, float *dx, int M, td_dense_loss_fn loss, void *ctx,
                               float *work);
size_t td_dense_stack_train_floats(const td_dense_layer *layers, int L, int M);   // 0 if invalid

// Elementwise activation and its derivative (the reference definitions).
float td_act_apply(td_act act, float z);
float td_act_grad(td_act act, float z);   // d act / d z at z
const char *td_act_name(td_act act);

// The kernel for `path`, or NULL when this build or CPU cannot run it.
const td_dense_kernel *td_dense_kernel_for(td_dense_path path);

// The fastest path this build and CPU support (what td_dense_forward uses).
td_dense_path td_dense_best_path(void);

#endif
