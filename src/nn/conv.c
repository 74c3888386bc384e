// conv.c - convolution by im2col on the dense kernel, and 2x2 max-pooling (see conv.h).
#include "nn/conv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

td_status td_conv2d_init(td_conv2d *c, td_params *p, const char *prefix, int H, int W, int C_in,
                         int C_out, int k, td_act act) {
    if (!c || !p || !prefix) return td_fail(TD_ERR_ARG, "conv2d: missing layer, params or name");
    if (H <= 0 || W <= 0 || H > TD_CONV_MAX_SIDE || W > TD_CONV_MAX_SIDE)
        return td_fail(TD_ERR_ARG, "conv2d '%s': image %d x %d is outside 1..%d", prefix, H, W,
                       TD_CONV_MAX_SIDE);
    if (C_in <= 0 || C_out <= 0 || C_in > TD_CONV_MAX_CHANNELS || C_out > TD_CONV_MAX_CHANNELS)
        return td_fail(TD_ERR_ARG, "conv2d '%s': channels %d -> %d are outside 1..%d", prefix,
                       C_in, C_out, TD_CONV_MAX_CHANNELS);
    if (k <= 0 || k % 2 == 0 || k > TD_CONV_MAX_KERNEL)
        return td_fail(TD_ERR_ARG, "conv2d '%s': kernel %d must be odd and 1..%d", prefix, k,
                       TD_CONV_MAX_KERNEL);
    if (act < TD_ACT_NONE || act > TD_ACT_TANH) return td_fail(TD_ERR_ARG, "conv2d '%s': unknown activation", prefix);
    // A single dense call multiplies B*H*W rows by k*k*C_in: both must fit an int.
    if ((long long)H * W > 1 << 24 || (long long)k * k * C_in > 1 << 24)
        return td_fail(TD_ERR_LIMIT, "conv2d '%s': %d x %d x %d with kernel %d is too large",
                       prefix, H, W, C_in, k);
    char name[TD_PARAM_NAME_MAX];
    int wshape[4] = {C_out, k, k, C_in}, bshape[1] = {C_out};
    float scale = 1.0f / sqrtf((float)(k * k * C_in));
    td_conv2d layer = {H, W, C_in, C_out, k, act, 0, 0};
    if (snprintf(name, sizeof name, "%s.weight", prefix) >= (int)sizeof name)
        return td_fail(TD_ERR_ARG, "conv2d: name '%s' is too long", prefix);
    td_status st = td_params_declare(p, name, 4, wshape, TD_INIT_UNIFORM, scale, &layer.w);
    if (st != TD_OK) return st;
    snprintf(name, sizeof name, "%s.bias", prefix);
    st = td_params_declare(p, name, 1, bshape, TD_INIT_UNIFORM, scale, &layer.b);
    if (st != TD_OK) return st;
    *c = layer;
    return TD_OK;
}

size_t td_conv2d_cols_size(const td_conv2d *c, int B) {
    size_t rows = 0, out = 0;
    if (!c || B <= 0) return 0;
    if (td_mul_size((size_t)B, (size_t)c->H * (size_t)c->W, &rows) ||
        td_mul_size(rows, (size_t)c->k * (size_t)c->k * (size_t)c->C_in, &out))
        return 0;
    return out;
}

// ---- im2col and its adjoint ------------------------------------------------------

// x (B, H, W, C) -> cols (B*H*W, k*k*C)
void td_im2col(const float *x, float *cols, int B_, int H_, int W_, int C_, int k_) {
    size_t H = (size_t)H_, W = (size_t)W_, C = (size_t)C_, k = (size_t)k_;
    size_t pad = k / 2, row_len = k * k * C;
    float *row = cols;
    for (size_t b = 0; b < (size_t)B_; b++) {
        const float *img = x + b * H * W * C;
        for (size_t y = 0; y < H; y++) {
            for (size_t x0 = 0; x0 < W; x0++, row += row_len) {
                float *dst = row;
                // Patch rows above or below the image, and columns beside it, read zero.
                for (size_t dy = 0; dy < k; dy++, dst += k * C) {
                    size_t sy = y + dy;   // input row + pad
                    if (sy < pad || sy - pad >= H) {
                        memset(dst, 0, k * C * sizeof *dst);
                        continue;
                    }
                    const float *src_row = img + (sy - pad) * W * C;
                    for (size_t dx = 0; dx < k; dx++) {
                        size_t sx = x0 + dx;
                        if (sx < pad || sx - pad >= W)
                            memset(dst + dx * C, 0, C * sizeof *dst);
                        else
                            memcpy(dst + dx * C, src_row + (sx - pad) * C, C * sizeof *dst);
                    }
                }
            }
        }
    }
}

// dcols (B*H*W, k*k*C) -> dx (B, H, W, C), overwritten
void td_col2im(const float *dcols, float *dx, int B_, int H_, int W_, int C_, int k_) {
    size_t H = (size_t)H_, W = (size_t)W_, C = (size_t)C_, k = (size_t)k_;
    size_t pad = k / 2, row_len = k * k * C;
    memset(dx, 0, (size_t)B_ * H * W * C * sizeof *dx);
    const float *row = dcols;
    for (size_t b = 0; b < (size_t)B_; b++) {
        float *img = dx + b * H * W * C;
        for (size_t y = 0; y < H; y++) {
            for (size_t x0 = 0; x0 < W; x0++, row += row_len) {
                for (size_t dy = 0; dy < k; dy++) {
                    size_t sy = y + dy;
                    if (sy < pad || sy - pad >= H) continue;
                    float *dst_row = img + (sy - pad) * W * C;
                    const float *src = row + dy * k * C;
                    for (size_t dx_ = 0; dx_ < k; dx_++) {
                        size_t sx = x0 + dx_;
                        if (sx < pad || sx - pad >= W) continue;
                        float *dst = dst_row + (sx - pad) * C;
                        for (size_t c = 0; c < C; c++) dst[c] += src[dx_ * C + c];
                    }
                }
            }
        }
    }
}

// ---- convolution -------------------------------------------------------------------

// x (B, H, W, C_in) -> cols (B*H*W, k*k*C_in) -> y (B, H, W, C_out)
void td_conv2d_forward(const td_conv2d *c, const td_params *p, const float *x, float *cols,
                       float *slope, float *y, int B) {
    td_im2col(x, cols, B, c->H, c->W, c->C_in, c->k);
    td_dense_forward(cols, p->data + c->w, p->data + c->b, slope, y, B * c->H * c->W,
                     c->k * c->k * c->C_in, c->C_out, c->act);
}

// dy (B, H, W, C_out) -> dW, db (accumulated), dcols (B*H*W, k*k*C_in) -> dx (B, H, W, C_in)
void td_conv2d_backward(const td_conv2d *c, td_params *p, const float *cols, const float *slope,
                        float *dy, float *dcols, float *dx, int B) {
    td_dense_backward(cols, p->data + c->w, slope, dy, dx ? dcols : NULL, p->grad + c->w,
                      p->grad + c->b, B * c->H * c->W, c->k * c->k * c->C_in, c->C_out, c->act);
    if (dx) td_col2im(dcols, dx, B, c->H, c->W, c->C_in, c->k);
}

// ---- 2x2 max-pooling -----------------------------------------------------------------

// x (B, H, W, C) -> y (B, H/2, W/2, C), argmax (B, H/2, W/2, C) indices into x
void td_maxpool2_forward(const float *x, float *y, int *argmax, int B_, int H_, int W_, int C_) {
    size_t H = (size_t)H_, W = (size_t)W_, C = (size_t)C_, Ho = H / 2, Wo = W / 2;
    size_t out = 0;
    for (size_t b = 0; b < (size_t)B_; b++) {
        for (size_t yo = 0; yo < Ho; yo++) {
            for (size_t xo = 0; xo < Wo; xo++) {
                size_t base = ((b * H + 2 * yo) * W + 2 * xo) * C;
                size_t corner[4] = {base, base + C, base + W * C, base + W * C + C};
                for (size_t c = 0; c < C; c++, out++) {
                    size_t best = corner[0] + c;
                    for (int q = 1; q < 4; q++)
                        if (x[corner[q] + c] > x[best]) best = corner[q] + c;
                    y[out] = x[best];
                    argmax[out] = (int)best;
                }
            }
        }
    }
}

// dy (B, H/2, W/2, C) -> dx (B, H, W, C), overwritten
void td_maxpool2_backward(const float *dy, const int *argmax, float *dx, int B_, int H_, int W_,
                          int C_) {
    size_t n_in = (size_t)B_ * (size_t)H_ * (size_t)W_ * (size_t)C_;
    size_t n_out = (size_t)B_ * (size_t)(H_ / 2) * (size_t)(W_ / 2) * (size_t)C_;
    memset(dx, 0, n_in * sizeof *dx);
    for (size_t i = 0; i < n_out; i++) dx[argmax[i]] += dy[i];
}
