// test_conv.c - conv2d (im2col on the dense kernel) and 2x2 max-pooling: forward
// against a direct double-precision convolution, backward against central finite
// differences of that double reference.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/conv.h"
#include "nn/params.h"

// ---- a direct double reference -------------------------------------------------

typedef struct {
    int B, H, W, C_in, C_out, k;
    td_act act;
} shape;

static double act_d(td_act act, double z) {
    switch (act) {
    case TD_ACT_RELU: return z > 0.0 ? z : 0.0;
    case TD_ACT_TANH: return tanh(z);
    default: return z;
    }
}

// y (B, H, W, C_out) = act(sum over the k x k x C_in patch of x * w + b), zero padding.
static void conv_ref(const shape *s, const double *x, const double *w, const double *b,
                     double *y) {
    int pad = s->k / 2;
    for (int n = 0; n < s->B; n++)
        for (int i = 0; i < s->H; i++)
            for (int j = 0; j < s->W; j++)
                for (int o = 0; o < s->C_out; o++) {
                    double acc = b[o];
                    for (int dy = 0; dy < s->k; dy++)
                        for (int dx = 0; dx < s->k; dx++) {
                            int yy = i + dy - pad, xx = j + dx - pad;
                            if (yy < 0 || yy >= s->H || xx < 0 || xx >= s->W) continue;
                            for (int c = 0; c < s->C_in; c++)
                                acc += x[((n * s->H + yy) * s->W + xx) * s->C_in + c] *
                                       w[((o * s->k + dy) * s->k + dx) * s->C_in + c];
                        }
                    y[((n * s->H + i) * s->W + j) * s->C_out + o] = act_d(s->act, acc);
                }
}

// L = sum_i y_i r_i for fixed random r: its gradient w.r.t. y is r.
static double loss_ref(const shape *s, const double *x, const double *w, const double *b,
                       const double *r, double *y) {
    conv_ref(s, x, w, b, y);
    double L = 0.0;
    size_t n = (size_t)s->B * (size_t)s->H * (size_t)s->W * (size_t)s->C_out;
    for (size_t i = 0; i < n; i++) L += y[i] * r[i];
    return L;
}

// Central difference dL/dv[i] of the double reference (h = 1e-6).
static double fd(const shape *s, double *x, double *w, double *b, const double *r, double *y,
                 double *v, size_t i) {
    double keep = v[i], h = 1e-6;
    v[i] = keep + h;
    double up = loss_ref(s, x, w, b, r, y);
    v[i] = keep - h;
    double down = loss_ref(s, x, w, b, r, y);
    v[i] = keep;
    return (up - down) / (2.0 * h);
}

// Largest |a - e| / (|e| + 1e-2) over n entries, printed per tensor as llm.c does.
static double max_rel(const char *what, const float *a, const double *e, size_t n) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)a[i] - e[i]) / (fabs(e[i]) + 1e-2);
        if (err > worst) worst = err;
    }
    printf("    %-6s max relative difference %.2e\n", what, worst);
    return worst;
}

static double uniform(td_rng *rng) { return 2.0 * td_rng_uniform(rng) - 1.0; }

// Build the layer, fill x, w, b, r, run forward + backward in float, and
// compare forward with conv_ref and every gradient with finite differences.
// `sabotage` perturbs one analytic weight gradient by 1% (the checker must fire).
static double conv_check(shape s, int sabotage) {
    td_params p;
    td_params_init(&p);
    td_conv2d c;
    CHECK_EQ(td_conv2d_init(&c, &p, "conv", s.H, s.W, s.C_in, s.C_out, s.k, s.act), TD_OK);
    CHECK_EQ(td_params_alloc(&p), TD_OK);
    size_t nx = (size_t)(s.B * s.H * s.W * s.C_in), ny = (size_t)(s.B * s.H * s.W * s.C_out);
    size_t nw = (size_t)(s.C_out * s.k * s.k * s.C_in), nb = (size_t)s.C_out;
    size_t ncols = td_conv2d_cols_size(&c, s.B);
    double *xd = malloc(nx * sizeof *xd), *wd = malloc(nw * sizeof *wd),
           *bd = malloc(nb * sizeof *bd), *r = malloc(ny * sizeof *r), *yd = malloc(ny * sizeof *yd);
    double *gx = malloc(nx * sizeof *gx), *gw = malloc(nw * sizeof *gw), *gb = malloc(nb * sizeof *gb);
    float *x = malloc(nx * sizeof *x), *y = malloc(ny * sizeof *y), *z = malloc(ny * sizeof *z),
          *dy = malloc(ny * sizeof *dy), *dx = malloc(nx * sizeof *dx),
          *cols = malloc(ncols * sizeof *cols), *dcols = malloc(ncols * sizeof *dcols);
    td_rng rng;
    td_rng_seed(&rng, 11, 0);
    for (size_t i = 0; i < nx; i++) x[i] = (float)uniform(&rng), xd[i] = (double)x[i];
    for (size_t i = 0; i < nw; i++) p.data[c.w + i] = (float)(0.5 * uniform(&rng)), wd[i] = (double)p.data[c.w + i];
    for (size_t i = 0; i < nb; i++) p.data[c.b + i] = (float)(0.5 * uniform(&rng)), bd[i] = (double)p.data[c.b + i];
    for (size_t i = 0; i < ny; i++) r[i] = uniform(&rng), dy[i] = (float)r[i];

    td_conv2d_forward(&c, &p, x, cols, z, y, s.B);
    conv_ref(&s, xd, wd, bd, yd);
    double worst_fwd = 0.0;
    for (size_t i = 0; i < ny; i++) worst_fwd = fmax(worst_fwd, fabs((double)y[i] - yd[i]));
    CHECK(worst_fwd < 1e-5);

    td_params_zero_grad(&p);
    td_conv2d_backward(&c, &p, cols, z, dy, dcols, dx, s.B);
    if (sabotage) p.grad[c.w + nw / 2] *= 1.01f;
    for (size_t i = 0; i < nx; i++) gx[i] = fd(&s, xd, wd, bd, r, yd, xd, i);
    for (size_t i = 0; i < nw; i++) gw[i] = fd(&s, xd, wd, bd, r, yd, wd, i);
    for (size_t i = 0; i < nb; i++) gb[i] = fd(&s, xd, wd, bd, r, yd, bd, i);
    double worst = max_rel("dx", dx, gx, nx);
    worst = fmax(worst, max_rel("dW", p.grad + c.w, gw, nw));
    worst = fmax(worst, max_rel("db", p.grad + c.b, gb, nb));

    free(xd), free(wd), free(bd), free(r), free(yd), free(gx), free(gw), free(gb);
    free(x), free(y), free(z), free(dy), free(dx), free(cols), free(dcols);
    td_params_free(&p);
    return worst;
}

TEST(conv2d_3x3_matches_the_direct_convolution_and_finite_differences) {
    shape s = {2, 5, 6, 3, 4, 3, TD_ACT_TANH};
    CHECK(conv_check(s, 0) < 1e-3);
}

TEST(conv2d_5x5_with_the_kernel_wider_than_the_image_matches_too) {
    shape s = {2, 4, 3, 2, 5, 5, TD_ACT_NONE};
    CHECK(conv_check(s, 0) < 1e-3);
}

TEST(conv2d_with_relu_and_one_input_channel_matches_too) {
    shape s = {3, 6, 6, 1, 8, 5, TD_ACT_RELU};
    CHECK(conv_check(s, 0) < 1e-3);
}

TEST(the_gradient_check_fires_on_a_gradient_wrong_by_one_percent) {
    shape s = {2, 5, 6, 3, 4, 3, TD_ACT_TANH};
    CHECK(conv_check(s, 1) > 5e-3);
}

TEST(col2im_is_the_adjoint_of_im2col) {
    enum { B = 2, H = 5, W = 4, C = 3, K = 3, NX = B * H * W * C, NC = B * H * W * K * K * C };
    static float x[NX], cols[NC], u[NC], xu[NX];
    td_rng rng;
    td_rng_seed(&rng, 2, 0);
    for (int i = 0; i < NX; i++) x[i] = (float)uniform(&rng);
    for (int i = 0; i < NC; i++) u[i] = (float)uniform(&rng);
    td_im2col(x, cols, B, H, W, C, K);
    td_col2im(u, xu, B, H, W, C, K);
    double a = 0.0, b = 0.0;
    for (int i = 0; i < NC; i++) a += (double)cols[i] * (double)u[i];
    for (int i = 0; i < NX; i++) b += (double)x[i] * (double)xu[i];
    CHECK_NEAR(a, b, 1e-4 * fabs(a));
    // The centre of a patch is the pixel itself; a corner pixel's patch reads zeros.
    CHECK(cols[4 * C] == x[0] && cols[0] == 0.0f);
}

TEST(maxpool_takes_each_blocks_maximum_and_routes_the_gradient_to_it) {
    // One 4 x 4 image with 2 channels; channel 1 is the negative of channel 0.
    enum { H = 4, W = 4, C = 2 };
    float x[H * W * C], y[4 * C], dy[4 * C], dx[H * W * C];
    int arg[4 * C];
    for (int i = 0; i < H * W; i++) {
        x[2 * i] = (float)((i * 7) % 16);
        x[2 * i + 1] = -x[2 * i];
    }
    td_maxpool2_forward(x, y, arg, 1, H, W, C);
    for (int o = 0; o < 4; o++) {
        int by = o / 2, bx = o % 2;
        float mx = -1e9f, mn = 1e9f;
        for (int q = 0; q < 4; q++) {
            float v = x[2 * ((2 * by + q / 2) * W + 2 * bx + q % 2)];
            mx = fmaxf(mx, v);
            mn = fminf(mn, v);
        }
        CHECK(y[2 * o] == mx);
        CHECK(y[2 * o + 1] == -mn);
        CHECK(x[arg[2 * o]] == mx);
    }
    for (int i = 0; i < 4 * C; i++) dy[i] = (float)(i + 1);
    td_maxpool2_backward(dy, arg, dx, 1, H, W, C);
    double total = 0.0;
    int nonzero = 0;
    for (int i = 0; i < H * W * C; i++) {
        total += (double)dx[i];
        nonzero += dx[i] != 0.0f;
    }
    CHECK_NEAR(total, 36.0, 0.0);   // 1 + 2 + ... + 8, each sent to one pixel
    CHECK_EQ(nonzero, 8);
    CHECK(dx[arg[5]] == 6.0f);
}

TEST(maxpool_backward_matches_finite_differences) {
    enum { B = 2, H = 6, W = 4, C = 3, N = B * H * W * C, M = N / 4 };
    float x[N], y[M], dx[N];
    int arg[M];
    double r[M];
    td_rng rng;
    td_rng_seed(&rng, 4, 0);
    // A random permutation of distinct values 0.1 apart: no ties, no kinks within h.
    for (int i = 0; i < N; i++) x[i] = 0.1f * (float)i;
    for (int i = N - 1; i > 0; i--) {
        int j = (int)td_rng_below(&rng, (uint32_t)(i + 1));
        float t = x[i]; x[i] = x[j]; x[j] = t;
    }
    for (int i = 0; i < M; i++) r[i] = uniform(&rng);
    float dyf[M];
    for (int i = 0; i < M; i++) dyf[i] = (float)r[i];
    td_maxpool2_forward(x, y, arg, B, H, W, C);
    td_maxpool2_backward(dyf, arg, dx, B, H, W, C);
    double worst = 0.0;
    for (int i = 0; i < N; i++) {
        float keep = x[i];
        double L[2];
        for (int side = 0; side < 2; side++) {
            x[i] = keep + (side ? -0.01f : 0.01f);
            td_maxpool2_forward(x, y, arg, B, H, W, C);
            L[side] = 0.0;
            for (int o = 0; o < M; o++) L[side] += (double)y[o] * r[o];
        }
        x[i] = keep;
        double g = (L[0] - L[1]) / (double)(x[i] + 0.01f - (x[i] - 0.01f));
        worst = fmax(worst, fabs(g - (double)dx[i]));
    }
    CHECK(worst < 1e-4);
}

TEST(conv2d_init_rejects_even_kernels_bad_sizes_and_duplicate_names) {
    td_params p;
    td_params_init(&p);
    td_conv2d c;
    td_clear_error();
    CHECK_EQ(td_conv2d_init(&c, &p, "a", 28, 28, 3, 16, 4, TD_ACT_RELU), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "kernel 4 must be odd");
    CHECK_EQ(td_conv2d_init(&c, &p, "a", 0, 28, 3, 16, 5, TD_ACT_RELU), TD_ERR_ARG);
    CHECK_EQ(td_conv2d_init(&c, &p, "a", 28, 28, 3, -1, 5, TD_ACT_RELU), TD_ERR_ARG);
    CHECK_EQ(td_conv2d_init(&c, &p, "a", 28, 28, 3, 16, 5, (td_act)99), TD_ERR_ARG);
    CHECK_EQ(p.n_tensors, 0);
    CHECK_EQ(td_conv2d_init(&c, &p, "a", 28, 28, 3, 16, 5, TD_ACT_RELU), TD_OK);
    CHECK_EQ(p.n_tensors, 2);
    CHECK_EQ(p.total, 16 * 5 * 5 * 3 + 16);
    CHECK_EQ(td_conv2d_init(&c, &p, "a", 28, 28, 3, 16, 5, TD_ACT_RELU), TD_ERR_ARG);
    CHECK_EQ(td_conv2d_cols_size(&c, 2), 2 * 28 * 28 * 75);
    td_params_free(&p);
}

int main(void) {
    RUN(conv2d_3x3_matches_the_direct_convolution_and_finite_differences);
    RUN(conv2d_5x5_with_the_kernel_wider_than_the_image_matches_too);
    RUN(conv2d_with_relu_and_one_input_channel_matches_too);
    RUN(the_gradient_check_fires_on_a_gradient_wrong_by_one_percent);
    RUN(col2im_is_the_adjoint_of_im2col);
    RUN(maxpool_takes_each_blocks_maximum_and_routes_the_gradient_to_it);
    RUN(maxpool_backward_matches_finite_differences);
    RUN(conv2d_init_rejects_even_kernels_bad_sizes_and_duplicate_names);
    return check_summary("test_conv");
}
