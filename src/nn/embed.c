// embed.c - time embedding, class table, condition projection, column concat.
#include "nn/embed.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/dense.h"

// ---- sinusoidal time embedding ------------------------------------------------

// t (B) -> out (B, D) = [sin(scale t f_j) | cos(scale t f_j)], f_j = 10000^(-j/half)
td_status td_time_embed(const float *t, int B, int D, float scale, float *out) {
    if (B <= 0) return td_fail(TD_ERR_ARG, "time embedding batch must be positive, got %d", B);
    if (D <= 0 || D % 2 != 0) return td_fail(TD_ERR_ARG, "time embedding dim must be positive and even, got %d", D);
    size_t half = (size_t)D / 2, rows = (size_t)B;
    for (size_t i = 0; i < rows; i++) {
        double arg0 = (double)scale * (double)t[i];
        float *row = out + i * (size_t)D;
        for (size_t j = 0; j < half; j++) {
            double freq = exp(-log(10000.0) * (double)j / (double)half);
            row[j] = (float)sin(arg0 * freq);
            row[half + j] = (float)cos(arg0 * freq);
        }
    }
    return TD_OK;
}

// ---- class embedding table ------------------------------------------------------

td_status td_class_embed_init(td_class_embed *e, td_params *p, const char *name, int n_classes,
                              int dim) {
    memset(e, 0, sizeof *e);
    if (n_classes <= 0 || dim <= 0)
        return td_fail(TD_ERR_ARG, "class embedding \"%s\" needs positive sizes, got %d classes of dim %d",
                       name, n_classes, dim);
    char full[TD_PARAM_NAME_MAX + 8];
    snprintf(full, sizeof full, "%s.weight", name);
    int shape[2] = {n_classes + 1, dim};
    td_status s = td_params_declare(p, full, 2, shape, TD_INIT_NORMAL, 1.0f, &e->table);
    if (s != TD_OK) return s;
    e->n_classes = n_classes;
    e->dim = dim;
    return TD_OK;
}

static td_status check_labels(const td_class_embed *e, const int *labels, int B) {
    if (B <= 0) return td_fail(TD_ERR_ARG, "class embedding batch must be positive, got %d", B);
    for (int i = 0; i < B; i++)
        if (labels[i] < 0 || labels[i] > e->n_classes)
            return td_fail(TD_ERR_ARG, "label %d at row %d is outside 0 .. %d (%d = no class)", labels[i], i,
                           e->n_classes, e->n_classes);
    return TD_OK;
}

// labels (B) -> out (B, dim) = table[labels]
td_status td_class_embed_forward(const td_class_embed *e, const td_params *p, const int *labels,
                                 int B, float *out) {
    td_status s = check_labels(e, labels, B);
    if (s != TD_OK) return s;
    size_t dim = (size_t)e->dim;
    for (size_t i = 0; i < (size_t)B; i++)
        memcpy(out + i * dim, p->data + e->table + (size_t)labels[i] * dim, dim * sizeof(float));
    return TD_OK;
}

// dout (B, dim) -> grad table[labels] += dout
td_status td_class_embed_backward(const td_class_embed *e, td_params *p, const int *labels, int B,
                                  const float *dout) {
    td_status s = check_labels(e, labels, B);
    if (s != TD_OK) return s;
    size_t dim = (size_t)e->dim;
    for (size_t i = 0; i < (size_t)B; i++) {
        float *g = p->grad + e->table + (size_t)labels[i] * dim;
        for (size_t k = 0; k < dim; k++) g[k] += dout[i * dim + k];
    }
    return TD_OK;
}

void td_labels_drop(int *labels, int B, int n_classes, double p_uncond, td_rng *rng) {
    for (int i = 0; i < B; i++)
        if (td_rng_uniform(rng) < p_uncond) labels[i] = n_classes;
}

// ---- continuous condition projection ----------------------------------------------

td_status td_cond_proj_init(td_cond_proj *pr, td_params *p, const char *name, int d_in, int d_out) {
    memset(pr, 0, sizeof *pr);
    if (d_in <= 0 || d_out <= 0)
        return td_fail(TD_ERR_ARG, "condition projection \"%s\" needs positive sizes, got %d -> %d", name, d_in, d_out);
    char full[TD_PARAM_NAME_MAX + 8];
    float bound = 1.0f / sqrtf((float)d_in);
    int wshape[2] = {d_out, d_in};
    snprintf(full, sizeof full, "%s.weight", name);
    td_status s = td_params_declare(p, full, 2, wshape, TD_INIT_UNIFORM, bound, &pr->w);
    if (s != TD_OK) return s;
    snprintf(full, sizeof full, "%s.bias", name);
    s = td_params_declare(p, full, 1, &d_out, TD_INIT_UNIFORM, bound, &pr->b);
    if (s != TD_OK) return s;
    pr->d_in = d_in;
    pr->d_out = d_out;
    return TD_OK;
}

// c (B, d_in) -> out (B, d_out) = c W^T + b
td_status td_cond_proj_forward(const td_cond_proj *pr, const td_params *p, const float *c, int B,
                               float *out) {
    if (B <= 0) return td_fail(TD_ERR_ARG, "condition projection batch must be positive, got %d", B);
    td_dense_forward(c, p->data + pr->w, p->data + pr->b, NULL, out, B, pr->d_in, pr->d_out, TD_ACT_NONE);
    return TD_OK;
}

// dout (B, d_out) -> dW (d_out, d_in) += dout^T c, db += sum_rows dout, dc (B, d_in) = dout W.
// Written out rather than via td_dense_backward, which overwrites its dy.
td_status td_cond_proj_backward(const td_cond_proj *pr, td_params *p, const float *c, int B,
                                const float *dout, float *dc) {
    if (B <= 0) return td_fail(TD_ERR_ARG, "condition projection batch must be positive, got %d", B);
    size_t M = (size_t)B, K = (size_t)pr->d_in, N = (size_t)pr->d_out;
    const float *W = p->data + pr->w;
    float *dW = p->grad + pr->w, *db = p->grad + pr->b;
    for (size_t i = 0; i < M; i++) {
        const float *g = dout + i * N, *x = c + i * K;
        for (size_t n = 0; n < N; n++) {
            db[n] += g[n];
            for (size_t k = 0; k < K; k++) dW[n * K + k] += g[n] * x[k];
        }
        if (dc) {
            for (size_t k = 0; k < K; k++) {
                float acc = 0.0f;
                for (size_t n = 0; n < N; n++) acc += g[n] * W[n * K + k];
                dc[i * K + k] = acc;
            }
        }
    }
    return TD_OK;
}

// ---- concatenation along columns ----------------------------------------------------

static td_status check_parts(int B, int n_parts, const int *widths, size_t *total) {
    if (B <= 0 || n_parts <= 0)
        return td_fail(TD_ERR_ARG, "column concat needs a positive batch and part count, got %d and %d", B, n_parts);
    *total = 0;
    for (int k = 0; k < n_parts; k++) {
        if (widths[k] <= 0) return td_fail(TD_ERR_ARG, "column part %d has non-positive width %d", k, widths[k]);
        *total += (size_t)widths[k];
    }
    return TD_OK;
}

// parts[k] (B, widths[k]) -> out (B, sum widths)
td_status td_concat_cols(float *out, int B, int n_parts, const float *const *parts,
                         const int *widths) {
    size_t total;
    td_status s = check_parts(B, n_parts, widths, &total);
    if (s != TD_OK) return s;
    for (int k = 0; k < n_parts; k++)
        if (!parts[k]) return td_fail(TD_ERR_ARG, "column concat part %d is NULL", k);
    for (size_t i = 0; i < (size_t)B; i++) {
        float *row = out + i * total;
        for (int k = 0; k < n_parts; k++) {
            size_t w = (size_t)widths[k];
            memcpy(row, parts[k] + i * w, w * sizeof(float));
            row += w;
        }
    }
    return TD_OK;
}

// in (B, sum widths) -> parts[k] (B, widths[k]), NULL parts skipped
td_status td_split_cols(const float *in, int B, int n_parts, float *const *parts,
                        const int *widths) {
    size_t total;
    td_status s = check_parts(B, n_parts, widths, &total);
    if (s != TD_OK) return s;
    for (size_t i = 0; i < (size_t)B; i++) {
        const float *row = in + i * total;
        for (int k = 0; k < n_parts; k++) {
            size_t w = (size_t)widths[k];
            if (parts[k]) memcpy(parts[k] + i * w, row, w * sizeof(float));
            row += w;
        }
    }
    return TD_OK;
}
