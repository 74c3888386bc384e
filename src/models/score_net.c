// score_net.c - the noise / score network: embeddings, concat, MLP, and the denoiser adapter.
#include "models/score_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

td_score_net_config td_score_net_defaults(void) {
    td_score_net_config c;
    memset(&c, 0, sizeof c);
    c.data_dim = 2;
    c.time_dim = 32;
    c.time_scale = 1000.0f;
    c.width = 128;
    c.depth = 3;
    c.act = TD_ACT_SILU;
    c.pred = TD_PRED_EPS;
    c.scale_input = 1;
    return c;
}

static int in_range(int v, int lo, int hi) { return v >= lo && v <= hi; }

td_status td_score_net_validate(const td_score_net_config *c) {
    if (!c) return td_fail(TD_ERR_ARG, "score net config is NULL");
    if (!in_range(c->data_dim, 1, TD_SCORE_NET_MAX_DIM))
        return td_fail(TD_ERR_ARG, "score net data_dim must be 1..%d, got %d", TD_SCORE_NET_MAX_DIM, c->data_dim);
    if (!in_range(c->time_dim, 2, TD_SCORE_NET_MAX_DIM) || c->time_dim % 2 != 0)
        return td_fail(TD_ERR_ARG, "score net time_dim must be even and 2..%d, got %d", TD_SCORE_NET_MAX_DIM,
                       c->time_dim);
    if (!(c->time_scale > 0.0f) || !isfinite(c->time_scale))
        return td_fail(TD_ERR_ARG, "score net time_scale must be positive and finite");
    if (!in_range(c->n_classes, 0, TD_SCORE_NET_MAX_CLASSES))
        return td_fail(TD_ERR_ARG, "score net n_classes must be 0..%d, got %d", TD_SCORE_NET_MAX_CLASSES, c->n_classes);
    if (c->n_classes > 0 && !in_range(c->class_dim, 1, TD_SCORE_NET_MAX_DIM))
        return td_fail(TD_ERR_ARG, "score net class_dim must be 1..%d, got %d", TD_SCORE_NET_MAX_DIM, c->class_dim);
    if (!in_range(c->cond_dim, 0, TD_SCORE_NET_MAX_DIM))
        return td_fail(TD_ERR_ARG, "score net cond_dim must be 0..%d, got %d", TD_SCORE_NET_MAX_DIM, c->cond_dim);
    if (c->cond_dim > 0 && !in_range(c->cond_proj_dim, 1, TD_SCORE_NET_MAX_DIM))
        return td_fail(TD_ERR_ARG, "score net cond_proj_dim must be 1..%d, got %d", TD_SCORE_NET_MAX_DIM,
                       c->cond_proj_dim);
    if (!in_range(c->width, 1, TD_SCORE_NET_MAX_DIM))
        return td_fail(TD_ERR_ARG, "score net width must be 1..%d, got %d", TD_SCORE_NET_MAX_DIM, c->width);
    if (!in_range(c->depth, 0, TD_MLP_MAX_LAYERS - 2))
        return td_fail(TD_ERR_ARG, "score net depth must be 0..%d, got %d", TD_MLP_MAX_LAYERS - 2, c->depth);
    if ((unsigned)c->pred > TD_PRED_V) return td_fail(TD_ERR_ARG, "score net prediction kind %d is unknown", (int)c->pred);
    if (c->scale_input != 0 && c->scale_input != 1)
        return td_fail(TD_ERR_ARG, "score net scale_input must be 0 or 1, got %d", c->scale_input);
    return TD_OK;
}

static int class_width(const td_score_net_config *c) { return c->n_classes > 0 ? c->class_dim : 0; }
static int proj_width(const td_score_net_config *c) { return c->cond_dim > 0 ? c->cond_proj_dim : 0; }

td_status td_score_net_init(td_score_net *net, td_params *p, const td_score_net_config *cfg,
                            const td_sde *sde) {
    memset(net, 0, sizeof *net);
    td_status st = td_score_net_validate(cfg);
    if (st != TD_OK) return st;
    if (!sde) return td_fail(TD_ERR_ARG, "score net needs an SDE");
    if ((st = td_sde_validate(sde)) != TD_OK) return st;
    net->cfg = *cfg;
    net->sde = *sde;
    net->d_in = cfg->data_dim + cfg->time_dim + class_width(cfg) + proj_width(cfg);  // <= 4 * 65536
    td_mlp_config mc = {net->d_in, cfg->width, cfg->data_dim, cfg->depth, cfg->act, cfg->residual};
    if ((st = td_mlp_init(&net->mlp, p, "net", &mc)) != TD_OK) return st;
    if (cfg->n_classes > 0 && (st = td_class_embed_init(&net->cls, p, "cls", cfg->n_classes, cfg->class_dim)) != TD_OK)
        return st;
    if (cfg->cond_dim > 0 && (st = td_cond_proj_init(&net->cond, p, "cond", cfg->cond_dim, cfg->cond_proj_dim)) != TD_OK)
        return st;
    return TD_OK;
}

// ---- workspace ---------------------------------------------------------------------

td_status td_score_net_work_init(td_score_net_work *w, const td_score_net *net, int max_batch) {
    memset(w, 0, sizeof *w);
    if (max_batch <= 0) return td_fail(TD_ERR_ARG, "score net batch must be positive, got %d", max_batch);
    const td_score_net_config *c = &net->cfg;
    size_t B = (size_t)max_batch, Dc = (size_t)class_width(c), Dp = (size_t)proj_width(c);
    size_t C = (size_t)c->cond_dim, Dt = (size_t)c->time_dim, Din = (size_t)net->d_in;
    // floats per row: in, din, temb, cemb, dcemb, cproj, dcproj, cond, t; then one int per row
    size_t per_row = 2 * Din + Dt + 2 * Dc + 2 * Dp + C + 1, floats, bytes;
    if (td_mul_size(B, per_row, &floats) || td_mul_size(floats, sizeof(float), &bytes) ||
        td_add_size(bytes, B * sizeof(int), &bytes))
        return td_fail(TD_ERR_LIMIT, "score net workspace for %d rows overflows", max_batch);
    float *m = malloc(bytes);
    if (!m) return td_fail(TD_ERR_NOMEM, "cannot allocate the score net workspace (%zu bytes)", bytes);
    td_status st = td_mlp_work_init(&w->mlp, &net->mlp, max_batch);
    if (st != TD_OK) {
        free(m);
        return st;
    }
    w->mem = m;
    w->max_batch = max_batch;
    w->in = m;            m += B * Din;
    w->din = m;           m += B * Din;
    w->temb = m;          m += B * Dt;
    w->cemb = m;          m += B * Dc;
    w->dcemb = m;         m += B * Dc;
    w->cproj = m;         m += B * Dp;
    w->dcproj = m;        m += B * Dp;
    w->cond = m;          m += B * C;
    w->t = m;             m += B;
    w->labels = (int *)(void *)m;   // floats and ints are both 4-byte aligned
    return TD_OK;
}

void td_score_net_work_free(td_score_net_work *w) {
    td_mlp_work_free(&w->mlp);
    free(w->mem);
    memset(w, 0, sizeof *w);
}

// ---- forward and backward ----------------------------------------------------------

// t (B) -> temb (B, Dt); rows with the same t as the previous row are copied, so a
// sampler's batch (one t for all rows) costs one embedding, not B.
static td_status embed_times(const td_score_net_config *c, const float *t, int B, float *temb) {
    size_t Dt = (size_t)c->time_dim;
    for (int i = 0; i < B; i++) {
        float *row = temb + (size_t)i * Dt;
        if (i > 0 && t[i] == t[i - 1]) {
            memcpy(row, row - Dt, Dt * sizeof(float));
            continue;
        }
        td_status st = td_time_embed(t + i, 1, c->time_dim, c->time_scale, row);
        if (st != TD_OK) return st;
    }
    return TD_OK;
}

// c_in(t), the factor x is read with. On VP and DDPM alpha^2 + sigma^2 = 1, so it is
// 1 and not computed (a DDPM schedule's alpha costs O(N) per call).
static float input_scale(const td_score_net *net, float t) {
    if (!net->cfg.scale_input || net->sde.kind == TD_SDE_VP || net->sde.kind == TD_SDE_DDPM) return 1.0f;
    double a = td_sde_alpha(&net->sde, (double)t), s = td_sde_sigma(&net->sde, (double)t);
    return (float)(1.0 / sqrt(a * a + s * s));
}

// Build the MLP input in w->in: [c_in(t) x, temb, cemb, cproj]  (B, d_in).
// Labels and cond are copied into the workspace, where backward finds them.
static td_status build_input(const td_score_net *net, const td_params *p, td_score_net_work *w,
                             const float *x, const float *t, const int *labels, const float *cond,
                             int B) {
    const td_score_net_config *c = &net->cfg;
    if (B <= 0) return td_fail(TD_ERR_ARG, "score net batch must be positive, got %d", B);
    if (B > w->max_batch)
        return td_fail(TD_ERR_LIMIT, "score net batch of %d rows exceeds the workspace's %d", B, w->max_batch);
    if (!x || !t) return td_fail(TD_ERR_ARG, "score net input x and t must not be NULL");
    size_t rows = (size_t)B, D = (size_t)c->data_dim, Din = (size_t)net->d_in;
    td_status st = embed_times(c, t, B, w->temb);
    if (st != TD_OK) return st;

    float *parts_buf[4];
    int widths[4], n = 0;
    // The scaled x goes straight into the first columns below; temb and the rest follow.
    if (c->n_classes > 0) {
        // Labels are kept in the workspace for backward (NULL: "no class" everywhere).
        if (!labels) for (int i = 0; i < B; i++) w->labels[i] = c->n_classes;
        else if (labels != w->labels) memcpy(w->labels, labels, rows * sizeof(int));
        if ((st = td_class_embed_forward(&net->cls, p, w->labels, B, w->cemb)) != TD_OK) return st;
    }
    if (c->cond_dim > 0) {
        size_t C = (size_t)c->cond_dim;
        if (cond) memmove(w->cond, cond, rows * C * sizeof(float));
        else memset(w->cond, 0, rows * C * sizeof(float));
        if ((st = td_cond_proj_forward(&net->cond, p, w->cond, B, w->cproj)) != TD_OK) return st;
    }
    parts_buf[n] = w->temb;
    widths[n++] = c->time_dim;
    if (c->n_classes > 0) {
        parts_buf[n] = w->cemb;
        widths[n++] = c->class_dim;
    }
    if (c->cond_dim > 0) {
        parts_buf[n] = w->cproj;
        widths[n++] = c->cond_proj_dim;
    }
    float scale = 1.0f;
    for (size_t i = 0; i < rows; i++) {
        float *row = w->in + i * Din;
        if (i == 0 || t[i] != t[i - 1]) scale = input_scale(net, t[i]);
        for (size_t d = 0; d < D; d++) row[d] = scale * x[i * D + d];
        size_t col = D;
        for (int k = 0; k < n; k++) {
            size_t wk = (size_t)widths[k];
            memcpy(row + col, parts_buf[k] + i * wk, wk * sizeof(float));
            col += wk;
        }
    }
    return TD_OK;
}

// True when every row has the same t, label and condition: then the MLP input's
// columns after x are one vector for all rows (a sampler's batch).
static int rows_share_conditions(const td_score_net_config *c, const float *t, const int *labels,
                                 const float *cond, int B) {
    size_t C = (size_t)c->cond_dim;
    for (int i = 1; i < B; i++) {
        if (t[i] != t[0]) return 0;
        if (c->n_classes > 0 && labels && labels[i] != labels[0]) return 0;
        if (C > 0 && cond && memcmp(cond + (size_t)i * C, cond, C * sizeof(float)) != 0) return 0;
    }
    return 1;
}

// x (B, D), t (B) [, labels (B), cond (B, C)] -> out (B, D). When the rows share
// their conditions, row 0's input gives the common tail [temb, cemb, cproj] and the
// MLP folds it into layer 0's bias (td_mlp_forward_shared): the toy net's first
// layer then reads 2 columns per row instead of 34.
td_status td_score_net_forward(const td_score_net *net, const td_params *p, td_score_net_work *w,
                               const float *x, const float *t, const int *labels,
                               const float *cond, float *out, int B) {
    if (B < 2 || B > w->max_batch || !x || !t || !rows_share_conditions(&net->cfg, t, labels, cond, B)) {
        td_status st = build_input(net, p, w, x, t, labels, cond, B);
        if (st != TD_OK) return st;
        return td_mlp_forward(&net->mlp, p, &w->mlp, w->in, out, B);
    }
    td_status st = build_input(net, p, w, x, t, labels, cond, 1);
    if (st != TD_OK) return st;
    // Every row's scaled x, (B, D), goes to din: inference has no gradient to keep there.
    size_t n = (size_t)B * (size_t)net->cfg.data_dim;
    float scale = input_scale(net, t[0]);
    for (size_t i = 0; i < n; i++) w->din[i] = scale * x[i];
    int D = net->cfg.data_dim;
    return td_mlp_forward_shared(&net->mlp, p, &w->mlp, w->din, w->in + D, net->d_in - D, out, B);
}

td_status td_score_net_forward_train(const td_score_net *net, const td_params *p,
                                     td_score_net_work *w, const float *x, const float *t,
                                     const int *labels, const float *cond, float *out, int B) {
    w->batch = 0;
    td_status st = build_input(net, p, w, x, t, labels, cond, B);
    if (st != TD_OK) return st;
    if ((st = td_mlp_forward_train(&net->mlp, p, &w->mlp, w->in, out, B)) != TD_OK) return st;
    w->batch = B;
    return TD_OK;
}

// dout (B, D) -> grads of the MLP, and through the input columns to the class table
// and the condition projection (x and the time embedding have no parameters).
td_status td_score_net_backward(const td_score_net *net, td_params *p, td_score_net_work *w,
                                const float *dout) {
    const td_score_net_config *c = &net->cfg;
    int B = w->batch;
    if (B <= 0) return td_fail(TD_ERR_ARG, "score net backward needs a forward_train first");
    int has_inputs = c->n_classes > 0 || c->cond_dim > 0;
    td_status st = td_mlp_backward(&net->mlp, p, &w->mlp, dout, has_inputs ? w->din : NULL);
    if (st != TD_OK || !has_inputs) return st;
    float *parts[4] = {NULL, NULL, NULL, NULL};
    int widths[4] = {c->data_dim, c->time_dim, 0, 0}, n = 2;
    if (c->n_classes > 0) {
        parts[n] = w->dcemb;
        widths[n++] = c->class_dim;
    }
    if (c->cond_dim > 0) {
        parts[n] = w->dcproj;
        widths[n++] = c->cond_proj_dim;
    }
    if ((st = td_split_cols(w->din, B, n, parts, widths)) != TD_OK) return st;
    if (c->n_classes > 0 && (st = td_class_embed_backward(&net->cls, p, w->labels, B, w->dcemb)) != TD_OK)
        return st;
    if (c->cond_dim > 0)
        st = td_cond_proj_backward(&net->cond, p, w->cond, B, w->dcproj, NULL);
    return st;
}

// ---- the denoiser adapter ------------------------------------------------------------

// x (n, D) at time t -> out (n, D), in chunks of the workspace's max_batch rows.
static td_status net_predict(void *vctx, const float *x, int n, int dim, double t, float *out) {
    td_score_net_ctx *ctx = vctx;
    const td_score_net_config *c = &ctx->net->cfg;
    if (dim != c->data_dim)
        return td_fail(TD_ERR_SHAPE, "the score net works on %d dims, the sampler asked for %d", c->data_dim, dim);
    if (n <= 0) return td_fail(TD_ERR_ARG, "denoiser batch must be positive, got %d", n);
    if (c->n_classes > 0 && (ctx->label < -1 || ctx->label >= c->n_classes))
        return td_fail(TD_ERR_ARG, "label %d is outside -1 .. %d (-1 = no class)", ctx->label, c->n_classes - 1);
    td_score_net_work *w = ctx->work;
    size_t D = (size_t)dim, C = (size_t)c->cond_dim;
    // The labels and cond buffers are the workspace's own; forward reads them as inputs.
    int chunk = w->max_batch;
    for (int start = 0; start < n; start += chunk) {
        int B = n - start < chunk ? n - start : chunk;
        for (int i = 0; i < B; i++) w->t[i] = (float)t;
        int *labels = NULL;
        if (c->n_classes > 0) {
            labels = w->labels;
            for (int i = 0; i < B; i++) labels[i] = ctx->label < 0 ? c->n_classes : ctx->label;
        }
        float *cond = NULL;
        if (c->cond_dim > 0 && ctx->cond) {
            cond = w->cond;
            for (int i = 0; i < B; i++) memcpy(cond + (size_t)i * C, ctx->cond, C * sizeof(float));
        }
        size_t off = (size_t)start * D;
        td_status st = td_score_net_forward(ctx->net, ctx->params, w, x + off, w->t, labels, cond, out + off, B);
        if (st != TD_OK) return st;
    }
    return TD_OK;
}

td_denoiser td_score_net_denoiser(td_score_net_ctx *ctx) {
    td_denoiser d = {ctx->net->cfg.pred, net_predict, ctx};
    return d;
}
