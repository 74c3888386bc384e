// conv.h - 2-D convolution (stride 1, 'same' padding) and 2x2 max-pooling on
// NHWC images, forward and backward side by side.
//
// Convolution as a matrix product (im2col): every output pixel's k x k x C_in
// input patch becomes one row of `cols`, so
//   cols (B*H*W, k*k*C_in) x W^T -> y (B*H*W, C_out)
// is one call of the fast dense kernel (nn/dense.h), bias and activation fused,
// and the result is already NHWC. The weight is stored as (C_out, k, k, C_in),
// i.e. a dense weight (C_out, k*k*C_in) whose row is one filter with the patch
// in (dy, dx, c) order: the order im2col writes. Pixels outside the image read
// as zero ('same' padding, k odd, pad = k / 2).
//
// Backward runs the dense backward on cols (giving dW, db and dcols) and then
// col2im scatters dcols back onto the input pixels (the adjoint of im2col).
//
//   td_conv2d c;  td_conv2d_init(&c, &p, "conv1", 28, 28, 3, 16, 5, TD_ACT_RELU);
//   ... td_params_alloc(&p); td_params_init_weights(&p, &rng);
//   forward:  td_conv2d_forward(&c, &p, x, cols, slope, y, B)    (slope may be NULL)
//   backward: td_conv2d_backward(&c, &p, cols, slope, dy, dcols, dx, B)
// with cols and dcols sized td_conv2d_cols_size(&c, B) floats.
#ifndef TD_CONV_H
#define TD_CONV_H

#include <stddef.h>

#include "core/status.h"
#include "nn/dense.h"
#include "nn/params.h"

enum { TD_CONV_MAX_KERNEL = 15, TD_CONV_MAX_SIDE = 4096, TD_CONV_MAX_CHANNELS = 4096 };

typedef struct {
    int H, W;          // image size (input and output)
    int C_in, C_out;
    int k;             // odd kernel side
    td_act act;
    size_t w, b;       // offsets of weight (C_out, k, k, C_in) and bias (C_out) in td_params
} td_conv2d;

// Validate the sizes (positive, k odd and <= TD_CONV_MAX_KERNEL, caps) and
// declare "<prefix>.weight" (init U(+-1/sqrt(k*k*C_in))) and "<prefix>.bias".
td_status td_conv2d_init(td_conv2d *c, td_params *p, const char *prefix, int H, int W, int C_in,
                         int C_out, int k, td_act act);

// Floats in one patch matrix for a batch of B: B*H*W*k*k*C_in; 0 on overflow.
size_t td_conv2d_cols_size(const td_conv2d *c, int B);

// x (B, H, W, C_in) -> cols (B*H*W, k*k*C_in): row (b, y, x) holds the patch
// centred on pixel (y, x), zeros outside the image.
void td_im2col(const float *x, float *cols, int B, int H, int W, int C, int k);

// The adjoint: dcols (B*H*W, k*k*C) -> dx (B, H, W, C), overwritten: each input
// pixel receives the sum of every patch entry that read it.
void td_col2im(const float *dcols, float *dx, int B, int H, int W, int C, int k);

// x (B, H, W, C_in) -> y (B, H, W, C_out) = act(conv(x) + b); cols is scratch
// that backward needs again; slope (B, H, W, C_out) the activation's slope act'(z) for backward, or NULL.
void td_conv2d_forward(const td_conv2d *c, const td_params *p, const float *x, float *cols,
                       float *slope, float *y, int B);

// dy (B, H, W, C_out) = dL/dy, overwritten with dL/dz. Accumulates dW, db in
// p->grad; dcols is scratch; dx (B, H, W, C_in) = dL/dx unless dx is NULL.
void td_conv2d_backward(const td_conv2d *c, td_params *p, const float *cols, const float *slope,
                        float *dy, float *dcols, float *dx, int B);

// x (B, H, W, C) -> y (B, H/2, W/2, C): the max of each 2x2 block (H, W even);
// argmax (B, H/2, W/2, C) receives the winner's index into x, for backward.
void td_maxpool2_forward(const float *x, float *y, int *argmax, int B, int H, int W, int C);

// dy (B, H/2, W/2, C) -> dx (B, H, W, C), overwritten: each block's gradient
// goes to its max (ties: the first in row-major order), zero elsewhere.
void td_maxpool2_backward(const float *dy, const int *argmax, float *dx, int B, int H, int W,
                          int C);

#endif
