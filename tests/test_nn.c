// test_nn.c - parameters, MLPs, embeddings, AdamW, clipping, EMA and the MSE
// loss. Every gradient is checked against central finite differences of a
// DOUBLE-precision re-implementation of the forward pass, so the reference
// carries no float rounding of its own.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/adamw.h"
#include "nn/dense.h"
#include "nn/ema.h"
#include "nn/embed.h"
#include "nn/loss.h"
#include "nn/mlp.h"
#include "nn/params.h"
#include "prob/rng.h"

// ---- double-precision reference forwards ----------------------------------------

static double act_ref(td_act act, double z) {
    switch (act) {
    case TD_ACT_NONE: return z;
    case TD_ACT_RELU: return z > 0.0 ? z : 0.0;
    case TD_ACT_SILU: return z / (1.0 + exp(-z));
    case TD_ACT_GELU: return 0.5 * z * (1.0 + tanh(0.7978845608028654 * (z + 0.044715 * z * z * z)));
    case TD_ACT_TANH: return tanh(z);
    }
    return z;
}

// x (M, K), W (N, K), b (N) -> y (M, N) = act(x W^T + b)
static void dense_ref(const double *x, const double *W, const double *b, double *y, int M, int K,
                      int N, td_act act) {
    for (int i = 0; i < M; i++)
        for (int n = 0; n < N; n++) {
            double acc = b[n];
            for (int k = 0; k < K; k++) acc += x[i * K + k] * W[n * K + k];
            y[i * N + n] = act_ref(act, acc);
        }
}

// x (B, d_in) -> y (B, d_out) through the same layer list the td_mlp declares.
static void mlp_ref(const td_mlp *net, const double *theta, const double *x, int B, double *y) {
    double *h = malloc(sizeof(double) * (size_t)B * (size_t)net->in_dim[0]);
    memcpy(h, x, sizeof(double) * (size_t)B * (size_t)net->in_dim[0]);
    for (int i = 0; i < net->n_layers; i++) {
        int N = net->out_dim[i];
        double *out = malloc(sizeof(double) * (size_t)B * (size_t)N);
        dense_ref(h, theta + net->w[i], theta + net->b[i], out, B, net->in_dim[i], N, net->act[i]);
        if (net->skip[i])
            for (int k = 0; k < B * N; k++) out[k] += h[k];
        free(h);
        h = out;
    }
    memcpy(y, h, sizeof(double) * (size_t)B * (size_t)net->out_dim[net->n_layers - 1]);
    free(h);
}

// ---- the gradient checker ----------------------------------------------------------

// A model seen by the checker: y = forward(theta, x) in double; the loss is
// L = sum_k r_k y_k with fixed random r, so dL/dy = r is what backward gets.
typedef struct {
    void (*forward)(const void *ctx, const double *theta, const double *x, double *y);
    const void *ctx;
    size_t n_theta, n_x, n_y;
    const float *r;
} ref_model;

static double ref_loss(const ref_model *m, const double *theta, const double *x) {
    double *y = malloc(sizeof(double) * m->n_y);
    m->forward(m->ctx, theta, x, y);
    double loss = 0.0;
    for (size_t k = 0; k < m->n_y; k++) loss += (double)m->r[k] * y[k];
    free(y);
    return loss;
}

// Float analytic gradients agree with double central differences (step 1e-5:
// truncation ~1e-10, rounding ~1e-11) within |a - fd| <= 2e-5 + 1e-4 |fd|.
// The float backward is good to ~1e-7 here (2e-6 for GELU, whose float
// derivative loses a few digits); a wrong gradient formula is off by >= 1e-2.
// Returns how many entries disagree; prints the worst gap of each group.
static int count_mismatches(const char *what, const double *fd, const float *analytic, size_t n) {
    int bad = 0;
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double gap = fabs((double)analytic[i] - fd[i]);
        if (gap > worst) worst = gap;
        if (gap > 2e-5 + 1e-4 * fabs(fd[i])) bad++;
    }
    printf("    %-28s %4zu grads, worst |analytic - finite diff| = %.2e%s\n", what, n, worst,
           bad ? "  <-- MISMATCH" : "");
    return bad;
}

static void finite_differences(const ref_model *m, double *theta, double *x, double *v, size_t n,
                               double *fd) {
    const double h = 1e-5;
    for (size_t i = 0; i < n; i++) {
        double keep = v[i];
        v[i] = keep + h;
        double up = ref_loss(m, theta, x);
        v[i] = keep - h;
        double down = ref_loss(m, theta, x);
        v[i] = keep;
        fd[i] = (up - down) / (2.0 * h);
    }
}

// Mismatches between (g_theta, g_x) and finite differences at (theta, x);
// g_x NULL skips the input check.
static int grad_check(const char *what, const ref_model *m, const float *theta_f, const float *x_f,
                      const float *g_theta, const float *g_x) {
    double *theta = malloc(sizeof(double) * m->n_theta), *x = malloc(sizeof(double) * (m->n_x + 1));
    double *fd = malloc(sizeof(double) * (m->n_theta + m->n_x));
    for (size_t i = 0; i < m->n_theta; i++) theta[i] = (double)theta_f[i];
    for (size_t i = 0; i < m->n_x; i++) x[i] = (double)x_f[i];
    char label[64];
    snprintf(label, sizeof label, "%s params", what);
    finite_differences(m, theta, x, theta, m->n_theta, fd);
    int bad = count_mismatches(label, fd, g_theta, m->n_theta);
    if (g_x) {
        snprintf(label, sizeof label, "%s input", what);
        finite_differences(m, theta, x, x, m->n_x, fd);
        bad += count_mismatches(label, fd, g_x, m->n_x);
    }
    free(theta);
    free(x);
    free(fd);
    return bad;
}

static void fill_normal(td_rng *rng, float *v, size_t n) { td_rng_fill_normal(rng, v, n); }

// ---- parameters ------------------------------------------------------------------

TEST(parameters_live_in_one_buffer_in_declaration_order_and_are_found_by_name) {
    td_params p;
    td_params_init(&p);
    size_t off_a = 99, off_b = 99;
    CHECK_EQ(td_params_declare(&p, "a.weight", 2, (int[]){3, 4}, TD_INIT_UNIFORM, 0.5f, &off_a), TD_OK);
    CHECK_EQ(td_params_declare(&p, "a.bias", 1, (int[]){3}, TD_INIT_ZERO, 0.0f, &off_b), TD_OK);
    CHECK_EQ(td_params_declare(&p, "t4", 4, (int[]){2, 1, 3, 2}, TD_INIT_NORMAL, 1.0f, NULL), TD_OK);
    CHECK_EQ(off_a, 0);
    CHECK_EQ(off_b, 12);
    CHECK_EQ(p.total, 12 + 3 + 12);
    CHECK(p.data == NULL);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    const td_param_tensor *t = td_params_find(&p, "t4");
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ(t->offset, 15);
        CHECK_EQ(t->count, 12);
        CHECK_EQ(t->ndim, 4);
        CHECK_EQ(t->shape[2], 3);
    }
    CHECK(td_params_find(&p, "a.weight") == &p.tensors[0]);
    CHECK(td_params_find(&p, "missing") == NULL);
    for (size_t i = 0; i < p.total; i++) p.grad[i] = 1.0f;
    td_params_zero_grad(&p);
    int all_zero = 1;
    for (size_t i = 0; i < p.total; i++) all_zero &= p.grad[i] == 0.0f;
    CHECK(all_zero);
    td_params_free(&p);
    CHECK(p.data == NULL && p.total == 0 && p.n_tensors == 0);
}

TEST(bad_declarations_fail_with_a_reason_and_leave_the_store_unchanged) {
    td_params p;
    td_params_init(&p);
    CHECK_EQ(td_params_alloc(&p), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "no parameters");
    CHECK_EQ(td_params_declare(&p, "w", 2, (int[]){4, 4}, TD_INIT_ZERO, 0.0f, NULL), TD_OK);
    CHECK_EQ(td_params_declare(&p, "w", 1, (int[]){4}, TD_INIT_ZERO, 0.0f, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "declared twice");
    CHECK_EQ(td_params_declare(&p, "", 1, (int[]){4}, TD_INIT_ZERO, 0.0f, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "needs a name");
    CHECK_EQ(td_params_declare(&p, "z", 2, (int[]){4, 0}, TD_INIT_ZERO, 0.0f, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "non-positive size 0 in dim 1");
    CHECK_EQ(td_params_declare(&p, "n", 1, (int[]){-3}, TD_INIT_ZERO, 0.0f, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "non-positive size -3");
    CHECK_EQ(td_params_declare(&p, "d", 5, (int[]){1, 1, 1, 1, 1}, TD_INIT_ZERO, 0.0f, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "has 5 dims");
    char long_name[100];
    memset(long_name, 'x', 99);
    long_name[99] = '\0';
    CHECK_EQ(td_params_declare(&p, long_name, 1, (int[]){1}, TD_INIT_ZERO, 0.0f, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "longer than 63 bytes");
    // 65536^4 overflows size_t; 2^15 x 2^15 stays small per dim but passes the cap.
    CHECK_EQ(td_params_declare(&p, "huge", 4, (int[]){65536, 65536, 65536, 65536}, TD_INIT_ZERO, 0.0f, NULL),
             TD_ERR_LIMIT);
    CHECK_CONTAINS(td_error_message(), "more than");
    CHECK_EQ(td_params_declare(&p, "big", 2, (int[]){1 << 15, 1 << 14}, TD_INIT_ZERO, 0.0f, NULL), TD_ERR_LIMIT);
    CHECK_EQ(p.n_tensors, 1);
    CHECK_EQ(p.total, 16);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    CHECK_EQ(td_params_declare(&p, "late", 1, (int[]){2}, TD_INIT_ZERO, 0.0f, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "already allocated");
    CHECK_EQ(td_params_alloc(&p), TD_ERR_ARG);
    td_params_free(&p);
}

static void build_net(td_params *p, td_mlp *net, td_class_embed *cls, uint64_t seed) {
    td_params_init(p);
    td_mlp_config cfg = {3, 16, 2, 2, TD_ACT_SILU, 1};
    TD_ASSERT(td_mlp_init(net, p, "net", &cfg) == TD_OK);
    TD_ASSERT(td_class_embed_init(cls, p, "cls", 5, 4) == TD_OK);
    TD_ASSERT(td_params_alloc(p) == TD_OK);
    td_rng rng;
    td_rng_seed(&rng, seed, 0);
    TD_ASSERT(td_params_init_weights(p, &rng) == TD_OK);
}

TEST(the_same_seed_gives_identical_weights_and_another_seed_does_not) {
    td_params a, b, c;
    td_mlp na, nb, nc;
    td_class_embed ca, cb, cc;
    build_net(&a, &na, &ca, 7);
    build_net(&b, &nb, &cb, 7);
    build_net(&c, &nc, &cc, 8);
    CHECK_EQ(a.total, b.total);
    CHECK(memcmp(a.data, b.data, a.total * sizeof(float)) == 0);
    size_t differ = 0;
    for (size_t i = 0; i < a.total; i++) differ += a.data[i] != c.data[i];
    CHECK(differ > a.total - 5);
    td_params_free(&a);
    td_params_free(&b);
    td_params_free(&c);
}

TEST(initial_weights_follow_each_tensors_rule) {
    td_params p;
    td_mlp net;
    td_class_embed cls;
    build_net(&p, &net, &cls, 3);
    // net.in: fan_in 3 -> U(+-0.577); blocks: fan_in 16 -> U(+-0.25); cls: N(0, 1).
    const td_param_tensor *w_in = td_params_find(&p, "net.in.weight");
    const td_param_tensor *w_blk = td_params_find(&p, "net.block.1.weight");
    const td_param_tensor *b_out = td_params_find(&p, "net.out.bias");
    const td_param_tensor *table = td_params_find(&p, "cls.weight");
    CHECK(w_in && w_blk && b_out && table && !td_params_find(&p, "net.block.2.weight"));
    if (!(w_in && w_blk && table)) return;
    float lo = 1, hi = -1;
    for (size_t i = 0; i < w_blk->count; i++) {
        float v = p.data[w_blk->offset + i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    CHECK(lo >= -0.25f && hi <= 0.25f && lo < -0.2f && hi > 0.2f);
    CHECK_EQ(table->shape[0], 6);  // 5 classes + the "no class" row
    CHECK_EQ(table->shape[1], 4);
    double ss = 0;
    for (size_t i = 0; i < table->count; i++) { double v = (double)p.data[table->offset + i]; ss += v * v; }
    CHECK(ss / (double)table->count > 0.4 && ss / (double)table->count < 2.0);
    td_params_free(&p);
}

// ---- dense layer ------------------------------------------------------------------

enum { GB = 4 };  // batch of the gradient checks

typedef struct {
    int K, N;
    td_act act;
} dense_ctx;

static void dense_model(const void *ctx, const double *theta, const double *x, double *y) {
    const dense_ctx *c = ctx;
    dense_ref(x, theta, theta + c->N * c->K, y, GB, c->K, c->N, c->act);
}

// Run the float dense layer forward + backward with dL/dy = r; returns grads.
static void dense_grads(const dense_ctx *c, const td_params *p, const float *x, const float *r,
                        float *grad, float *dx, int wrong_derivative) {
    size_t K = (size_t)c->K, N = (size_t)c->N;
    float z[GB * 8], y[GB * 8], dy[GB * 8];
    td_dense_forward(x, p->data, p->data + N * K, z, y, GB, c->K, c->N, c->act);
    memcpy(dy, r, sizeof(float) * GB * N);
    memset(grad, 0, sizeof(float) * p->total);
    // A deliberately wrong backward: pretend the activation was the identity.
    td_dense_backward(x, p->data, z, dy, dx, grad, grad + N * K, GB, c->K, c->N,
                      wrong_derivative ? TD_ACT_NONE : c->act);
}

static void dense_setup(td_params *p, dense_ctx *c, float *x, float *r, td_rng *rng) {
    td_params_init(p);
    TD_ASSERT(td_params_declare(p, "d.weight", 2, (int[]){c->N, c->K}, TD_INIT_UNIFORM, 1.0f, NULL) == TD_OK);
    TD_ASSERT(td_params_declare(p, "d.bias", 1, &c->N, TD_INIT_UNIFORM, 0.5f, NULL) == TD_OK);
    TD_ASSERT(td_params_alloc(p) == TD_OK);
    TD_ASSERT(td_params_init_weights(p, rng) == TD_OK);
    fill_normal(rng, x, (size_t)(GB * c->K));
    fill_normal(rng, r, (size_t)(GB * c->N));
}

TEST(dense_gradients_match_double_finite_differences_for_every_activation) {
    td_rng rng;
    td_rng_seed(&rng, 11, 0);
    for (int a = TD_ACT_NONE; a <= TD_ACT_TANH; a++) {
        dense_ctx c = {5, 7, (td_act)a};
        td_params p;
        float x[GB * 5], r[GB * 7], grad[64], dx[GB * 5];
        dense_setup(&p, &c, x, r, &rng);
        dense_grads(&c, &p, x, r, grad, dx, 0);
        ref_model m = {dense_model, &c, p.total, GB * 5, GB * 7, r};
        char what[32];
        snprintf(what, sizeof what, "dense %s", td_act_name(c.act));
        CHECK_EQ(grad_check(what, &m, p.data, x, grad, dx), 0);
        td_params_free(&p);
    }
}

TEST(the_gradient_checker_catches_a_missing_activation_derivative_and_a_one_percent_error) {
    td_rng rng;
    td_rng_seed(&rng, 12, 0);
    dense_ctx c = {5, 7, TD_ACT_TANH};
    td_params p;
    float x[GB * 5], r[GB * 7], grad[64], dx[GB * 5];
    dense_setup(&p, &c, x, r, &rng);
    ref_model m = {dense_model, &c, p.total, GB * 5, GB * 7, r};
    dense_grads(&c, &p, x, r, grad, dx, 1);
    int bad = grad_check("wrong derivative", &m, p.data, x, grad, dx);
    CHECK(bad > 20);
    // One weight gradient off by 1%: exactly that entry is flagged.
    dense_grads(&c, &p, x, r, grad, dx, 0);
    size_t worst = 0;
    for (size_t i = 0; i < p.total; i++) if (fabsf(grad[i]) > fabsf(grad[worst])) worst = i;
    grad[worst] *= 1.01f;
    CHECK_EQ(grad_check("one entry 1% off", &m, p.data, x, grad, NULL), 1);
    td_params_free(&p);
}

// ---- MLPs --------------------------------------------------------------------------

static void mlp_model(const void *ctx, const double *theta, const double *x, double *y) {
    mlp_ref(ctx, theta, x, GB, y);
}

static void check_mlp_gradients(const char *what, td_mlp_config cfg, uint64_t seed) {
    td_params p;
    td_mlp net;
    td_mlp_work work;
    td_params_init(&p);
    CHECK_EQ(td_mlp_init(&net, &p, "net", &cfg), TD_OK);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    td_rng rng;
    td_rng_seed(&rng, seed, 0);
    CHECK_EQ(td_params_init_weights(&p, &rng), TD_OK);
    CHECK_EQ(td_mlp_work_init(&work, &net, GB), TD_OK);
    size_t nx = (size_t)(GB * cfg.d_in), ny = (size_t)(GB * cfg.d_out);
    float *x = malloc(sizeof(float) * nx), *r = malloc(sizeof(float) * ny);
    float *y = malloc(sizeof(float) * ny), *dx = malloc(sizeof(float) * nx);
    fill_normal(&rng, x, nx);
    fill_normal(&rng, r, ny);
    td_params_zero_grad(&p);
    CHECK_EQ(td_mlp_forward_train(&net, &p, &work, x, y, GB), TD_OK);
    CHECK_EQ(td_mlp_backward(&net, &p, &work, r, dx), TD_OK);
    ref_model m = {mlp_model, &net, p.total, nx, ny, r};
    CHECK_EQ(grad_check(what, &m, p.data, x, p.grad, dx), 0);
    // The float forward matches the double reference too.
    double *yref = malloc(sizeof(double) * ny), *xd = malloc(sizeof(double) * nx);
    double *theta = malloc(sizeof(double) * p.total);
    for (size_t i = 0; i < nx; i++) xd[i] = (double)x[i];
    for (size_t i = 0; i < p.total; i++) theta[i] = (double)p.data[i];
    mlp_ref(&net, theta, xd, GB, yref);
    double worst = 0;
    for (size_t i = 0; i < ny; i++) worst = fmax(worst, fabs((double)y[i] - yref[i]));
    CHECK(worst < 1e-5);
    free(x); free(r); free(y); free(dx); free(yref); free(xd); free(theta);
    td_mlp_work_free(&work);
    td_params_free(&p);
}

TEST(mlp_gradients_match_finite_differences_for_parameters_and_input) {
    check_mlp_gradients("mlp gelu 3-12-12-2", (td_mlp_config){3, 12, 2, 2, TD_ACT_GELU, 0}, 21);
    check_mlp_gradients("mlp relu 4-10-3", (td_mlp_config){4, 10, 3, 1, TD_ACT_RELU, 0}, 22);
    check_mlp_gradients("mlp depth 0 (linear)", (td_mlp_config){3, 0, 2, 0, TD_ACT_SILU, 0}, 23);
}

TEST(residual_mlp_gradients_match_finite_differences_for_parameters_and_input) {
    check_mlp_gradients("resmlp silu 3x2 blocks", (td_mlp_config){3, 10, 2, 2, TD_ACT_SILU, 1}, 31);
    check_mlp_gradients("resmlp tanh 1 block", (td_mlp_config){2, 8, 4, 1, TD_ACT_TANH, 1}, 32);
}

TEST(inference_forward_matches_training_forward_and_keeps_its_cache) {
    td_params p;
    td_mlp net;
    td_class_embed cls;
    td_mlp_work work;
    build_net(&p, &net, &cls, 5);
    CHECK_EQ(td_mlp_work_init(&work, &net, 8), TD_OK);
    float x[8 * 3], y1[8 * 2], y2[8 * 2], dx1[8 * 3], dx2[8 * 3], dy[8 * 2];
    td_rng rng;
    td_rng_seed(&rng, 1, 1);
    fill_normal(&rng, x, 24);
    fill_normal(&rng, dy, 16);
    CHECK_EQ(td_mlp_forward_train(&net, &p, &work, x, y1, 8), TD_OK);
    CHECK_EQ(td_mlp_backward(&net, &p, &work, dy, dx1), TD_OK);
    float x_other[8 * 3] = {0};
    CHECK_EQ(td_mlp_forward(&net, &p, &work, x_other, y2, 8), TD_OK);  // must not disturb the cache
    CHECK_EQ(td_mlp_backward(&net, &p, &work, dy, dx2), TD_OK);
    CHECK(memcmp(dx1, dx2, sizeof dx1) == 0);
    CHECK_EQ(td_mlp_forward(&net, &p, &work, x, y2, 8), TD_OK);
    CHECK(memcmp(y1, y2, sizeof y1) == 0);
    td_mlp_work_free(&work);
    td_params_free(&p);
}

// Rows [x_i, tail] through the plain and the folded forward, for a plain and a residual net.
static void check_shared_tail(td_mlp_config cfg, uint64_t seed) {
    enum { B = 7, SHARED = 5 };
    td_params p;
    td_mlp net;
    td_mlp_work work;
    td_rng rng;
    td_rng_seed(&rng, seed, 0);
    td_params_init(&p);
    CHECK_EQ(td_mlp_init(&net, &p, "net", &cfg), TD_OK);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    td_params_init_weights(&p, &rng);
    CHECK_EQ(td_mlp_work_init(&work, &net, B), TD_OK);
    int head = cfg.d_in - SHARED;
    float rows[B * 9], x[B * 9], tail[SHARED], y_full[B * 3], y_fold[B * 3];
    fill_normal(&rng, x, (size_t)(B * head));
    fill_normal(&rng, tail, SHARED);
    for (int i = 0; i < B; i++) {
        memcpy(rows + i * cfg.d_in, x + i * head, (size_t)head * sizeof(float));
        memcpy(rows + i * cfg.d_in + head, tail, SHARED * sizeof(float));
    }
    CHECK_EQ(td_mlp_forward(&net, &p, &work, rows, y_full, B), TD_OK);
    CHECK_EQ(td_mlp_forward_shared(&net, &p, &work, x, tail, SHARED, y_fold, B), TD_OK);
    for (int i = 0; i < B * cfg.d_out; i++) CHECK_NEAR(y_fold[i], y_full[i], 1e-5);
    tail[0] += 0.5f;   // the tail is really read
    CHECK_EQ(td_mlp_forward_shared(&net, &p, &work, x, tail, SHARED, y_fold, B), TD_OK);
    CHECK(fabs((double)y_fold[0] - (double)y_full[0]) > 1e-4);
    CHECK_EQ(td_mlp_forward_shared(&net, &p, &work, x, tail, cfg.d_in, y_fold, B), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "shared input columns");
    CHECK_EQ(td_mlp_forward_shared(&net, &p, &work, x, NULL, SHARED, y_fold, B), TD_ERR_ARG);
    CHECK_EQ(td_mlp_forward_shared(&net, &p, &work, x, tail, SHARED, y_fold, B + 1), TD_ERR_LIMIT);
    td_mlp_work_free(&work);
    td_params_free(&p);
}

TEST(a_tail_shared_by_every_row_folded_into_the_first_bias_gives_the_full_rows_output) {
    check_shared_tail((td_mlp_config){9, 16, 3, 2, TD_ACT_SILU, 0}, 41);
    check_shared_tail((td_mlp_config){9, 16, 3, 2, TD_ACT_GELU, 1}, 42);
    check_shared_tail((td_mlp_config){9, 0, 3, 0, TD_ACT_SILU, 0}, 43);   // one layer: straight to y
}

TEST(mlp_errors_name_the_bad_size_and_the_too_large_batch) {
    td_params p;
    td_mlp net;
    td_mlp_work work;
    td_params_init(&p);
    CHECK_EQ(td_mlp_init(&net, &p, "bad", &(td_mlp_config){0, 8, 2, 1, TD_ACT_RELU, 0}), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "d_in 0");
    CHECK_EQ(td_mlp_init(&net, &p, "bad", &(td_mlp_config){2, -4, 2, 1, TD_ACT_RELU, 0}), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "d_hidden -4");
    CHECK_EQ(td_mlp_init(&net, &p, "bad", &(td_mlp_config){2, 4, 2, -1, TD_ACT_RELU, 1}), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "depth -1");
    CHECK_EQ(td_mlp_init(&net, &p, "bad", &(td_mlp_config){2, 4, 2, 15, TD_ACT_RELU, 1}), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "outside 0 .. 14");
    CHECK_EQ(td_mlp_init(&net, &p, "bad", &(td_mlp_config){2, 4, 2, 1, (td_act)42, 0}), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "unknown activation 42");
    CHECK_EQ(p.n_tensors, 0);

    CHECK_EQ(td_mlp_init(&net, &p, "ok", &(td_mlp_config){2, 4, 2, 1, TD_ACT_RELU, 0}), TD_OK);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    CHECK_EQ(td_mlp_work_init(&work, &net, 0), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "max_batch must be positive, got 0");
    CHECK_EQ(td_mlp_work_init(&work, &net, 4), TD_OK);
    float x[5 * 2] = {0}, y[5 * 2], dy[5 * 2] = {0};
    CHECK_EQ(td_mlp_backward(&net, &p, &work, dy, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "forward_train");
    CHECK_EQ(td_mlp_forward(&net, &p, &work, x, y, 5), TD_ERR_LIMIT);
    CHECK_CONTAINS(td_error_message(), "batch 5 exceeds the workspace's max_batch 4");
    CHECK_EQ(td_mlp_forward_train(&net, &p, &work, x, y, 5), TD_ERR_LIMIT);
    CHECK_EQ(td_mlp_forward_train(&net, &p, &work, x, y, -1), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "batch must be positive, got -1");
    CHECK_EQ(td_mlp_backward(&net, &p, &work, dy, NULL), TD_ERR_ARG);  // the failed forward left no cache
    CHECK_EQ(td_mlp_forward_train(&net, &p, &work, x, y, 4), TD_OK);
    CHECK_EQ(td_mlp_backward(&net, &p, &work, dy, NULL), TD_OK);
    td_mlp_work_free(&work);
    td_params_free(&p);
}

// ---- embeddings ----------------------------------------------------------------

TEST(time_embedding_matches_hand_values_and_separates_nearby_steps) {
    // D = 4: half = 2, frequencies 1 and 10000^(-1/2) = 0.01.
    float t[3] = {0.0f, 1.5f, 0.25f}, e[3 * 4];
    CHECK_EQ(td_time_embed(t, 3, 4, 1.0f, e), TD_OK);
    CHECK_NEAR(e[0], 0.0, 1e-7);
    CHECK_NEAR(e[1], 0.0, 1e-7);
    CHECK_NEAR(e[2], 1.0, 1e-7);
    CHECK_NEAR(e[3], 1.0, 1e-7);
    CHECK_NEAR(e[4], sin(1.5), 1e-7);
    CHECK_NEAR(e[5], sin(0.015), 1e-7);
    CHECK_NEAR(e[6], cos(1.5), 1e-7);
    CHECK_NEAR(e[7], cos(0.015), 1e-7);
    // Continuous t = 0.25 with scale 1000 equals integer step 250 with scale 1.
    float step = 250.0f, e2[4];
    CHECK_EQ(td_time_embed(&step, 1, 4, 1.0f, e2), TD_OK);
    float e3[4];
    CHECK_EQ(td_time_embed(&t[2], 1, 4, 1000.0f, e3), TD_OK);
    for (int k = 0; k < 4; k++) CHECK_NEAR(e2[k], e3[k], 1e-6);
    // Steps 500 and 501 differ visibly in a 32-dim embedding.
    float s2[2] = {500.0f, 501.0f}, big[2 * 32];
    CHECK_EQ(td_time_embed(s2, 2, 32, 1.0f, big), TD_OK);
    double dist = 0;
    for (int k = 0; k < 32; k++) {
        double d = (double)big[k] - (double)big[32 + k];
        dist += d * d;
    }
    CHECK(sqrt(dist) > 0.5);
    CHECK_EQ(td_time_embed(t, 3, 5, 1.0f, e), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "positive and even, got 5");
    CHECK_EQ(td_time_embed(t, 0, 4, 1.0f, e), TD_ERR_ARG);
}

typedef struct {
    const int *labels;
    int dim;
} class_ctx;

static void class_model(const void *ctx, const double *theta, const double *x, double *y) {
    (void)x;
    const class_ctx *c = ctx;
    for (int i = 0; i < GB; i++)
        for (int k = 0; k < c->dim; k++) y[i * c->dim + k] = theta[c->labels[i] * c->dim + k];
}

TEST(class_embedding_gradients_match_finite_differences_and_the_no_class_row_is_learned) {
    td_params p;
    td_class_embed cls;
    td_params_init(&p);
    CHECK_EQ(td_class_embed_init(&cls, &p, "cls", 3, 4), TD_OK);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    td_rng rng;
    td_rng_seed(&rng, 41, 0);
    CHECK_EQ(td_params_init_weights(&p, &rng), TD_OK);
    int labels[GB] = {2, 3, 2, 0};  // 3 = no class; label 2 twice: its gradients add
    float out[GB * 4], r[GB * 4];
    fill_normal(&rng, r, GB * 4);
    CHECK_EQ(td_class_embed_forward(&cls, &p, labels, GB, out), TD_OK);
    CHECK(memcmp(out + 4, p.data + 3 * 4, 4 * sizeof(float)) == 0);
    td_params_zero_grad(&p);
    CHECK_EQ(td_class_embed_backward(&cls, &p, labels, GB, r), TD_OK);
    class_ctx c = {labels, 4};
    ref_model m = {class_model, &c, p.total, 0, GB * 4, r};
    CHECK_EQ(grad_check("class table", &m, p.data, NULL, p.grad, NULL), 0);
    CHECK(p.grad[3 * 4] != 0.0f);  // the "no class" row received gradient
    CHECK(p.grad[1 * 4] == 0.0f);  // class 1 was not in the batch
    int bad[2] = {1, 4};
    CHECK_EQ(td_class_embed_forward(&cls, &p, bad, 2, out), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "label 4 at row 1 is outside 0 .. 3");
    bad[1] = -1;
    CHECK_EQ(td_class_embed_backward(&cls, &p, bad, 2, r), TD_ERR_ARG);
    CHECK_EQ(td_class_embed_init(&cls, &p, "x", 0, 4), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "0 classes");
    td_params_free(&p);
}

TEST(label_dropout_replaces_the_requested_fraction_with_no_class) {
    enum { N = 20000 };
    static int labels[N];
    for (int i = 0; i < N; i++) labels[i] = i % 10;
    td_rng rng;
    td_rng_seed(&rng, 9, 0);
    td_labels_drop(labels, N, 10, 0.1, &rng);
    int dropped = 0, kept_right = 1;
    for (int i = 0; i < N; i++) {
        if (labels[i] == 10) dropped++;
        else kept_right &= labels[i] == i % 10;
    }
    CHECK(abs(dropped - N / 10) < 200);  // sd = sqrt(N p (1-p)) = 42
    CHECK(kept_right);
}

typedef struct {
    int K, N;
} proj_ctx;

static void proj_model(const void *ctx, const double *theta, const double *x, double *y) {
    const proj_ctx *c = ctx;
    dense_ref(x, theta, theta + c->N * c->K, y, GB, c->K, c->N, TD_ACT_NONE);
}

TEST(condition_projection_gradients_match_finite_differences) {
    td_params p;
    td_cond_proj pr;
    td_params_init(&p);
    CHECK_EQ(td_cond_proj_init(&pr, &p, "colour", 3, 6), TD_OK);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    td_rng rng;
    td_rng_seed(&rng, 51, 0);
    CHECK_EQ(td_params_init_weights(&p, &rng), TD_OK);
    float c[GB * 3], out[GB * 6], r[GB * 6], r_copy[GB * 6], dc[GB * 3];
    fill_normal(&rng, c, GB * 3);
    fill_normal(&rng, r, GB * 6);
    memcpy(r_copy, r, sizeof r);
    CHECK_EQ(td_cond_proj_forward(&pr, &p, c, GB, out), TD_OK);
    td_params_zero_grad(&p);
    CHECK_EQ(td_cond_proj_backward(&pr, &p, c, GB, r, dc), TD_OK);
    CHECK(memcmp(r, r_copy, sizeof r) == 0);
    proj_ctx ctx = {3, 6};
    ref_model m = {proj_model, &ctx, p.total, GB * 3, GB * 6, r};
    CHECK_EQ(grad_check("colour projection", &m, p.data, c, p.grad, dc), 0);
    CHECK_EQ(td_cond_proj_init(&pr, &p, "bad", 3, 0), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "3 -> 0");
    td_params_free(&p);
}

// A conditional net: in = [x (2), temb (4), class emb (3), colour proj (3)] -> resmlp -> (2).
typedef struct {
    const td_mlp *net;
    const td_class_embed *cls;
    const td_cond_proj *pr;
    const float *temb;
    const int *labels;
} cond_ctx;

enum { CX = 2, CT = 4, CC = 3, CP = 3, CIN = CX + CT + CC + CP };

// x packs [x (GB, CX) | colour (GB, 3)] so the checker perturbs both.
static void cond_model(const void *ctx, const double *theta, const double *x, double *y) {
    const cond_ctx *c = ctx;
    double in[GB * CIN], proj[GB * CP];
    dense_ref(x + GB * CX, theta + c->pr->w, theta + c->pr->b, proj, GB, 3, CP, TD_ACT_NONE);
    for (int i = 0; i < GB; i++) {
        double *row = in + i * CIN;
        for (int k = 0; k < CX; k++) row[k] = x[i * CX + k];
        for (int k = 0; k < CT; k++) row[CX + k] = (double)c->temb[i * CT + k];
        for (int k = 0; k < CC; k++) row[CX + CT + k] = theta[c->cls->table + (size_t)(c->labels[i] * CC + k)];
        for (int k = 0; k < CP; k++) row[CX + CT + CC + k] = proj[i * CP + k];
    }
    mlp_ref(c->net, theta, in, GB, y);
}

TEST(a_conditional_net_routes_gradients_through_concat_and_split_to_every_input) {
    td_params p;
    td_mlp net;
    td_class_embed cls;
    td_cond_proj pr;
    td_mlp_work work;
    td_params_init(&p);
    CHECK_EQ(td_mlp_init(&net, &p, "net", &(td_mlp_config){CIN, 10, CX, 1, TD_ACT_SILU, 1}), TD_OK);
    CHECK_EQ(td_class_embed_init(&cls, &p, "cls", 2, CC), TD_OK);
    CHECK_EQ(td_cond_proj_init(&pr, &p, "colour", 3, CP), TD_OK);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    td_rng rng;
    td_rng_seed(&rng, 61, 0);
    CHECK_EQ(td_params_init_weights(&p, &rng), TD_OK);
    CHECK_EQ(td_mlp_work_init(&work, &net, GB), TD_OK);

    float xc[GB * CX + GB * 3], r[GB * CX], t[GB] = {0.1f, 0.5f, 0.9f, 0.3f};
    int labels[GB] = {0, 2, 1, 2};
    fill_normal(&rng, xc, GB * (CX + 3));
    fill_normal(&rng, r, GB * CX);
    const float *x = xc, *colour = xc + GB * CX;
    float temb[GB * CT], cemb[GB * CC], pemb[GB * CP], in[GB * CIN], out[GB * CX];
    CHECK_EQ(td_time_embed(t, GB, CT, 1000.0f, temb), TD_OK);
    CHECK_EQ(td_class_embed_forward(&cls, &p, labels, GB, cemb), TD_OK);
    CHECK_EQ(td_cond_proj_forward(&pr, &p, colour, GB, pemb), TD_OK);
    const int widths[4] = {CX, CT, CC, CP};
    CHECK_EQ(td_concat_cols(in, GB, 4, (const float *[]){x, temb, cemb, pemb}, widths), TD_OK);
    CHECK(in[CIN + CX] == temb[CT] && in[2 * CIN - 1] == pemb[2 * CP - 1]);
    td_params_zero_grad(&p);
    CHECK_EQ(td_mlp_forward_train(&net, &p, &work, in, out, GB), TD_OK);
    float din[GB * CIN], dgrad[GB * CX + GB * 3], dcemb[GB * CC], dpemb[GB * CP];
    CHECK_EQ(td_mlp_backward(&net, &p, &work, r, din), TD_OK);
    CHECK_EQ(td_split_cols(din, GB, 4, (float *[]){dgrad, NULL, dcemb, dpemb}, widths), TD_OK);
    CHECK_EQ(td_class_embed_backward(&cls, &p, labels, GB, dcemb), TD_OK);
    CHECK_EQ(td_cond_proj_backward(&pr, &p, colour, GB, dpemb, dgrad + GB * CX), TD_OK);

    cond_ctx c = {&net, &cls, &pr, temb, labels};
    ref_model m = {cond_model, &c, p.total, GB * (CX + 3), GB * CX, r};
    CHECK_EQ(grad_check("conditional net", &m, p.data, xc, p.grad, dgrad), 0);
    CHECK_EQ(td_concat_cols(in, GB, 2, (const float *[]){x, NULL}, widths), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "part 1 is NULL");
    CHECK_EQ(td_split_cols(din, GB, 2, (float *[]){NULL, NULL}, (int[]){2, 0}), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "non-positive width 0");
    td_mlp_work_free(&work);
    td_params_free(&p);
}

// ---- loss, optimiser, clipping, EMA ------------------------------------------------

TEST(mse_loss_and_its_gradient_match_hand_values) {
    float y[4] = {1.0f, 2.0f, 0.0f, -1.0f}, t[4] = {0.0f, 2.0f, 2.0f, -1.5f}, dy[4];
    // diffs 1, 0, -2, 0.5: loss = (1 + 0 + 4 + 0.25) / 4 = 1.3125; dy = 2 diff / 4
    CHECK_NEAR(td_mse_loss(y, t, 4, dy), 1.3125, 1e-12);
    CHECK_NEAR(dy[0], 0.5, 1e-7);
    CHECK_NEAR(dy[1], 0.0, 1e-7);
    CHECK_NEAR(dy[2], -1.0, 1e-7);
    CHECK_NEAR(dy[3], 0.25, 1e-7);
    CHECK_NEAR(td_mse_loss(y, t, 4, NULL), 1.3125, 1e-12);
    CHECK_NEAR(td_mse_loss(y, y, 4, dy), 0.0, 0.0);
}

TEST(adamw_first_two_steps_match_hand_computed_values) {
    td_params p;
    td_params_init(&p);
    CHECK_EQ(td_params_declare(&p, "w", 2, (int[]){1, 1}, TD_INIT_ZERO, 0.0f, NULL), TD_OK);
    CHECK_EQ(td_params_declare(&p, "b", 1, (int[]){1}, TD_INIT_ZERO, 0.0f, NULL), TD_OK);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    td_adamw opt;
    CHECK_EQ(td_adamw_init(&opt, &p, (td_adamw_config){0.1f, 0.9f, 0.999f, 1e-8f, 0.01f}), TD_OK);
    p.data[0] = p.data[1] = 1.0f;
    // Step 1, g = 0.5: decay 1 -> 0.999 (weight only); m = 0.05, v = 2.5e-4,
    // m^ = 0.5, v^ = 0.25, update = 0.1 * 0.5 / 0.5 = 0.1.
    p.grad[0] = p.grad[1] = 0.5f;
    CHECK_EQ(td_adamw_step(&opt, &p), TD_OK);
    CHECK_NEAR(p.data[0], 0.899, 1e-6);
    CHECK_NEAR(p.data[1], 0.900, 1e-6);
    // Step 2, g = -0.25: m = 0.045 - 0.025 = 0.02, v = 2.4975e-4 + 6.25e-5 = 3.1225e-4,
    // m^ = 0.02 / 0.19 = 0.1052632, v^ = 3.1225e-4 / 0.001999 = 0.1562031,
    // update = 0.1 * 0.1052632 / 0.3952253 = 0.0266337;
    // weight 0.899 * 0.999 - 0.0266337 = 0.8714673, bias 0.9 - 0.0266337 = 0.8733663.
    p.grad[0] = p.grad[1] = -0.25f;
    CHECK_EQ(td_adamw_step(&opt, &p), TD_OK);
    CHECK_NEAR(p.data[0], 0.8714673, 2e-6);
    CHECK_NEAR(p.data[1], 0.8733663, 2e-6);
    CHECK_EQ(opt.step, 2);
    td_params other;  // a model of another size is refused, not overrun
    td_params_init(&other);
    CHECK_EQ(td_params_declare(&other, "w", 1, (int[]){3}, TD_INIT_ZERO, 0.0f, NULL), TD_OK);
    CHECK_EQ(td_params_alloc(&other), TD_OK);
    CHECK_EQ(td_adamw_step(&opt, &other), TD_ERR_SHAPE);
    CHECK_CONTAINS(td_error_message(), "made for 2 parameters, the model has 3");
    td_params_free(&other);
    td_adamw_free(&opt);
    CHECK_EQ(td_adamw_init(&opt, &p, (td_adamw_config){0.1f, 1.0f, 0.999f, 1e-8f, 0.0f}), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "betas (1, 0.999)");
    td_params_free(&p);
}

TEST(gradient_clipping_scales_the_norm_exactly_and_returns_the_norm_before) {
    td_params p;
    td_params_init(&p);
    CHECK_EQ(td_params_declare(&p, "a", 1, (int[]){2}, TD_INIT_ZERO, 0.0f, NULL), TD_OK);
    CHECK_EQ(td_params_declare(&p, "b", 2, (int[]){1, 2}, TD_INIT_ZERO, 0.0f, NULL), TD_OK);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    float g[4] = {3.0f, 0.0f, 0.0f, -4.0f};  // norm 5 spread over two tensors
    memcpy(p.grad, g, sizeof g);
    CHECK_NEAR(td_grad_clip(&p, 10.0f), 5.0, 1e-6);
    CHECK(memcmp(p.grad, g, sizeof g) == 0);  // under the limit: untouched
    CHECK_NEAR(td_grad_clip(&p, 1.0f), 5.0, 1e-6);
    CHECK_NEAR(p.grad[0], 0.6, 1e-7);
    CHECK_NEAR(p.grad[3], -0.8, 1e-7);
    CHECK_NEAR(td_grad_clip(&p, 0.0f), 1.0, 1e-6);  // measure only
    p.grad[1] = INFINITY;
    CHECK(isinf(td_grad_clip(&p, 1.0f)));
    CHECK_NEAR(p.grad[0], 0.6, 1e-7);  // a non-finite norm scales nothing
    td_params_free(&p);
}

TEST(ema_follows_its_closed_form_converges_and_swaps_back) {
    td_params p;
    td_params_init(&p);
    CHECK_EQ(td_params_declare(&p, "w", 1, (int[]){3}, TD_INIT_ZERO, 0.0f, NULL), TD_OK);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    p.data[0] = 1.0f; p.data[1] = -2.0f; p.data[2] = 0.0f;
    td_ema ema;
    CHECK_EQ(td_ema_init(&ema, &p, 0.9f), TD_OK);
    // Weights jump to 5: ema_n = 5 + (w0 - 5) 0.9^n.
    for (int k = 0; k < 3; k++) p.data[k] = 5.0f;
    for (int n = 1; n <= 200; n++) {
        CHECK_EQ(td_ema_update(&ema, &p), TD_OK);
        if (n == 10) {
            CHECK_NEAR(ema.w[0], 5.0 + (1.0 - 5.0) * pow(0.9, 10), 1e-5);
            CHECK_NEAR(ema.w[1], 5.0 + (-2.0 - 5.0) * pow(0.9, 10), 1e-5);
        }
    }
    CHECK_NEAR(ema.w[1], 5.0, 1e-5);
    p.data[0] = 7.0f;
    float *live = p.data;
    CHECK_EQ(td_ema_swap(&ema, &p), TD_OK);
    CHECK_NEAR(p.data[0], 5.0, 1e-5);
    CHECK_EQ(td_ema_swap(&ema, &p), TD_OK);
    CHECK(p.data == live && p.data[0] == 7.0f);
    CHECK_EQ(td_ema_copy_to(&ema, &p), TD_OK);
    CHECK_NEAR(p.data[0], 5.0, 1e-5);
    td_ema_free(&ema);
    CHECK_EQ(td_ema_init(&ema, &p, 1.0f), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "decay must be in [0, 1), got 1");
    td_params_free(&p);
}

// ---- learning ------------------------------------------------------------------------

// Mean squared error of the net on 256 fixed points of y = sin(pi x), x in [-1, 1].
static double sine_eval(const td_mlp *net, const td_params *p, td_mlp_work *work) {
    float x[256], y[256], t[256];
    for (int i = 0; i < 256; i++) {
        x[i] = -1.0f + 2.0f * (float)i / 255.0f;
        t[i] = sinf(3.14159265f * x[i]);
    }
    TD_ASSERT(td_mlp_forward(net, p, work, x, y, 256) == TD_OK);
    return td_mse_loss(y, t, 256, NULL);
}

TEST(a_tiny_mlp_learns_a_sine_and_its_loss_drops_tenfold) {
    td_params p;
    td_mlp net;
    td_mlp_work work;
    td_params_init(&p);
    CHECK_EQ(td_mlp_init(&net, &p, "net", &(td_mlp_config){1, 32, 1, 2, TD_ACT_SILU, 0}), TD_OK);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    td_rng rng;
    td_rng_seed(&rng, 2024, 0);
    CHECK_EQ(td_params_init_weights(&p, &rng), TD_OK);
    CHECK_EQ(td_mlp_work_init(&work, &net, 256), TD_OK);
    td_adamw opt;
    td_adamw_config cfg = td_adamw_defaults();
    cfg.lr = 1e-2f;
    CHECK_EQ(td_adamw_init(&opt, &p, cfg), TD_OK);
    double before = sine_eval(&net, &p, &work);
    float x[64], y[64], t[64], dy[64];
    for (int step = 0; step < 600; step++) {
        for (int i = 0; i < 64; i++) {
            x[i] = (float)(2.0 * td_rng_uniform(&rng) - 1.0);
            t[i] = sinf(3.14159265f * x[i]);
        }
        td_params_zero_grad(&p);
        td_mlp_forward_train(&net, &p, &work, x, y, 64);
        td_mse_loss(y, t, 64, dy);
        td_mlp_backward(&net, &p, &work, dy, NULL);
        td_grad_clip(&p, 1.0f);
        td_adamw_step(&opt, &p);
    }
    double after = sine_eval(&net, &p, &work);
    printf("    sine regression MSE: %.4f before, %.6f after 600 steps (%.0fx lower)\n", before, after,
           before / after);
    CHECK(after < before / 10.0);
    td_adamw_free(&opt);
    td_mlp_work_free(&work);
    td_params_free(&p);
}

int main(void) {
    RUN(parameters_live_in_one_buffer_in_declaration_order_and_are_found_by_name);
    RUN(bad_declarations_fail_with_a_reason_and_leave_the_store_unchanged);
    RUN(the_same_seed_gives_identical_weights_and_another_seed_does_not);
    RUN(initial_weights_follow_each_tensors_rule);
    RUN(dense_gradients_match_double_finite_differences_for_every_activation);
    RUN(the_gradient_checker_catches_a_missing_activation_derivative_and_a_one_percent_error);
    RUN(mlp_gradients_match_finite_differences_for_parameters_and_input);
    RUN(residual_mlp_gradients_match_finite_differences_for_parameters_and_input);
    RUN(inference_forward_matches_training_forward_and_keeps_its_cache);
    RUN(mlp_errors_name_the_bad_size_and_the_too_large_batch);
    RUN(a_tail_shared_by_every_row_folded_into_the_first_bias_gives_the_full_rows_output);
    RUN(time_embedding_matches_hand_values_and_separates_nearby_steps);
    RUN(class_embedding_gradients_match_finite_differences_and_the_no_class_row_is_learned);
    RUN(label_dropout_replaces_the_requested_fraction_with_no_class);
    RUN(condition_projection_gradients_match_finite_differences);
    RUN(a_conditional_net_routes_gradients_through_concat_and_split_to_every_input);
    RUN(mse_loss_and_its_gradient_match_hand_values);
    RUN(adamw_first_two_steps_match_hand_computed_values);
    RUN(gradient_clipping_scales_the_norm_exactly_and_returns_the_norm_before);
    RUN(ema_follows_its_closed_form_converges_and_swaps_back);
    RUN(a_tiny_mlp_learns_a_sine_and_its_loss_drops_tenfold);
    return check_summary("test_nn");
}
