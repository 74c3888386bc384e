// test_vae.c - the VAE and the two-level HVAE: gradients against finite
// differences, the Monte Carlo ELBO against a direct quadrature of the same
// integral, training that raises the ELBO, and the shipped weights' figures.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/toy2d.h"
#include "io/safetensors.h"
#include "models/checkpoint.h"
#include "models/hvae.h"
#include "models/vae.h"
#include "prob/metrics.h"

#define LOG_2PI 1.8378770664093453

// ---- the gradient checker -----------------------------------------------------------
//
// The loss is computed in float (as it is trained), so the finite differences
// are float too: central differences with step h = 1e-2 on the raw parameter.
// Loss values are O(1..10) and the float forward rounds them at ~1e-6, giving
// ~1e-6 / (2h) = 5e-5 of rounding noise in a difference quotient; the
// truncation error is h^2 / 6 |L'''| ~ 2e-5 |L'''|, small for these smooth
// (tanh, exp) losses. Hence the tolerance |analytic - fd| <= 2e-3 + 2e-2 |fd|;
// a wrong formula (a missing factor 1/2, the wrong noise, a dropped KL term)
// is off by the size of the gradient itself.

typedef double (*loss_fn)(void *ctx);   // L(theta) at the current p->data

static int count_mismatches(const char *what, td_params *p, loss_fn loss, void *ctx,
                            const float *analytic) {
    const float h = 1e-2f;
    int bad = 0;
    double worst = 0.0;
    for (size_t i = 0; i < p->total; i++) {
        float keep = p->data[i];
        p->data[i] = keep + h;
        double up = loss(ctx);
        p->data[i] = keep - h;
        double down = loss(ctx);
        p->data[i] = keep;
        double fd = (up - down) / (2.0 * (double)h);
        double gap = fabs((double)analytic[i] - fd);
        if (gap > worst) worst = gap;
        if (gap > 2e-3 + 2e-2 * fabs(fd)) bad++;
    }
    printf("    %-22s %4zu grads, worst |analytic - finite diff| = %.2e%s\n", what, p->total, worst,
           bad ? "  <-- MISMATCH" : "");
    return bad;
}

static void scale_weights(td_params *p, float s) {
    for (size_t i = 0; i < p->total; i++) p->data[i] *= s;
}

// ---- VAE fixtures ---------------------------------------------------------------------

typedef struct {
    td_vae *vae;
    td_vae_work *w;
    const float *x, *eps;
    int B;
} vae_case;

static double vae_neg_elbo(void *ctx) {
    vae_case *c = ctx;
    td_vae_terms t;
    td_vae_loss(c->vae, c->w, c->x, c->eps, c->B, 0, &t);
    return -t.elbo;
}

static void tiny_vae(td_vae *vae, td_vae_work *w, int z_dim, uint64_t seed) {
    td_rng rng;
    td_rng_seed(&rng, seed, 0);
    td_vae_config cfg = {.x_dim = 2, .z_dim = z_dim, .hidden = 6, .depth = 1, .act = TD_ACT_TANH};
    CHECK_EQ(td_vae_init(vae, &cfg, &rng), TD_OK);
    scale_weights(&vae->params, 1.5f);              // away from the tiny initial slopes
    vae->params.data[vae->log_var_x] = -0.7f;       // sigma_x^2 = 0.5
    CHECK_EQ(td_vae_work_init(w, vae, 64), TD_OK);
}

TEST(vae_gradients_of_the_negative_elbo_match_finite_differences) {
    td_vae vae;
    td_vae_work w;
    tiny_vae(&vae, &w, 2, 11);
    td_rng rng;
    td_rng_seed(&rng, 12, 0);
    float x[8], eps[8];
    td_rng_fill_normal(&rng, x, 8);
    td_rng_fill_normal(&rng, eps, 8);
    vae_case c = {&vae, &w, x, eps, 4};
    td_params_zero_grad(&vae.params);
    CHECK_EQ(td_vae_loss(&vae, &w, x, eps, 4, 1, NULL), TD_OK);
    CHECK_EQ(count_mismatches("vae", &vae.params, vae_neg_elbo, &c, vae.params.grad), 0);
    td_vae_work_free(&w);
    td_vae_free(&vae);
}

TEST(the_gradient_checker_catches_gradients_taken_with_other_noise_or_off_by_five_percent) {
    td_vae vae;
    td_vae_work w;
    tiny_vae(&vae, &w, 2, 11);
    td_rng rng;
    td_rng_seed(&rng, 12, 0);
    float x[8], eps[8], other[8];
    td_rng_fill_normal(&rng, x, 8);
    td_rng_fill_normal(&rng, eps, 8);
    td_rng_fill_normal(&rng, other, 8);
    // A classic bug: the backward pass sees different noise than the forward.
    td_params_zero_grad(&vae.params);
    td_vae_loss(&vae, &w, x, other, 4, 1, NULL);
    float *wrong = malloc(vae.params.total * sizeof(float));
    memcpy(wrong, vae.params.grad, vae.params.total * sizeof(float));
    vae_case c = {&vae, &w, x, eps, 4};
    CHECK(count_mismatches("vae, other noise", &vae.params, vae_neg_elbo, &c, wrong) > 0);
    // And a single gradient 5% (+ 0.01) off, on the decoder variance.
    td_params_zero_grad(&vae.params);
    td_vae_loss(&vae, &w, x, eps, 4, 1, NULL);
    memcpy(wrong, vae.params.grad, vae.params.total * sizeof(float));
    wrong[vae.log_var_x] = wrong[vae.log_var_x] * 1.05f + 0.01f;
    CHECK_EQ(count_mismatches("vae, one grad off", &vae.params, vae_neg_elbo, &c, wrong), 1);
    free(wrong);
    td_vae_work_free(&w);
    td_vae_free(&vae);
}

// ---- HVAE fixtures ----------------------------------------------------------------------

typedef struct {
    td_hvae *m;
    td_hvae_work *w;
    const float *x, *eps1, *eps2;
    int B;
} hvae_case;

static double hvae_neg_elbo(void *ctx) {
    hvae_case *c = ctx;
    td_hvae_terms t;
    td_hvae_loss(c->m, c->w, c->x, c->eps1, c->eps2, c->B, 0, &t);
    return -t.elbo;
}

static void tiny_hvae(td_hvae *m, td_hvae_work *w, int z1, int z2, uint64_t seed) {
    td_rng rng;
    td_rng_seed(&rng, seed, 0);
    td_hvae_config cfg = {
        .x_dim = 2, .z1_dim = z1, .z2_dim = z2, .hidden = 5, .depth = 1, .act = TD_ACT_TANH};
    CHECK_EQ(td_hvae_init(m, &cfg, &rng), TD_OK);
    scale_weights(&m->params, 1.5f);
    m->params.data[m->log_var_x] = -0.7f;
    CHECK_EQ(td_hvae_work_init(w, m, 64), TD_OK);
}

TEST(hvae_gradients_of_the_negative_elbo_match_finite_differences_through_all_four_nets) {
    td_hvae m;
    td_hvae_work w;
    tiny_hvae(&m, &w, 2, 2, 21);
    td_rng rng;
    td_rng_seed(&rng, 22, 0);
    float x[8], e1[8], e2[8];
    td_rng_fill_normal(&rng, x, 8);
    td_rng_fill_normal(&rng, e1, 8);
    td_rng_fill_normal(&rng, e2, 8);
    hvae_case c = {&m, &w, x, e1, e2, 4};
    td_params_zero_grad(&m.params);
    CHECK_EQ(td_hvae_loss(&m, &w, x, e1, e2, 4, 1, NULL), TD_OK);
    CHECK_EQ(count_mismatches("hvae", &m.params, hvae_neg_elbo, &c, m.params.grad), 0);
    // Every net receives gradient (a chain cut somewhere would leave one at zero).
    const char *names[] = {"enc1.0.weight", "enc2.0.weight", "prior1.0.weight", "dec.0.weight"};
    for (int k = 0; k < 4; k++) {
        const td_param_tensor *t = td_params_find(&m.params, names[k]);
        double norm = 0.0;
        for (size_t i = 0; i < t->count; i++) norm += fabs((double)m.params.grad[t->offset + i]);
        CHECK(norm > 1e-3);
    }
    td_hvae_work_free(&w);
    td_hvae_free(&m);
}

// ---- the ELBO against a direct computation ---------------------------------------------
//
// With a 1-D latent the ELBO's expectation is a 1-D (VAE) or nested 2-D (HVAE)
// integral against Gaussians, computed here by the trapezoid rule on
// mean +- 10 std (2001 nodes: for a smooth integrand times a Gaussian the rule
// converges geometrically; 1e-9 here), calling the model's MLPs directly. The
// Monte Carlo estimate must agree within 4 standard errors.

static double trapezoid_gauss(double mean, double std, int nodes, double (*f)(void *, double),
                              void *ctx) {
    double lo = mean - 10.0 * std, step = 20.0 * std / (nodes - 1), sum = 0.0;
    for (int i = 0; i < nodes; i++) {
        double z = lo + step * i, u = (z - mean) / std;
        double wgt = (i == 0 || i == nodes - 1) ? 0.5 : 1.0;
        sum += wgt * exp(-0.5 * u * u) / (std * sqrt(2.0 * 3.141592653589793)) * f(ctx, z);
    }
    return sum * step;
}

typedef struct {
    td_vae *vae;
    td_vae_work *w;
    const float *x;
} vae_direct;

static double vae_log_px_given_z(void *ctx, double z) {
    vae_direct *d = ctx;
    float zf = (float)z, m[2];
    td_mlp_forward(&d->vae->dec, &d->vae->params, &d->w->dec, &zf, m, 1);
    double lv = (double)d->vae->params.data[d->vae->log_var_x], s = 0.0;
    for (int k = 0; k < 2; k++) {
        double r = (double)d->x[k] - (double)m[k];
        s -= 0.5 * (r * r * exp(-lv) + lv + LOG_2PI);
    }
    return s;
}

// Mean and standard error of one-draw ELBO estimates over `chunks` x 1000 copies of x.
static void mc_mean_se(double (*one_chunk)(void *, td_rng *, float *), void *ctx, int chunks,
                       float *buf, double *mean, double *se) {
    td_rng rng;
    td_rng_seed(&rng, 99, 0);
    double s = 0.0, s2 = 0.0;
    for (int c = 0; c < chunks; c++) {
        double v = one_chunk(ctx, &rng, buf);
        s += v;
        s2 += v * v;
    }
    *mean = s / chunks;
    *se = sqrt((s2 / chunks - *mean * *mean) / (chunks - 1));
}

static double vae_chunk(void *ctx, td_rng *rng, float *buf) {
    vae_direct *d = ctx;
    for (int i = 0; i < 1000; i++) memcpy(buf + 2 * i, d->x, 2 * sizeof(float));
    td_vae_terms t;
    td_vae_elbo(d->vae, d->w, buf, 1000, rng, &t);
    return t.elbo;
}

TEST(vae_monte_carlo_elbo_agrees_with_direct_quadrature_of_the_same_integral) {
    td_vae vae;
    td_vae_work w;
    tiny_vae(&vae, &w, 1, 31);
    const float x[2] = {0.7f, -1.2f};
    float h[2];
    td_mlp_forward(&vae.enc, &vae.params, &w.enc, x, h, 1);
    double mu = (double)h[0], lv = (double)h[1];
    vae_direct d = {&vae, &w, x};
    double rec = trapezoid_gauss(mu, exp(0.5 * lv), 2001, vae_log_px_given_z, &d);
    double kl = 0.5 * (mu * mu + exp(lv) - lv - 1.0);
    double direct = rec - kl;
    float *buf = malloc(2000 * sizeof(float));
    double mean, se;
    mc_mean_se(vae_chunk, &d, 200, buf, &mean, &se);
    printf("    direct %.5f (rec %.5f, kl %.5f), Monte Carlo %.5f +- %.5f\n", direct, rec, kl, mean,
           se);
    CHECK(se < 0.01 && se > 0.0);
    CHECK_NEAR(mean, direct, 4.0 * se);
    // The same check with the other latent direction fails: it can tell.
    CHECK(fabs(mean - (trapezoid_gauss(-mu, exp(0.5 * lv), 2001, vae_log_px_given_z, &d) - kl)) >
          4.0 * se);
    free(buf);
    td_vae_work_free(&w);
    td_vae_free(&vae);
}

typedef struct {
    td_hvae *m;
    td_hvae_work *w;
    const float *x;
    double z1;   // the outer variable, for the inner integral
} hvae_direct;

// Inner integrand over z2 ~ q(z2|z1): log p(z1|z2) + log p(z2) - log q(z2|z1).
static double hvae_inner(void *ctx, double z2) {
    hvae_direct *d = ctx;
    float z2f = (float)z2, hp[2], h2[2], z1f = (float)d->z1;
    td_mlp_forward(&d->m->prior1, &d->m->params, &d->w->prior1, &z2f, hp, 1);
    td_mlp_forward(&d->m->enc2, &d->m->params, &d->w->enc2, &z1f, h2, 1);
    double r1 = d->z1 - (double)hp[0], r2 = z2 - (double)h2[0];
    double log_p1 = -0.5 * (r1 * r1 * exp(-(double)hp[1]) + (double)hp[1] + LOG_2PI);
    double log_p2 = -0.5 * (z2 * z2 + LOG_2PI);
    double log_q2 = -0.5 * (r2 * r2 * exp(-(double)h2[1]) + (double)h2[1] + LOG_2PI);
    return log_p1 + log_p2 - log_q2;
}

// Outer integrand over z1 ~ q(z1|x): log p(x|z1) - log q(z1|x) + inner integral.
static double hvae_outer(void *ctx, double z1) {
    hvae_direct *d = ctx;
    float z1f = (float)z1, m[2], h1[2], h2[2];
    td_mlp_forward(&d->m->dec, &d->m->params, &d->w->dec, &z1f, m, 1);
    td_mlp_forward(&d->m->enc1, &d->m->params, &d->w->enc1, d->x, h1, 1);
    td_mlp_forward(&d->m->enc2, &d->m->params, &d->w->enc2, &z1f, h2, 1);
    double lvx = (double)d->m->params.data[d->m->log_var_x], s = 0.0;
    for (int k = 0; k < 2; k++) {
        double r = (double)d->x[k] - (double)m[k];
        s -= 0.5 * (r * r * exp(-lvx) + lvx + LOG_2PI);
    }
    double r1 = z1 - (double)h1[0];
    s += 0.5 * (r1 * r1 * exp(-(double)h1[1]) + (double)h1[1] + LOG_2PI);   // - log q(z1|x)
    d->z1 = z1;
    return s + trapezoid_gauss((double)h2[0], exp(0.5 * (double)h2[1]), 401, hvae_inner, d);
}

static double hvae_chunk(void *ctx, td_rng *rng, float *buf) {
    hvae_direct *d = ctx;
    for (int i = 0; i < 1000; i++) memcpy(buf + 2 * i, d->x, 2 * sizeof(float));
    td_hvae_terms t;
    td_hvae_elbo(d->m, d->w, buf, 1000, rng, &t);
    return t.elbo;
}

TEST(hvae_monte_carlo_elbo_agrees_with_a_nested_quadrature_of_the_same_integral) {
    td_hvae m;
    td_hvae_work w;
    tiny_hvae(&m, &w, 1, 1, 41);
    const float x[2] = {-0.4f, 0.9f};
    float h1[2];
    td_mlp_forward(&m.enc1, &m.params, &w.enc1, x, h1, 1);
    hvae_direct d = {&m, &w, x, 0.0};
    double direct = trapezoid_gauss((double)h1[0], exp(0.5 * (double)h1[1]), 401, hvae_outer, &d);
    float *buf = malloc(2000 * sizeof(float));
    double mean, se;
    mc_mean_se(hvae_chunk, &d, 200, buf, &mean, &se);
    printf("    direct %.5f, Monte Carlo %.5f +- %.5f\n", direct, mean, se);
    CHECK(se < 0.01 && se > 0.0);
    CHECK_NEAR(mean, direct, 4.0 * se);
    free(buf);
    td_hvae_work_free(&w);
    td_hvae_free(&m);
}

// ---- training and bad input ----------------------------------------------------------------

TEST(a_thousand_training_steps_from_a_fixed_seed_raise_both_elbos_on_held_out_ring_points) {
    td_rng rng, data;
    td_rng_seed(&rng, 5, 0);
    td_rng_seed(&data, 6, 0);
    td_vae_config vc = td_vae_default_config();
    td_hvae_config hc = td_hvae_default_config();
    vc.hidden = hc.hidden = 32;
    td_vae vae;
    td_hvae hv;
    td_vae_work vw;
    td_hvae_work hw;
    CHECK_EQ(td_vae_init(&vae, &vc, &rng), TD_OK);
    CHECK_EQ(td_hvae_init(&hv, &hc, &rng), TD_OK);
    CHECK_EQ(td_vae_work_init(&vw, &vae, 128), TD_OK);
    CHECK_EQ(td_hvae_work_init(&hw, &hv, 128), TD_OK);
    td_adamw_config oc = td_adamw_defaults();
    oc.lr = 3e-3f;
    td_adamw vo, ho;
    CHECK_EQ(td_adamw_init(&vo, &vae.params, oc), TD_OK);
    CHECK_EQ(td_adamw_init(&ho, &hv.params, oc), TD_OK);
    enum { N_HELD = 4000 };
    float *held = malloc(2 * N_HELD * sizeof(float)), x[256];
    td_toy_sample(TD_TOY_RING8, &data, held, N_HELD);
    td_rng er;
    td_vae_terms v0, v1;
    td_hvae_terms h0, h1;
    td_rng_seed(&er, 7, 0);
    td_vae_elbo(&vae, &vw, held, N_HELD, &er, &v0);
    td_hvae_elbo(&hv, &hw, held, N_HELD, &er, &h0);
    int failures = 0;
    for (int s = 0; s < 1000; s++) {
        td_toy_sample(TD_TOY_RING8, &data, x, 128);
        failures += td_vae_train_step(&vae, &vw, &vo, x, 128, &rng, NULL) != TD_OK;
        failures += td_hvae_train_step(&hv, &hw, &ho, x, 128, &rng, NULL) != TD_OK;
    }
    td_vae_elbo(&vae, &vw, held, N_HELD, &er, &v1);
    td_hvae_elbo(&hv, &hw, held, N_HELD, &er, &h1);
    printf("    VAE  ELBO %.3f -> %.3f nats (rec %.3f, kl %.3f)\n", v0.elbo, v1.elbo, v1.rec, v1.kl);
    printf("    HVAE ELBO %.3f -> %.3f nats (rec %.3f, kl1 %.3f, kl2 %.3f)\n", h0.elbo, h1.elbo,
           h1.rec, h1.kl1, h1.kl2);
    CHECK_EQ(failures, 0);
    CHECK(v1.elbo > v0.elbo + 0.3);   // held-out SE of a difference ~0.02
    CHECK(h1.elbo > h0.elbo + 0.3);   // the HVAE starts slower: z2 wakes up later
    CHECK_NEAR(v1.elbo, v1.rec - v1.kl, 1e-9);
    CHECK_NEAR(h1.elbo, h1.rec - h1.kl1 - h1.kl2, 1e-9);
    free(held);
    td_adamw_free(&vo);
    td_adamw_free(&ho);
    td_vae_work_free(&vw);
    td_hvae_work_free(&hw);
    td_vae_free(&vae);
    td_hvae_free(&hv);
}

TEST(bad_configs_and_batches_fail_with_a_reason) {
    td_rng rng;
    td_rng_seed(&rng, 1, 0);
    td_vae vae;
    td_vae_config cfg = td_vae_default_config();
    cfg.z_dim = 0;
    CHECK_EQ(td_vae_init(&vae, &cfg, &rng), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "z_dim 0");
    td_vae_free(&vae);
    td_hvae hv;
    td_hvae_config hc = td_hvae_default_config();
    hc.hidden = -3;
    CHECK(td_hvae_init(&hv, &hc, &rng) != TD_OK);
    td_hvae_free(&hv);

    cfg = td_vae_default_config();
    CHECK_EQ(td_vae_init(&vae, &cfg, &rng), TD_OK);
    td_vae_work w;
    CHECK_EQ(td_vae_work_init(&w, &vae, 0), TD_ERR_ARG);
    CHECK_EQ(td_vae_work_init(&w, &vae, 8), TD_OK);
    float x[32] = {0}, eps[32] = {0}, out[32];
    CHECK_EQ(td_vae_loss(&vae, &w, x, eps, 9, 0, NULL), TD_ERR_LIMIT);
    CHECK_CONTAINS(td_error_message(), "exceeds");
    CHECK_EQ(td_vae_loss(&vae, &w, x, eps, 0, 0, NULL), TD_ERR_ARG);
    CHECK_EQ(td_vae_sample(&vae, &w, &rng, out, 0, 0), TD_ERR_ARG);
    // Sampling more than a workspace's rows goes in chunks.
    CHECK_EQ(td_vae_sample(&vae, &w, &rng, out, 16, 1), TD_OK);
    // A diverged model is reported, not applied.
    td_adamw opt;
    td_adamw_init(&opt, &vae.params, td_adamw_defaults());
    vae.params.data[vae.log_var_x] = NAN;
    CHECK_EQ(td_vae_train_step(&vae, &w, &opt, x, 8, &rng, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "diverged");
    CHECK_EQ(opt.step, 0);
    td_adamw_free(&opt);
    td_vae_work_free(&w);
    td_vae_free(&vae);
}

// ---- the shipped weights (web/weights, trained by the commands in the report:
//   thinkdiff train toy --model vae  --width 64 --depth 2 --steps 30000 --batch 256 --lr 2e-3 --seed 1
//   thinkdiff train toy --model hvae --width 64 --depth 2 --steps 30000 --batch 256 --lr 2e-3 --seed 2)

static int load_vae(td_vae *vae) {
    td_safetensors st;
    if (td_safetensors_read_file(TD_SOURCE_DIR "/web/weights/vae.safetensors", &st) != TD_OK) return 0;
    int ok = td_vae_load(vae, &st) == TD_OK;
    td_safetensors_free(&st);
    return ok;
}

static int load_hvae(td_hvae *m) {
    td_safetensors st;
    if (td_safetensors_read_file(TD_SOURCE_DIR "/web/weights/hvae.safetensors", &st) != TD_OK) return 0;
    int ok = td_hvae_load(m, &st) == TD_OK;
    td_safetensors_free(&st);
    return ok;
}

TEST(shipped_hvae_has_a_significantly_higher_elbo_on_the_ring_than_the_shipped_vae) {
    td_vae vae;
    td_hvae hv;
    CHECK(load_vae(&vae));
    CHECK(load_hvae(&hv));
    td_vae_work vw;
    td_hvae_work hw;
    td_vae_work_init(&vw, &vae, 1000);
    td_hvae_work_init(&hw, &hv, 1000);
    // 20 chunks of 1000 fresh ring points, both models on the same points: the
    // spread of the 20 paired differences gives the difference's standard error.
    enum { CHUNKS = 20, N = 1000 };
    float *x = malloc(2 * N * sizeof(float));
    td_rng data, noise;
    td_rng_seed(&data, 2024, 0);
    td_rng_seed(&noise, 2025, 0);
    double sv = 0, sh = 0, sd = 0, sd2 = 0, rec = 0, kl = 0, hrec = 0, hkl1 = 0, hkl2 = 0;
    for (int c = 0; c < CHUNKS; c++) {
        td_vae_terms vt;
        td_hvae_terms ht;
        td_toy_sample(TD_TOY_RING8, &data, x, N);
        CHECK_EQ(td_vae_elbo(&vae, &vw, x, N, &noise, &vt), TD_OK);
        CHECK_EQ(td_hvae_elbo(&hv, &hw, x, N, &noise, &ht), TD_OK);
        sv += vt.elbo, sh += ht.elbo, rec += vt.rec, kl += vt.kl;
        hrec += ht.rec, hkl1 += ht.kl1, hkl2 += ht.kl2;
        sd += ht.elbo - vt.elbo, sd2 += (ht.elbo - vt.elbo) * (ht.elbo - vt.elbo);
    }
    double diff = sd / CHUNKS, se = sqrt((sd2 / CHUNKS - diff * diff) / (CHUNKS - 1));
    printf("    VAE  ELBO %.4f = rec %.4f - kl %.4f nats\n", sv / CHUNKS, rec / CHUNKS, kl / CHUNKS);
    printf("    HVAE ELBO %.4f = rec %.4f - kl1 %.4f - kl2 %.4f nats\n", sh / CHUNKS, hrec / CHUNKS,
           hkl1 / CHUNKS, hkl2 / CHUNKS);
    printf("    HVAE - VAE = %.4f +- %.4f nats (true log-density of the ring ~2.89)\n", diff, se);
    CHECK(diff > 5.0 * se);
    CHECK(diff > 0.5);
    CHECK(sh / CHUNKS < 2.95);   // a lower bound stays below the true mean log-density
    free(x);
    td_vae_work_free(&vw);
    td_hvae_work_free(&hw);
    td_vae_free(&vae);
    td_hvae_free(&hv);
}

TEST(shipped_vae_and_hvae_samples_cover_every_mode_and_their_metrics_are_reported) {
    td_vae vae;
    td_hvae hv;
    CHECK(load_vae(&vae));
    CHECK(load_hvae(&hv));
    td_vae_work vw;
    td_hvae_work hw;
    td_vae_work_init(&vw, &vae, 2000);
    td_hvae_work_init(&hw, &hv, 2000);
    enum { N = 10000 };
    float *x = malloc(2 * N * sizeof(float));
    float centres[2 * TD_RING8_MODES];
    td_ring8 ring = td_ring8_default();
    td_ring8_centres(&ring, centres);
    td_mode_ref ref = {centres, TD_RING8_MODES, ring.std};
    td_toy_kind kind = TD_TOY_RING8;
    td_rng rng;
    td_rng_seed(&rng, 3, 0);
    td_metrics m[2];
    CHECK_EQ(td_vae_sample(&vae, &vw, &rng, x, N, 0), TD_OK);
    CHECK_EQ(td_metrics_evaluate(x, N, td_toy_sampler, &kind, &ref, NULL, &m[0]), TD_OK);
    CHECK_EQ(td_hvae_sample(&hv, &hw, &rng, x, N, 0, NULL), TD_OK);
    CHECK_EQ(td_metrics_evaluate(x, N, td_toy_sampler, &kind, &ref, NULL, &m[1]), TD_OK);
    for (int k = 0; k < 2; k++) {
        printf("    %s: modes %d/8, HQ %.2f%%, mode KL %.4f, SW2 %.4f (floor %.4f), MMD^2 %.6f (floor %.6f)\n",
               k ? "HVAE" : "VAE ", m[k].modes.modes_covered, 100.0 * m[k].modes.hq_fraction,
               m[k].modes.mode_kl, m[k].sw2, m[k].sw2_floor, m[k].mmd2, m[k].mmd2_floor);
        CHECK_EQ(m[k].modes.modes_covered, 8);
        CHECK(m[k].modes.mode_kl < 0.1);
        CHECK(m[k].sw2 < 0.3);
        // Decoder means of a continuous map from a Gaussian smear between modes:
        // worse than diffusion's ~98.9%, and honest about it.
        CHECK(m[k].modes.hq_fraction > 0.3 && m[k].modes.hq_fraction < 0.95);
    }
    CHECK(m[1].modes.hq_fraction > m[0].modes.hq_fraction);
    free(x);
    td_vae_work_free(&vw);
    td_hvae_work_free(&hw);
    td_vae_free(&vae);
    td_hvae_free(&hv);
}

TEST(a_checkpoint_of_another_family_or_with_a_missing_size_is_refused) {
    td_safetensors st;
    CHECK_EQ(td_safetensors_read_file(TD_SOURCE_DIR "/web/weights/hvae.safetensors", &st), TD_OK);
    td_vae vae;
    CHECK(td_vae_load(&vae, &st) != TD_OK);
    CHECK_CONTAINS(td_error_message(), "hvae");
    td_vae_free(&vae);
    td_safetensors_free(&st);
}

int main(void) {
    RUN(vae_gradients_of_the_negative_elbo_match_finite_differences);
    RUN(the_gradient_checker_catches_gradients_taken_with_other_noise_or_off_by_five_percent);
    RUN(hvae_gradients_of_the_negative_elbo_match_finite_differences_through_all_four_nets);
    RUN(vae_monte_carlo_elbo_agrees_with_direct_quadrature_of_the_same_integral);
    RUN(hvae_monte_carlo_elbo_agrees_with_a_nested_quadrature_of_the_same_integral);
    RUN(a_thousand_training_steps_from_a_fixed_seed_raise_both_elbos_on_held_out_ring_points);
    RUN(bad_configs_and_batches_fail_with_a_reason);
    RUN(shipped_hvae_has_a_significantly_higher_elbo_on_the_ring_than_the_shipped_vae);
    RUN(shipped_vae_and_hvae_samples_cover_every_mode_and_their_metrics_are_reported);
    RUN(a_checkpoint_of_another_family_or_with_a_missing_size_is_refused);
    return check_summary("test_vae");
}
