// test_dense.c - every kernel path against the reference, and the reference
// against a double-precision computation, forward and backward.
//
// Error measure: |a - b| / max(1, |b|), with NaN counted as infinitely wrong:
// relative where values are large, absolute near zero (where a relative error
// is meaningless), and robust to the summation order every path is free to pick.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "nn/dense.h"

static const double TOL = 1e-5;

// The test's own generator (a 64-bit LCG with explicit state) keeps this
// program to src/nn and src/core, so the documented one-line Emscripten build
// of it links. Draws are uniform with mean 0 and variance 1.
typedef struct {
    uint64_t s;
} test_rng;

static void test_seed(test_rng *rng, uint64_t seed, uint64_t stream) {
    rng->s = seed * 0x9E3779B97F4A7C15ull ^ (stream + 1) * 0xBF58476D1CE4E5B9ull;
}

static double test_uniform(test_rng *rng) {
    rng->s = rng->s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng->s >> 11) * (1.0 / 9007199254740992.0);
}

static double test_draw(test_rng *rng) { return (2.0 * test_uniform(rng) - 1.0) * sqrt(3.0); }

static int test_below(test_rng *rng, int n) { return (int)(test_uniform(rng) * n); }

// ---- ground truth in double -------------------------------------------------
static double act_d(td_act act, double z) {
    double c = 0.7978845608028654, a = 0.044715;
    switch (act) {
    case TD_ACT_NONE: return z;
    case TD_ACT_RELU: return z > 0 ? z : 0;
    case TD_ACT_SILU: return z / (1 + exp(-z));
    case TD_ACT_GELU: return 0.5 * z * (1 + tanh(c * (z + a * z * z * z)));
    case TD_ACT_TANH: return tanh(z);
    }
    return z;
}

static double act_grad_d(td_act act, double z) {
    double c = 0.7978845608028654, a = 0.044715;
    switch (act) {
    case TD_ACT_NONE: return 1;
    case TD_ACT_RELU: return z > 0 ? 1 : 0;
    case TD_ACT_SILU: {
        double s = 1 / (1 + exp(-z));
        return s * (1 + z * (1 - s));
    }
    case TD_ACT_GELU: {
        double t = tanh(c * (z + a * z * z * z));
        return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * a * z * z);
    }
    case TD_ACT_TANH: return 1 - tanh(z) * tanh(z);
    }
    return 1;
}

// ---- helpers ---------------------------------------------------------------
static double err_of(double a, double b) {
    double e = fabs(a - b) / fmax(1.0, fabs(b));
    return e == e ? e : (double)INFINITY;   // NaN is the worst error there is
}

// Explicit promotion: clang warns on float -> double arguments.
#define ERR_OF(a, b) err_of((double)(a), (double)(b))

static double max_err(const float *a, const float *b, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, ERR_OF(a[i], b[i]));
    return worst;
}

static double max_err_d(const float *a, const double *b, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, ERR_OF(a[i], b[i]));
    return worst;
}

// Shapes are kept small enough for Emscripten's default 16 MB heap.
static float *alloc_or_die(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) {
        printf("test_dense: out of memory allocating %zu floats\n", n);
        exit(1);
    }
    return p;
}

static float *fill(test_rng *rng, size_t n, double scale) {
    float *p = alloc_or_die(n);
    for (size_t i = 0; i < n; i++) p[i] = (float)(scale * test_draw(rng));
    return p;
}

static float *copy(const float *src, size_t n) {
    float *p = alloc_or_die(n);
    if (n) memcpy(p, src, n * sizeof *p);
    return p;
}

// One layer's inputs and the outputs every path must reproduce.
typedef struct {
    int M, K, N;
    td_act act;
    int use_bias, use_z, use_dx;
    float *x, *W, *b, *dy, *dW0, *db0;
    float *z, *y, *dz, *dx, *dW, *db;   // from the float reference; z holds the slopes act'(z)
} layer_case;

static void case_init(layer_case *c, test_rng *rng, int M, int K, int N, td_act act,
                      int use_bias, int use_z, int use_dx) {
    size_t m = (size_t)M, k = (size_t)K, n = (size_t)N;
    memset(c, 0, sizeof *c);
    c->M = M, c->K = K, c->N = N, c->act = act;
    c->use_bias = use_bias, c->use_z = use_z, c->use_dx = use_dx;
    c->x = fill(rng, m * k, 1.0);
    c->W = fill(rng, n * k, 1.0 / sqrt(K > 0 ? K : 1));
    c->b = fill(rng, n, 0.5);
    // dy as a mean over the batch gives it (1/M): gradients summed over a batch
    // of 4096 stay O(1), as in training. With dy ~ 1 instead, two float sums of
    // 4096 terms in different orders differ by ~1e-4 relative where the terms
    // cancel, whatever the kernel.
    c->dy = fill(rng, m * n, 1.0 / (M > 0 ? M : 1));
    c->dW0 = fill(rng, n * k, 0.1);   // gradients accumulate: start from nonzero
    c->db0 = fill(rng, n, 0.1);
    const td_dense_kernel *ref = td_dense_kernel_for(TD_PATH_REF);
    c->z = fill(rng, m * n, 0.0);
    c->y = fill(rng, m * n, 0.0);
    ref->forward(c->x, c->W, use_bias ? c->b : NULL, c->z, c->y, M, K, N, act);
    c->dz = copy(c->dy, m * n);
    c->dx = fill(rng, m * k, 0.0);
    c->dW = copy(c->dW0, n * k);
    c->db = copy(c->db0, n);
    ref->backward(c->x, c->W, c->z, c->dz, use_dx ? c->dx : NULL, c->dW,
                  use_bias ? c->db : NULL, M, K, N, act);
}

static void case_free(layer_case *c) {
    float *all[] = {c->x, c->W, c->b, c->dy, c->dW0, c->db0, c->z, c->y, c->dz, c->dx, c->dW, c->db};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
}

// Worst error of the float reference against a double computation.
static double reference_error(const layer_case *c) {
    size_t M = (size_t)c->M, K = (size_t)c->K, N = (size_t)c->N;
    double worst = 0;
    for (size_t i = 0; i < M; i++) {
        for (size_t n = 0; n < N; n++) {
            double acc = c->use_bias ? (double)c->b[n] : 0.0;
            for (size_t k = 0; k < K; k++) acc += (double)c->x[i * K + k] * (double)c->W[n * K + k];
            // The forward keeps the slope act'(z) (in c->z) for the backward.
            double slope = act_grad_d(c->act, acc);
            worst = fmax(worst, ERR_OF(c->z[i * N + n], slope));
            worst = fmax(worst, ERR_OF(c->y[i * N + n], act_d(c->act, acc)));
            worst = fmax(worst, ERR_OF(c->dz[i * N + n], (double)c->dy[i * N + n] * slope));
        }
    }
    for (size_t i = 0; c->use_dx && i < M; i++) {
        for (size_t k = 0; k < K; k++) {
            double acc = 0;
            for (size_t n = 0; n < N; n++) acc += (double)c->dz[i * N + n] * (double)c->W[n * K + k];
            worst = fmax(worst, ERR_OF(c->dx[i * K + k], acc));
        }
    }
    for (size_t n = 0; n < N; n++) {
        for (size_t k = 0; k < K; k++) {
            double acc = (double)c->dW0[n * K + k];
            for (size_t i = 0; i < M; i++) acc += (double)c->dz[i * N + n] * (double)c->x[i * K + k];
            worst = fmax(worst, ERR_OF(c->dW[n * K + k], acc));
        }
        if (c->use_bias) {
            double acc = (double)c->db0[n];
            for (size_t i = 0; i < M; i++) acc += (double)c->dz[i * N + n];
            worst = fmax(worst, ERR_OF(c->db[n], acc));
        }
    }
    return worst;
}

// Worst error of one path against the float reference over every output.
static double path_error(const td_dense_kernel *kern, const layer_case *c) {
    size_t M = (size_t)c->M, K = (size_t)c->K, N = (size_t)c->N;
    float *z = alloc_or_die(M * N), *y = alloc_or_die(M * N);
    float *dz = copy(c->dy, M * N), *dx = alloc_or_die(M * K);
    float *dW = copy(c->dW0, N * K), *db = copy(c->db0, N);
    kern->forward(c->x, c->W, c->use_bias ? c->b : NULL, c->use_z ? z : NULL, y, c->M, c->K,
                  c->N, c->act);
    double worst = max_err(y, c->y, M * N);
    if (c->use_z) worst = fmax(worst, max_err(z, c->z, M * N));
    kern->backward(c->x, c->W, c->z, dz, c->use_dx ? dx : NULL, dW, c->use_bias ? db : NULL,
                   c->M, c->K, c->N, c->act);
    worst = fmax(worst, max_err(dz, c->dz, M * N));
    if (c->use_dx) worst = fmax(worst, max_err(dx, c->dx, M * K));
    worst = fmax(worst, max_err(dW, c->dW, N * K));
    if (c->use_bias) worst = fmax(worst, max_err(db, c->db, N));
    free(z); free(y); free(dz); free(dx); free(dW); free(db);
    return worst;
}

// A random permutation of 1..n, so each value occurs once per round.
static void shuffled_range(test_rng *rng, int *out, int n) {
    for (int i = 0; i < n; i++) out[i] = i + 1;
    for (int i = n - 1; i > 0; i--) {
        int j = test_below(rng, i + 1), t = out[i];
        out[i] = out[j];
        out[j] = t;
    }
}

enum { SIDE = 67, ROUNDS = 2 };

// Run `body` over random shapes in which every M, K, N in 1..67 occurs.
#define FOR_RANDOM_CASES(c, body)                                                     \
    do {                                                                              \
        test_rng rng_;                                                                  \
        test_seed(&rng_, 2024, 3);                                                  \
        for (int round_ = 0; round_ < ROUNDS; round_++) {                             \
            int ms_[SIDE], ks_[SIDE], ns_[SIDE];                                      \
            shuffled_range(&rng_, ms_, SIDE);                                         \
            shuffled_range(&rng_, ks_, SIDE);                                         \
            shuffled_range(&rng_, ns_, SIDE);                                         \
            for (int t_ = 0; t_ < SIDE; t_++) {                                       \
                int u_ = round_ * SIDE + t_;                                          \
                layer_case c;                                                         \
                case_init(&c, &rng_, ms_[t_], ks_[t_], ns_[t_], (td_act)(u_ % 5),     \
                          (u_ / 5) % 2, u_ % 4 != 0, u_ % 3 != 0);                    \
                body;                                                                 \
                case_free(&c);                                                        \
            }                                                                         \
        }                                                                             \
    } while (0)

// The benchmark's shapes and some that cross every cache block of the kernels.
static const int BIG[][4] = {
    {4096, 128, 2, TD_ACT_NONE}, {256, 128, 128, TD_ACT_SILU}, {256, 64, 128, TD_ACT_GELU},
    {16, 848, 512, TD_ACT_SILU}, {64, 512, 512, TD_ACT_TANH}, {1, 512, 784, TD_ACT_NONE},
    {260, 300, 600, TD_ACT_RELU}, {1024, 34, 128, TD_ACT_SILU}, {0, 5, 3, TD_ACT_SILU},
    {3, 0, 5, TD_ACT_GELU}, {2, 3, 0, TD_ACT_RELU},
    {4096, 2, 128, TD_ACT_SILU}, {40, 3, 1030, TD_ACT_GELU},   // a folded first layer; past SMALL_N
};
enum { BIG_COUNT = sizeof BIG / sizeof BIG[0] };

// ---- tests -----------------------------------------------------------------
TEST(the_reference_matches_a_double_precision_computation_on_every_shape) {
    double worst = 0;
    FOR_RANDOM_CASES(c, worst = fmax(worst, reference_error(&c)));
    test_rng rng;
    test_seed(&rng, 5, 5);
    for (int s = 0; s < BIG_COUNT; s++) {
        layer_case c;
        case_init(&c, &rng, BIG[s][0], BIG[s][1], BIG[s][2], (td_act)BIG[s][3], 1, 1, 1);
        worst = fmax(worst, reference_error(&c));
        case_free(&c);
    }
    printf("    ref      vs double: max error %.3g\n", worst);
    CHECK(worst <= TOL);
}

TEST(every_path_matches_the_reference_on_shapes_covering_1_to_67) {
    int paths = 0;
    for (int p = 1; p < TD_PATH_COUNT; p++) {
        const td_dense_kernel *kern = td_dense_kernel_for((td_dense_path)p);
        if (!kern) continue;
        paths++;
        double worst = 0;
        FOR_RANDOM_CASES(c, worst = fmax(worst, path_error(kern, &c)));
        printf("    %-8s vs ref: max error %.3g (134 random shapes)\n", kern->name, worst);
        CHECK(worst <= TOL);
    }
    CHECK(paths >= 1);   // a fast path exists on every platform we ship to
}

TEST(every_path_matches_the_reference_on_the_benchmark_and_blocking_shapes) {
    for (int p = 1; p < TD_PATH_COUNT; p++) {
        const td_dense_kernel *kern = td_dense_kernel_for((td_dense_path)p);
        if (!kern) continue;
        test_rng rng;
        test_seed(&rng, 9, 1);
        double worst = 0;
        for (int s = 0; s < BIG_COUNT; s++) {
            layer_case c;
            case_init(&c, &rng, BIG[s][0], BIG[s][1], BIG[s][2], (td_act)BIG[s][3], s % 2, 1, 1);
            double e = path_error(kern, &c);
            if (!(e <= TOL))
                printf("    %s at M=%d K=%d N=%d: error %.3g\n", kern->name, c.M, c.K, c.N, e);
            worst = fmax(worst, e);
            case_free(&c);
        }
        printf("    %-8s vs ref: max error %.3g (big shapes)\n", kern->name, worst);
        CHECK(worst <= TOL);
    }
}

TEST(activations_inside_the_kernels_match_the_scalar_definitions_from_minus_30_to_30) {
    // y = act(x * 1) with K = 1, N = 1 runs each path's own activation code;
    // N = 21 also reaches it inside the broadcast tile.
    enum { COUNT = 6001, WIDE = 21 };
    static float x[COUNT], W[WIDE], y[COUNT * WIDE], slope[COUNT * WIDE], dy[COUNT * WIDE],
        dW[WIDE];
    for (int i = 0; i < COUNT; i++) x[i] = -30.0f + 0.01f * (float)i;
    for (int n = 0; n < WIDE; n++) W[n] = 1.0f;
    for (int p = 1; p < TD_PATH_COUNT; p++) {
        const td_dense_kernel *kern = td_dense_kernel_for((td_dense_path)p);
        if (!kern) continue;
        double worst_f = 0, worst_g = 0;
        for (int a = 0; a < 5; a++) {
            for (int N = 1; N <= WIDE; N += WIDE - 1) {
                kern->forward(x, W, NULL, slope, y, COUNT, 1, N, (td_act)a);
                for (int i = 0; i < COUNT * N; i++) dy[i] = 1.0f;
                kern->backward(x, W, slope, dy, NULL, dW, NULL, COUNT, 1, N, (td_act)a);
                for (int i = 0; i < COUNT * N; i++) {
                    float zi = x[i / N];
                    worst_f = fmax(worst_f, ERR_OF(y[i], td_act_apply((td_act)a, zi)));
                    worst_g = fmax(worst_g, ERR_OF(dy[i], td_act_grad((td_act)a, zi)));
                }
            }
        }
        printf("    %-8s activation error %.3g, gradient error %.3g\n", kern->name, worst_f,
               worst_g);
        CHECK(worst_f <= TOL);
        CHECK(worst_g <= TOL);
    }
}

TEST(the_comparison_detects_one_perturbed_output_and_a_nan) {
    test_rng rng;
    test_seed(&rng, 1, 1);
    layer_case c;
    case_init(&c, &rng, 33, 40, 21, TD_ACT_SILU, 1, 1, 1);
    const td_dense_kernel *kern = td_dense_kernel_for(td_dense_best_path());
    float *y = malloc(33 * 21 * sizeof *y);
    kern->forward(c.x, c.W, c.b, NULL, y, 33, 40, 21, TD_ACT_SILU);
    CHECK(max_err(y, c.y, 33 * 21) <= TOL);
    y[123] += 3e-5f * fmaxf(1.0f, fabsf(y[123]));   // just over the tolerance
    CHECK(max_err(y, c.y, 33 * 21) > TOL);
    y[123] = NAN;
    CHECK(max_err(y, c.y, 33 * 21) > TOL);
    // The double-precision check fires too.
    double d[4] = {1.0, -2.0, 0.5, 0.0};
    float f[4] = {1.0f, -2.0f, 0.5f, 2e-5f};
    CHECK(max_err_d(f, d, 4) > TOL);
    f[3] = 0.0f;
    CHECK(max_err_d(f, d, 4) <= TOL);
    free(y);
    case_free(&c);
}

TEST(td_dense_forward_and_backward_run_the_best_path_bit_for_bit) {
    test_rng rng;
    test_seed(&rng, 2, 2);
    layer_case c;
    case_init(&c, &rng, 70, 50, 90, TD_ACT_GELU, 1, 1, 1);
    const td_dense_kernel *best = td_dense_kernel_for(td_dense_best_path());
    CHECK(best != NULL);
    printf("    best path: %s\n", best->name);
    size_t mn = 70 * 90, mk = 70 * 50, nk = 90 * 50;
    float *y1 = malloc(mn * sizeof *y1), *y2 = malloc(mn * sizeof *y2);
    float *z1 = malloc(mn * sizeof *z1), *z2 = malloc(mn * sizeof *z2);
    float *d1 = copy(c.dy, mn), *d2 = copy(c.dy, mn), *x1 = malloc(mk * 4), *x2 = malloc(mk * 4);
    float *w1 = copy(c.dW0, nk), *w2 = copy(c.dW0, nk), *b1 = copy(c.db0, 90), *b2 = copy(c.db0, 90);
    td_dense_forward(c.x, c.W, c.b, z1, y1, 70, 50, 90, TD_ACT_GELU);
    best->forward(c.x, c.W, c.b, z2, y2, 70, 50, 90, TD_ACT_GELU);
    td_dense_backward(c.x, c.W, z1, d1, x1, w1, b1, 70, 50, 90, TD_ACT_GELU);
    best->backward(c.x, c.W, z2, d2, x2, w2, b2, 70, 50, 90, TD_ACT_GELU);
    CHECK(memcmp(y1, y2, mn * 4) == 0 && memcmp(z1, z2, mn * 4) == 0);
    CHECK(memcmp(d1, d2, mn * 4) == 0 && memcmp(x1, x2, mk * 4) == 0);
    CHECK(memcmp(w1, w2, nk * 4) == 0 && memcmp(b1, b2, 90 * 4) == 0);
    float *all[] = {y1, y2, z1, z2, d1, d2, x1, x2, w1, w2, b1, b2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
    case_free(&c);
}

TEST(the_activation_passes_match_the_scalar_definitions) {
    enum { COUNT = 1003 };
    static float z[COUNT], y[COUNT], g[COUNT];
    for (int i = 0; i < COUNT; i++) z[i] = -12.0f + 0.024f * (float)i;
    for (int p = 0; p < TD_PATH_COUNT; p++) {
        const td_dense_kernel *kern = td_dense_kernel_for((td_dense_path)p);
        if (!kern) continue;
        double worst = 0;
        for (int a = 0; a < 5; a++) {
            kern->activate(z, y, COUNT, (td_act)a);
            for (int i = 0; i < COUNT; i++) g[i] = 2.0f;
            kern->activate_backward(z, g, COUNT, (td_act)a);
            for (int i = 0; i < COUNT; i++) {
                worst = fmax(worst, ERR_OF(y[i], td_act_apply((td_act)a, z[i])));
                worst = fmax(worst, ERR_OF(g[i], 2.0f * td_act_grad((td_act)a, z[i])));
            }
        }
        CHECK(worst <= TOL);
    }
}

// A stack 34 -> 1400 -> 37 -> 41 -> 3 over 250 rows runs in blocks of 96, 96 and
// 58 rows (the widest layer sets the block: 131,072 / 1,400 is under the 96-row
// floor), so blocks, a tail block in the dot form and dW summed block by block
// are all exercised.
enum { STACK_L = 4, STACK_M = 250 };
static const int STACK_DIMS[STACK_L + 1] = {34, 1400, 37, 41, 3};

typedef struct {
    float *x, *dy, *dx, *W[STACK_L], *b[STACK_L], *z[STACK_L], *y[STACK_L], *dW[STACK_L], *db[STACK_L];
    td_dense_layer layers[STACK_L];
} stack_case;

static void stack_init(stack_case *s, test_rng *rng) {
    size_t m = STACK_M;
    s->x = fill(rng, m * (size_t)STACK_DIMS[0], 1.0);
    s->dy = fill(rng, m * (size_t)STACK_DIMS[STACK_L], 1.0 / STACK_M);
    s->dx = fill(rng, m * (size_t)STACK_DIMS[0], 0.0);
    for (int l = 0; l < STACK_L; l++) {
        size_t k = (size_t)STACK_DIMS[l], n = (size_t)STACK_DIMS[l + 1];
        s->W[l] = fill(rng, n * k, 1.0 / sqrt((double)k));
        s->b[l] = fill(rng, n, 0.5);
        s->z[l] = fill(rng, m * n, 0.0);
        s->y[l] = fill(rng, m * n, 0.0);
        s->dW[l] = fill(rng, n * k, 0.1);
        s->db[l] = fill(rng, n, 0.1);
        s->layers[l] = (td_dense_layer){STACK_DIMS[l], STACK_DIMS[l + 1],
                                        l == STACK_L - 1 ? TD_ACT_NONE : (td_act)(1 + l % 4),
                                        s->W[l], s->b[l], s->z[l], s->y[l], s->dW[l], s->db[l]};
    }
}

static stack_case stack_copy(const stack_case *s) {
    stack_case c = *s;
    size_t m = STACK_M;
    c.dy = copy(s->dy, m * (size_t)STACK_DIMS[STACK_L]);
    c.dx = copy(s->dx, m * (size_t)STACK_DIMS[0]);
    for (int l = 0; l < STACK_L; l++) {
        size_t k = (size_t)STACK_DIMS[l], n = (size_t)STACK_DIMS[l + 1];
        c.z[l] = copy(s->z[l], m * n), c.y[l] = copy(s->y[l], m * n);
        c.dW[l] = copy(s->dW[l], n * k), c.db[l] = copy(s->db[l], n);
        c.layers[l].slope = c.z[l], c.layers[l].y = c.y[l], c.layers[l].dW = c.dW[l], c.layers[l].db = c.db[l];
    }
    return c;
}

static void stack_free(stack_case *s, int owns_inputs) {
    free(s->dy), free(s->dx);
    if (owns_inputs) free(s->x);
    for (int l = 0; l < STACK_L; l++) {
        free(s->z[l]), free(s->y[l]), free(s->dW[l]), free(s->db[l]);
        if (owns_inputs) free(s->W[l]), free(s->b[l]);
    }
}

static double stack_error(const stack_case *a, const stack_case *b) {
    size_t m = STACK_M;
    double worst = fmax(max_err(a->dy, b->dy, m * (size_t)STACK_DIMS[STACK_L]),
                        max_err(a->dx, b->dx, m * (size_t)STACK_DIMS[0]));
    for (int l = 0; l < STACK_L; l++) {
        size_t k = (size_t)STACK_DIMS[l], n = (size_t)STACK_DIMS[l + 1];
        worst = fmax(worst, fmax(max_err(a->z[l], b->z[l], m * n), max_err(a->y[l], b->y[l], m * n)));
        worst = fmax(worst, fmax(max_err(a->dW[l], b->dW[l], n * k), max_err(a->db[l], b->db[l], n)));
    }
    return worst;
}

// Expected: the reference kernel, one layer at a time over all rows.
static stack_case stack_reference(const stack_case *base) {
    const td_dense_kernel *ref = td_dense_kernel_for(TD_PATH_REF);
    stack_case want = stack_copy(base);
    const float *in = want.x;
    for (int l = 0; l < STACK_L; l++) {
        const td_dense_layer *d = &want.layers[l];
        ref->forward(in, d->W, d->b, d->slope, d->y, STACK_M, d->K, d->N, d->act);
        in = d->y;
    }
    float *g = want.dy;
    float *grads[STACK_L];
    for (int l = STACK_L - 1; l >= 0; l--) {
        const td_dense_layer *d = &want.layers[l];
        grads[l] = l > 0 ? alloc_or_die((size_t)STACK_M * (size_t)d->K) : want.dx;
        ref->backward(l > 0 ? want.y[l - 1] : want.x, d->W, d->slope, g, grads[l], d->dW, d->db, STACK_M,
                      d->K, d->N, d->act);
        g = grads[l];
    }
    for (int l = 1; l < STACK_L; l++) free(grads[l]);
    return want;
}

TEST(a_stack_run_in_row_blocks_matches_the_layers_run_one_by_one) {
    test_rng rng;
    test_seed(&rng, 11, 4);
    stack_case base;
    stack_init(&base, &rng);
    stack_case want = stack_reference(&base);
    for (int p = 0; p < TD_PATH_COUNT; p++) {
        const td_dense_kernel *kern = td_dense_kernel_for((td_dense_path)p);
        if (!kern) continue;
        stack_case got = stack_copy(&base);
        CHECK_EQ(td_dense_stack_forward(kern, got.layers, STACK_L, got.x, STACK_M), TD_OK);
        CHECK_EQ(td_dense_stack_backward(kern, got.layers, STACK_L, got.x, got.dy, got.dx, STACK_M), TD_OK);
        double e = stack_error(&got, &want);
        printf("    %-8s stack vs layer by layer: max error %.3g\n", kern->name, e);
        CHECK(e <= TOL);
        // The comparison sees one wrong gradient value.
        got.dW[1][0] += 1e-3f;
        CHECK(stack_error(&got, &want) > TOL);
        // Inference: no slopes, hidden outputs left to the stack's own block buffers.
        size_t out = (size_t)STACK_M * (size_t)STACK_DIMS[STACK_L];
        for (size_t i = 0; i < out; i++) got.y[STACK_L - 1][i] = 0.0f;
        for (int l = 0; l < STACK_L; l++) {
            got.layers[l].slope = NULL;
            if (l < STACK_L - 1) got.layers[l].y = NULL;
        }
        CHECK_EQ(td_dense_stack_forward(kern, got.layers, STACK_L, got.x, STACK_M), TD_OK);
        CHECK(max_err(got.y[STACK_L - 1], want.y[STACK_L - 1], out) <= TOL);
        CHECK_EQ(td_dense_stack_backward(kern, got.layers, STACK_L, got.x, got.dy, NULL, STACK_M),
                 TD_ERR_ARG);   // nothing kept to go back through
        stack_free(&got, 0);
    }
    stack_free(&want, 0);
    stack_free(&base, 1);
}

// The training step's loss: hands out rows of a fixed dL/dy and records the calls.
typedef struct {
    const float *dy, *out;   // dL/dy (STACK_M, N) and where the step's output should be
    int next, calls, fail_at;
} loss_log;

static td_status loss_rows(void *ctx, const float *y, float *dy, int first, int rows) {
    loss_log *log = ctx;
    size_t n = (size_t)STACK_DIMS[STACK_L];
    if (first != log->next || y != log->out + (size_t)first * n) log->next = -1;   // out of order
    else log->next = first + rows;
    if (++log->calls == log->fail_at) return td_fail(TD_ERR_LIMIT, "loss stopped at call %d", log->calls);
    memcpy(dy, log->dy + (size_t)first * n, (size_t)rows * n * sizeof *dy);
    return TD_OK;
}

// One training step of `kern` from `base`, with the step's own scratch or `work`:
// its worst error against `want`, after checking the loss saw every block in order.
static double train_error(const td_dense_kernel *kern, const stack_case *base, const stack_case *want,
                          float *work) {
    size_t m = STACK_M, out = m * (size_t)STACK_DIMS[STACK_L];
    stack_case got = stack_copy(base);
    loss_log log = {base->dy, got.y[STACK_L - 1], 0, 0, 0};
    CHECK_EQ(td_dense_stack_train(kern, got.layers, STACK_L, got.x, got.dx, STACK_M, loss_rows, &log, work),
             TD_OK);
    CHECK_EQ(log.next, STACK_M);   // every row, in order, in blocks (96, 96, 58)
    CHECK_EQ(log.calls, 3);
    double e = fmax(max_err(got.y[STACK_L - 1], want->y[STACK_L - 1], out),
                    max_err(got.dx, want->dx, m * (size_t)STACK_DIMS[0]));
    for (int l = 0; l < STACK_L; l++) {
        size_t k = (size_t)STACK_DIMS[l], n = (size_t)STACK_DIMS[l + 1];
        e = fmax(e, fmax(max_err(got.dW[l], want->dW[l], n * k), max_err(got.db[l], want->db[l], n)));
    }
    stack_free(&got, 0);
    return e;
}

TEST(a_training_step_block_by_block_matches_the_layers_run_one_by_one) {
    test_rng rng;
    test_seed(&rng, 11, 4);
    stack_case base;
    stack_init(&base, &rng);
    stack_case want = stack_reference(&base);
    size_t floats = td_dense_stack_train_floats(base.layers, STACK_L, STACK_M);
    CHECK(floats >= (size_t)96 * 2 * (1400 + 37 + 41 + 3));
    float *work = alloc_or_die(floats);
    for (int p = 0; p < TD_PATH_COUNT; p++) {
        const td_dense_kernel *kern = td_dense_kernel_for((td_dense_path)p);
        if (!kern) continue;
        double own = train_error(kern, &base, &want, NULL), given = train_error(kern, &base, &want, work);
        printf("    %-8s training step vs layer by layer: max error %.3g (own scratch), %.3g (given)\n",
               kern->name, own, given);
        CHECK(own <= TOL);
        CHECK(given <= TOL);
        // A loss that fails stops the step with its own status.
        stack_case got = stack_copy(&base);
        loss_log failing = {base.dy, got.y[STACK_L - 1], 0, 0, 2};
        CHECK_EQ(td_dense_stack_train(kern, got.layers, STACK_L, got.x, NULL, STACK_M, loss_rows, &failing, work),
                 TD_ERR_LIMIT);
        CHECK_EQ(failing.calls, 2);
        CHECK_CONTAINS(td_error_message(), "loss stopped at call 2");
        stack_free(&got, 0);
    }
    free(work);
    stack_free(&want, 0);
    stack_free(&base, 1);
}

TEST(a_stack_refuses_widths_that_do_not_chain_and_empty_batches) {
    float W[6] = {0}, y[6];
    td_dense_layer layers[2] = {{2, 3, TD_ACT_NONE, W, NULL, NULL, y, NULL, NULL},
                                {2, 2, TD_ACT_NONE, W, NULL, NULL, y, NULL, NULL}};
    const td_dense_kernel *kern = td_dense_kernel_for(td_dense_best_path());
    float x[2] = {1.0f, 2.0f};
    CHECK_EQ(td_dense_stack_forward(kern, layers, 2, x, 1), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "layer 1 reads 2 values but layer 0 writes 3");
    CHECK_EQ(td_dense_stack_forward(kern, layers, 1, x, 0), TD_ERR_ARG);
    layers[0].y = NULL;   // the last layer's output is required
    CHECK_EQ(td_dense_stack_forward(kern, layers, 1, x, 1), TD_ERR_ARG);
    layers[0].y = y;
    CHECK_EQ(td_dense_stack_forward(kern, layers, 1, x, 1), TD_OK);
    CHECK_EQ(td_dense_stack_backward(kern, layers, 1, x, y, NULL, 1), TD_ERR_ARG);   // no slopes kept
    CHECK_EQ(td_dense_stack_train(kern, layers, 1, x, NULL, 1, loss_rows, NULL, NULL), TD_ERR_ARG);   // no dW
    CHECK_CONTAINS(td_error_message(), "layer 0 has no dW");
    layers[0].dW = W;
    CHECK_EQ(td_dense_stack_train(kern, layers, 1, x, NULL, 1, NULL, NULL, NULL), TD_ERR_ARG);
    CHECK_EQ(td_dense_stack_train_floats(layers, 1, 0), 0);
    CHECK_CONTAINS(td_error_message(), "needs a loss gradient");
}

int main(void) {
    RUN(the_reference_matches_a_double_precision_computation_on_every_shape);
    RUN(every_path_matches_the_reference_on_shapes_covering_1_to_67);
    RUN(every_path_matches_the_reference_on_the_benchmark_and_blocking_shapes);
    RUN(activations_inside_the_kernels_match_the_scalar_definitions_from_minus_30_to_30);
    RUN(the_comparison_detects_one_perturbed_output_and_a_nan);
    RUN(td_dense_forward_and_backward_run_the_best_path_bit_for_bit);
    RUN(the_activation_passes_match_the_scalar_definitions);
    RUN(a_stack_run_in_row_blocks_matches_the_layers_run_one_by_one);
    RUN(a_training_step_block_by_block_matches_the_layers_run_one_by_one);
    RUN(a_stack_refuses_widths_that_do_not_chain_and_empty_batches);
    return check_summary("test_dense");
}
