// mlp.c - plain and residual MLPs over td_dense_forward / td_dense_backward.
#include "nn/mlp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- architecture: declare each dense layer's W (out, in) and b (out) ------

static td_status declare_layer(td_mlp *net, td_params *p, const char *prefix, const char *tag,
                               int in, int out, td_act act, int skip) {
    int i = net->n_layers;
    char name[TD_PARAM_NAME_MAX + 8];
    float bound = 1.0f / sqrtf((float)in);  // PyTorch Linear: U(+-1/sqrt(fan_in))
    int wshape[2] = {out, in};
    snprintf(name, sizeof name, "%s.%s.weight", prefix, tag);
    td_status s = td_params_declare(p, name, 2, wshape, TD_INIT_UNIFORM, bound, &net->w[i]);
    if (s != TD_OK) return s;
    snprintf(name, sizeof name, "%s.%s.bias", prefix, tag);
    s = td_params_declare(p, name, 1, &out, TD_INIT_UNIFORM, bound, &net->b[i]);
    if (s != TD_OK) return s;
    net->in_dim[i] = in;
    net->out_dim[i] = out;
    net->act[i] = act;
    net->skip[i] = skip;
    net->n_layers++;
    return TD_OK;
}

td_status td_mlp_init(td_mlp *net, td_params *p, const char *prefix, const td_mlp_config *cfg) {
    memset(net, 0, sizeof *net);
    int hidden_used = cfg->residual || cfg->depth > 0;
    if (cfg->d_in <= 0 || cfg->d_out <= 0 || (hidden_used && cfg->d_hidden <= 0))
        return td_fail(TD_ERR_ARG, "MLP \"%s\" sizes must be positive, got d_in %d, d_hidden %d, d_out %d",
                       prefix, cfg->d_in, cfg->d_hidden, cfg->d_out);
    int layers = cfg->depth + (cfg->residual ? 2 : 1);
    if (cfg->depth < 0 || layers > TD_MLP_MAX_LAYERS)
        return td_fail(TD_ERR_ARG, "MLP \"%s\" depth %d is outside 0 .. %d", prefix, cfg->depth,
                       TD_MLP_MAX_LAYERS - (cfg->residual ? 2 : 1));
    if ((int)cfg->act < (int)TD_ACT_NONE || (int)cfg->act > (int)TD_ACT_TANH)
        return td_fail(TD_ERR_ARG, "MLP \"%s\" has unknown activation %d", prefix, (int)cfg->act);
    net->cfg = *cfg;

    td_status s = TD_OK;
    char tag[32];
    if (!cfg->residual) {
        for (int i = 0; i <= cfg->depth && s == TD_OK; i++) {
            int last = i == cfg->depth;
            snprintf(tag, sizeof tag, "%d", i);
            s = declare_layer(net, p, prefix, tag, i == 0 ? cfg->d_in : cfg->d_hidden,
                              last ? cfg->d_out : cfg->d_hidden, last ? TD_ACT_NONE : cfg->act, 0);
        }
    } else {
        s = declare_layer(net, p, prefix, "in", cfg->d_in, cfg->d_hidden, TD_ACT_NONE, 0);
        for (int k = 0; k < cfg->depth && s == TD_OK; k++) {
            snprintf(tag, sizeof tag, "block.%d", k);
            s = declare_layer(net, p, prefix, tag, cfg->d_hidden, cfg->d_hidden, cfg->act, 1);
        }
        if (s == TD_OK) s = declare_layer(net, p, prefix, "out", cfg->d_hidden, cfg->d_out, TD_ACT_NONE, 0);
    }
    return s;
}

// ---- workspace --------------------------------------------------------------

td_status td_mlp_work_init(td_mlp_work *work, const td_mlp *net, int max_batch) {
    memset(work, 0, sizeof *work);
    if (max_batch <= 0) return td_fail(TD_ERR_ARG, "MLP workspace max_batch must be positive, got %d", max_batch);
    if (net->n_layers <= 0) return td_fail(TD_ERR_ARG, "MLP workspace needs an initialised MLP");
    size_t B = (size_t)max_batch, L = (size_t)net->n_layers;

    // Floats per row: every layer's input, the output, every activation slope,
    // and three gradient rows of the widest layer.
    size_t widest = 0, per_row = 0;
    for (size_t i = 0; i < L; i++) {
        size_t in = (size_t)net->in_dim[i], out = (size_t)net->out_dim[i];
        per_row += in + out;
        if (in > widest) widest = in;
        if (out > widest) widest = out;
    }
    per_row += (size_t)net->out_dim[L - 1] + 3 * widest;
    size_t total;
    if (td_mul_size(per_row, B, &total) != 0 || td_mul_size(total, sizeof(float), &total) != 0)
        return td_fail(TD_ERR_LIMIT, "MLP workspace for batch %d does not fit in memory", max_batch);
    work->mem = malloc(total);
    if (!work->mem) return td_fail(TD_ERR_NOMEM, "out of memory allocating an MLP workspace for batch %d", max_batch);

    float *cursor = work->mem;
    for (size_t i = 0; i <= L; i++) {
        work->in[i] = cursor;
        cursor += B * (size_t)(i < L ? net->in_dim[i] : net->out_dim[L - 1]);
    }
    for (size_t i = 0; i < L; i++) {
        work->slope[i] = cursor;
        cursor += B * (size_t)net->out_dim[i];
    }
    for (int k = 0; k < 3; k++) {
        work->g[k] = cursor;
        cursor += B * widest;
    }
    work->max_batch = max_batch;
    work->n_layers = net->n_layers;
    return TD_OK;
}

void td_mlp_work_free(td_mlp_work *work) {
    free(work->mem);
    memset(work, 0, sizeof *work);
}

static td_status check_batch(const td_mlp *net, const td_mlp_work *work, int B) {
    if (B <= 0) return td_fail(TD_ERR_ARG, "MLP batch must be positive, got %d", B);
    if (work->n_layers != net->n_layers || !work->mem)
        return td_fail(TD_ERR_ARG, "MLP workspace was not made for this network");
    if (B > work->max_batch)
        return td_fail(TD_ERR_LIMIT, "MLP batch %d exceeds the workspace's max_batch %d", B, work->max_batch);
    return TD_OK;
}

static void add_into(float *h, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) h[i] += x[i];
}

// ---- forward ----------------------------------------------------------------

// Layers first .. L-1 on h (B, in_dim[first]) -> y (B, d_out). Without skip
// connections they run as a dense stack (row blocks through every layer, the
// hidden outputs never leaving the cache: 4% off a 4,096-particle sampler step in
// wasm); otherwise, or when the stack's scratch cannot be had, layer by layer,
// ping-ponging through g[0] / g[1] (layer i writes g[i % 2], never h).
static void forward_from(const td_mlp *net, const td_params *p, td_mlp_work *work, int first,
                         const float *h, float *y, int B) {
    int L = net->n_layers - first, plain = 1;
    for (int i = first; i < net->n_layers; i++) plain &= !net->skip[i];
    if (plain && L > 1 && L <= TD_MLP_MAX_LAYERS) {
        td_dense_layer layers[TD_MLP_MAX_LAYERS];
        for (int i = 0; i < L; i++) {
            int l = first + i;
            layers[i] = (td_dense_layer){net->in_dim[l], net->out_dim[l], net->act[l], p->data + net->w[l],
                                         p->data + net->b[l], NULL, i == L - 1 ? y : NULL, NULL, NULL};
        }
        if (td_dense_stack_forward(td_dense_kernel_for(td_dense_best_path()), layers, L, h, B) == TD_OK) return;
    }
    for (int i = first; i < net->n_layers; i++) {
        float *out = i == net->n_layers - 1 ? y : work->g[i % 2];
        // layer i: h (B, in_dim) -> out (B, out_dim) = act(h W^T + b) [+ h]
        td_dense_forward(h, p->data + net->w[i], p->data + net->b[i], NULL, out, B,
                         net->in_dim[i], net->out_dim[i], net->act[i]);
        if (net->skip[i]) add_into(out, h, (size_t)B * (size_t)net->out_dim[i]);
        h = out;
    }
}

// x (B, d_in) -> y (B, d_out)
td_status td_mlp_forward(const td_mlp *net, const td_params *p, td_mlp_work *work,
                         const float *x, float *y, int B) {
    td_status s = check_batch(net, work, B);
    if (s != TD_OK) return s;
    forward_from(net, p, work, 0, x, y, B);
    return TD_OK;
}

// Layer 0 as a product over the head columns only: W's head columns (N, head)
// are copied out (W is (N, d_in) row-major, so they are not contiguous) and
// the tail's share, W[:, head:] . tail, joins the bias.
td_status td_mlp_forward_shared(const td_mlp *net, const td_params *p, td_mlp_work *work,
                                const float *x, const float *tail, int shared, float *y, int B) {
    td_status s = check_batch(net, work, B);
    if (s != TD_OK) return s;
    size_t K = (size_t)net->in_dim[0], N = (size_t)net->out_dim[0];
    if (shared < 0 || (size_t)shared >= K || net->skip[0] || (shared > 0 && !tail))
        return td_fail(TD_ERR_ARG, "MLP shared input columns must be 0 .. %zu with a tail vector and no skip "
                       "on layer 0, got %d", K - 1, shared);
    size_t head = K - (size_t)shared;
    float *Wh = malloc(N * (head + 1) * sizeof *Wh);
    if (!Wh) return td_fail(TD_ERR_NOMEM, "out of memory for the MLP's folded first layer");
    float *bias = Wh + N * head;
    const float *W = p->data + net->w[0], *b = p->data + net->b[0];
    for (size_t n = 0; n < N; n++) {
        const float *row = W + n * K;
        memcpy(Wh + n * head, row, head * sizeof *Wh);
        double acc = (double)b[n];
        for (size_t j = 0; j < (size_t)shared; j++) acc += (double)row[head + j] * (double)tail[j];
        bias[n] = (float)acc;
    }
    float *out = net->n_layers == 1 ? y : work->g[0];
    td_dense_forward(x, Wh, bias, NULL, out, B, (int)head, (int)N, net->act[0]);
    free(Wh);
    forward_from(net, p, work, 1, out, y, B);
    return TD_OK;
}

// As above, but layer i reads in[i], keeps slope[i] and writes in[i+1].
td_status td_mlp_forward_train(const td_mlp *net, const td_params *p, td_mlp_work *work,
                               const float *x, float *y, int B) {
    work->batch = 0;
    td_status s = check_batch(net, work, B);
    if (s != TD_OK) return s;
    int L = net->n_layers;
    memcpy(work->in[0], x, (size_t)B * (size_t)net->in_dim[0] * sizeof(float));
    for (int i = 0; i < L; i++) {
        td_dense_forward(work->in[i], p->data + net->w[i], p->data + net->b[i], work->slope[i],
                         work->in[i + 1], B, net->in_dim[i], net->out_dim[i], net->act[i]);
        if (net->skip[i]) add_into(work->in[i + 1], work->in[i], (size_t)B * (size_t)net->out_dim[i]);
    }
    memcpy(y, work->in[L], (size_t)B * (size_t)net->out_dim[L - 1] * sizeof(float));
    work->batch = B;
    return TD_OK;
}

// ---- backward ---------------------------------------------------------------

// dy (B, d_out) -> p->grad += dL/dtheta, dx (B, d_in) = dL/dx when wanted.
// `cur` holds dL/d(output of layer i); td_dense_backward overwrites its dy
// argument with dz, so a residual layer first copies it to `tmp` because the
// skip path still needs dL/dout: dL/din = dL/dout + dz W.
td_status td_mlp_backward(const td_mlp *net, td_params *p, td_mlp_work *work,
                          const float *dy, float *dx) {
    int B = work->batch;
    if (B <= 0 || work->n_layers != net->n_layers)
        return td_fail(TD_ERR_ARG, "MLP backward needs a td_mlp_forward_train on this workspace first");
    if (!p->grad) return td_fail(TD_ERR_ARG, "MLP backward needs allocated parameters");
    size_t rows = (size_t)B;
    int L = net->n_layers;
    float *cur = work->g[0], *next = work->g[1], *tmp = work->g[2];
    memcpy(cur, dy, rows * (size_t)net->out_dim[L - 1] * sizeof(float));

    for (int i = L - 1; i >= 0; i--) {
        int K = net->in_dim[i], N = net->out_dim[i];
        float *dW = p->grad + net->w[i], *db = p->grad + net->b[i];
        const float *W = p->data + net->w[i];
        int want_dx = i > 0 || dx != NULL;
        if (net->skip[i]) {
            memcpy(tmp, cur, rows * (size_t)N * sizeof(float));
            td_dense_backward(work->in[i], W, work->slope[i], tmp, next, dW, db, B, K, N, net->act[i]);
            add_into(next, cur, rows * (size_t)N);  // K == N for a residual block
        } else {
            td_dense_backward(work->in[i], W, work->slope[i], cur, want_dx ? next : NULL, dW, db, B, K,
                              N, net->act[i]);
        }
        float *swap = cur;
        cur = next;
        next = swap;
    }
    if (dx) memcpy(dx, cur, rows * (size_t)net->in_dim[0] * sizeof(float));
    return TD_OK;
}
