// dense_stack.c - a stack of dense layers run row block by row block.
//
// Over a batch of 4096 rows a 128-wide activation is 2 MB: layer by layer, each
// one is written to L3 and read back by the next layer (and again by the
// backward). A block of rows stays in L2 from one layer to the next, and the
// weights of a small MLP stay there across blocks. Any kernel path works: the
// blocks are ordinary forward/backward calls, so each block's forward packs W
// again, which is what keeps blocks from being small.
#include <stdlib.h>

#include "nn/dense.h"

// Rows per block: about BLOCK_FLOATS floats of the widest activation (512 KB:
// 1,024 rows of 128), at least MIN_ROWS so the kernels still take their
// register-tiled form. Measured on Zen 4 (1 MB L2), toy MLP at 4,096 rows:
// 1,024-row blocks ran its AVX-512 forward 2.5% faster than 256-row blocks (W
// packed 4 times instead of 16), the training step and wasm the same.
enum { BLOCK_FLOATS = 131072, MIN_ROWS = 96 };

static size_t block_rows(const td_dense_layer *layers, int L, int M) {
    size_t widest = (size_t)layers[0].K;
    for (int l = 0; l < L; l++)
        if ((size_t)layers[l].N > widest) widest = (size_t)layers[l].N;
    size_t rows = BLOCK_FLOATS / (widest ? widest : 1);
    if (rows < MIN_ROWS) rows = MIN_ROWS;
    return rows < (size_t)M ? rows : (size_t)M;
}

static td_status check_stack(const td_dense_layer *layers, int L, int M, const char *what) {
    if (M <= 0 || L <= 0)
        return td_fail(TD_ERR_ARG, "dense stack %s needs rows and layers, got M %d, %d layers", what, M, L);
    for (int l = 0; l < L; l++) {
        if (layers[l].K < 0 || layers[l].N <= 0 || !layers[l].W || (!layers[l].y && l == L - 1))
            return td_fail(TD_ERR_ARG, "dense stack %s: layer %d has no weights or output, or bad sizes %d x %d",
                           what, l, layers[l].K, layers[l].N);
        if (l > 0 && layers[l].K != layers[l - 1].N)
            return td_fail(TD_ERR_ARG, "dense stack %s: layer %d reads %d values but layer %d writes %d",
                           what, l, layers[l].K, l - 1, layers[l - 1].N);
    }
    return TD_OK;
}

// x (M, K_0) -> slope_l, y_l (M, N_l) for every layer, one block of rows at a time.
// A hidden layer without y (inference) writes its block to one of two
// block-sized buffers instead: its outputs never leave the cache.
td_status td_dense_stack_forward(const td_dense_kernel *kern, const td_dense_layer *layers, int L,
                                 const float *x, int M) {
    td_status s = check_stack(layers, L, M, "forward");
    if (s != TD_OK) return s;
    size_t rows = block_rows(layers, L, M), widest = 0;
    for (int l = 0; l < L - 1; l++)
        if (!layers[l].y && (size_t)layers[l].N > widest) widest = (size_t)layers[l].N;
    float *buf[2] = {NULL, NULL};
    if (widest) {   // rows * widest fits: it is at most M times a layer width
        buf[0] = malloc(2 * rows * widest * sizeof(float));
        if (!buf[0]) return td_fail(TD_ERR_NOMEM, "out of memory for dense stack forward scratch");
        buf[1] = buf[0] + rows * widest;
    }
    for (size_t i0 = 0; i0 < (size_t)M; i0 += rows) {
        size_t r = (size_t)M - i0 < rows ? (size_t)M - i0 : rows;
        const float *in = x + i0 * (size_t)layers[0].K;
        for (int l = 0; l < L; l++) {
            const td_dense_layer *d = &layers[l];
            size_t off = i0 * (size_t)d->N;
            float *out = d->y ? d->y + off : buf[l % 2];
            // block (r, K) -> (r, N)
            kern->forward(in, d->W, d->b, d->slope ? d->slope + off : NULL, out, (int)r, d->K, d->N, d->act);
            in = out;
        }
    }
    free(buf[0]);
    return TD_OK;
}

// dy (M, N_{L-1}) -> dW, db of every layer, dx (M, K_0); per block, layer L-1
// down to 0, the gradient passing through two block-sized buffers.
td_status td_dense_stack_backward(const td_dense_kernel *kern, const td_dense_layer *layers, int L,
                                  const float *x, float *dy, float *dx, int M) {
    td_status s = check_stack(layers, L, M, "backward");
    if (s != TD_OK) return s;
    for (int l = 0; l < L; l++)
        if (!layers[l].slope || !layers[l].y || !layers[l].dW)
            return td_fail(TD_ERR_ARG, "dense stack backward: layer %d kept no slope or output, or has no dW", l);
    size_t rows = block_rows(layers, L, M), widest = 1;
    for (int l = 1; l < L; l++)
        if ((size_t)layers[l].K > widest) widest = (size_t)layers[l].K;
    float *buf[2] = {NULL, NULL};
    if (L > 1) {   // rows * widest fits: it is at most M times a layer width
        buf[0] = malloc(2 * rows * widest * sizeof(float));
        if (!buf[0]) return td_fail(TD_ERR_NOMEM, "out of memory for dense stack backward scratch");
        buf[1] = buf[0] + rows * widest;
    }
    for (size_t i0 = 0; i0 < (size_t)M; i0 += rows) {
        size_t r = (size_t)M - i0 < rows ? (size_t)M - i0 : rows;
        float *g = dy + i0 * (size_t)layers[L - 1].N;   // dL/dy of layer l's block, then dz
        for (int l = L - 1; l >= 0; l--) {
            const td_dense_layer *d = &layers[l];
            const float *in = l > 0 ? layers[l - 1].y + i0 * (size_t)d->K : x + i0 * (size_t)d->K;
            float *gin = l > 0 ? buf[l % 2] : dx ? dx + i0 * (size_t)d->K : NULL;
            // block: dz (r, N), dx (r, K) = dz W, dW (N, K) += dz^T in, db (N) += sum dz
            kern->backward(in, d->W, d->slope + i0 * (size_t)d->N, g, gin, d->dW, d->db, (int)r, d->K,
                           d->N, d->act);
            g = gin;
        }
    }
    free(buf[0]);
    return TD_OK;
}

// ---- a training step, block by block ------------------------------------------
// Forward then backward over the whole batch writes every layer's slopes and
// outputs to memory (12 MB for the toy MLP at 4,096 rows) and reads them back a
// layer later. Here a block of rows goes forward, gets its loss gradient and goes
// back down before the next block starts, so its activations live in block-sized
// scratch that stays in cache. Measured on Zen 4 (AVX-512), toy MLP at 4,096 rows:
// 98-100 GFLOP/s against 84-86 for the forward-then-backward pair; 512-row blocks
// beat 256 and 1,024 (a throwaway driver). A caller that steps often passes the scratch in:
// allocating it per call made glibc move the heap's end (brk) three times a step,
// each time faulting its pages in again (digit MLP at 16 rows: 12% slower).
enum { TRAIN_BLOCK_FLOATS = 65536 };

// Rows per block and the widest activation of a training step; returns its scratch in floats.
static size_t train_shape(const td_dense_layer *layers, int L, int M, size_t *rows, size_t *widest) {
    size_t w = (size_t)layers[0].K, per_row = 0;
    for (int l = 0; l < L; l++) {
        size_t n = (size_t)layers[l].N;
        if (n > w) w = n;
        per_row += 2 * n;   // slope and y (the last layer's y is the caller's)
    }
    per_row += 2 * w;   // two gradient buffers
    size_t r = TRAIN_BLOCK_FLOATS / w;
    if (r < MIN_ROWS) r = MIN_ROWS;
    if (r > (size_t)M) r = (size_t)M;
    *rows = r, *widest = w;
    return r * per_row;   // fits: r <= M, and each term is an M-by-width buffer the caller holds
}

size_t td_dense_stack_train_floats(const td_dense_layer *layers, int L, int M) {
    size_t rows, widest;
    if (M <= 0 || L <= 0 || L > TD_DENSE_STACK_MAX || !layers) return 0;
    return train_shape(layers, L, M, &rows, &widest);
}

td_status td_dense_stack_train(const td_dense_kernel *kern, const td_dense_layer *layers, int L,
                               const float *x, float *dx, int M, td_dense_loss_fn loss, void *ctx,
                               float *work) {
    td_status s = check_stack(layers, L, M, "training step");
    if (s != TD_OK) return s;
    if (L > TD_DENSE_STACK_MAX)
        return td_fail(TD_ERR_ARG, "dense stack training step: %d layers, at most %d", L, TD_DENSE_STACK_MAX);
    for (int l = 0; l < L; l++)
        if (!layers[l].dW)
            return td_fail(TD_ERR_ARG, "dense stack training step: layer %d has no dW", l);
    if (!loss) return td_fail(TD_ERR_ARG, "dense stack training step needs a loss gradient");
    size_t rows, widest, floats = train_shape(layers, L, M, &rows, &widest);
    float *mem = work ? work : malloc(floats * sizeof(float));
    if (!mem) return td_fail(TD_ERR_NOMEM, "out of memory for the dense stack's training scratch");
    td_dense_layer block[TD_DENSE_STACK_MAX];
    float *cursor = mem, *grad[2];
    for (int l = 0; l < L; l++) {
        block[l] = layers[l];
        block[l].slope = cursor;
        cursor += rows * (size_t)layers[l].N;
        block[l].y = cursor;
        cursor += rows * (size_t)layers[l].N;
    }
    grad[0] = cursor;
    grad[1] = cursor + rows * widest;
    size_t out_w = (size_t)layers[L - 1].N;
    for (size_t i0 = 0; i0 < (size_t)M && s == TD_OK; i0 += rows) {
        size_t r = (size_t)M - i0 < rows ? (size_t)M - i0 : rows;
        const float *in = x + i0 * (size_t)layers[0].K;
        block[L - 1].y = layers[L - 1].y + i0 * out_w;   // the predictions go to the caller
        for (int l = 0; l < L; l++) {
            const td_dense_layer *d = &block[l];
            kern->forward(in, d->W, d->b, d->slope, d->y, (int)r, d->K, d->N, d->act);
            in = d->y;
        }
        float *g = grad[0];
        s = loss(ctx, block[L - 1].y, g, (int)i0, (int)r);
        for (int l = L - 1; l >= 0 && s == TD_OK; l--) {
            const td_dense_layer *d = &block[l];
            const float *din = l > 0 ? block[l - 1].y : x + i0 * (size_t)d->K;
            float *gin = l > 0 ? grad[(L - l) % 2] : dx ? dx + i0 * (size_t)d->K : NULL;
            kern->backward(din, d->W, d->slope, g, gin, d->dW, d->db, (int)r, d->K, d->N, d->act);
            g = gin;
        }
    }
    if (!work) free(mem);
    return s;
}

