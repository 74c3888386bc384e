// test_mixture.c - Gaussian mixtures: construction, sampling, log-density, and the
// exact score of the noised marginal (checked against finite differences).
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "prob/mixture.h"

static const double PI = 3.14159265358979323846;

TEST(the_ring_has_eight_equal_modes_on_a_circle_of_radius_two) {
    td_mixture m;
    CHECK_EQ(td_mixture_init_ring(&m, 8, 2.0, 0.02), TD_OK);
    CHECK_EQ(m.k, 8);
    CHECK_EQ(m.dim, 2);
    for (int k = 0; k < 8; k++) {
        CHECK_NEAR(m.weights[k], 0.125, 1e-15);
        CHECK_NEAR(m.stds[k], 0.02, 0.0);
        CHECK_NEAR(hypot(m.means[2 * k], m.means[2 * k + 1]), 2.0, 1e-12);
        CHECK_NEAR(atan2(m.means[2 * k + 1], m.means[2 * k]), k < 5 ? k * PI / 4 : (k - 8) * PI / 4, 1e-12);
    }
    td_mixture_free(&m);
    CHECK(m.weights == NULL && m.k == 0);
    td_mixture_free(&m);  // freeing twice is harmless
}

TEST(samples_have_the_mixture_s_moments_and_fill_every_mode_evenly) {
    enum { N = 40000 };
    static float x[N * 2];
    td_mixture m;
    td_mixture_init_ring(&m, 8, 2.0, 0.02);
    td_rng rng;
    td_rng_seed(&rng, 1, 2);
    CHECK_EQ(td_mixture_sample(&m, &rng, x, N), TD_OK);
    double mx = 0, my = 0, r2 = 0, within = 0;
    int counts[8] = {0};
    for (int i = 0; i < N; i++) {
        double px = (double)x[2 * i], py = (double)x[2 * i + 1];
        mx += px / N;
        my += py / N;
        r2 += (px * px + py * py) / N;
        int k = ((int)lround(atan2(py, px) / (PI / 4)) + 8) % 8;
        counts[k]++;
        double dx = px - m.means[2 * k], dy = py - m.means[2 * k + 1];
        within += (dx * dx + dy * dy) / N;
    }
    CHECK_NEAR(mx, 0.0, 0.03);
    CHECK_NEAR(my, 0.0, 0.03);
    CHECK_NEAR(r2, 4.0 + 2 * 0.02 * 0.02, 0.002);    // E|x|^2 = r^2 + 2 s^2
    CHECK_NEAR(within, 2 * 0.02 * 0.02, 0.00003);     // E|x - mu|^2 = 2 s^2
    for (int k = 0; k < 8; k++) CHECK(abs(counts[k] - N / 8) < 300);  // ~4.5 binomial std
    // Unequal weights are honoured.
    double w[2] = {3.0, 1.0}, mu[2] = {-1.0, 1.0}, s[2] = {0.1, 0.1};
    td_mixture two;
    CHECK_EQ(td_mixture_init(&two, 2, 1, w, mu, s), TD_OK);
    td_mixture_sample(&two, &rng, x, N);
    int left = 0;
    for (int i = 0; i < N; i++) left += x[i] < 0.0f;
    CHECK_NEAR((double)left / N, 0.75, 0.01);
    td_mixture_free(&two);
    td_mixture_free(&m);
}

TEST(the_log_density_matches_the_formula_and_integrates_to_one) {
    // 1-D, two components, by hand.
    double w[2] = {0.3, 0.7}, mu[2] = {-1.0, 2.0}, s[2] = {0.5, 1.5};
    td_mixture m;
    td_mixture_init(&m, 2, 1, w, mu, s);
    for (double x = -4.0; x <= 6.0; x += 0.5) {
        double p = 0.0;
        for (int k = 0; k < 2; k++)
            p += w[k] * exp(-0.5 * (x - mu[k]) * (x - mu[k]) / (s[k] * s[k])) / (s[k] * sqrt(2 * PI));
        CHECK_NEAR(td_mixture_log_density(&m, &x), log(p), 1e-12);
    }
    td_mixture_free(&m);
    // 2-D ring noised to (alpha, sigma) = (0.8, 0.6): a Riemann sum over [-4, 4]^2.
    td_mixture ring;
    td_mixture_init_ring(&ring, 8, 2.0, 0.02);
    double total = 0.0, h = 0.02;
    for (double px = -4.0; px < 4.0; px += h)
        for (double py = -4.0; py < 4.0; py += h) {
            double p[2] = {px + h / 2, py + h / 2};
            total += exp(td_mixture_noised(&ring, 0.8, 0.6, p, NULL)) * h * h;
        }
    CHECK_NEAR(total, 1.0, 1e-4);
    td_mixture_free(&ring);
}

// Largest gap between the analytic score and central differences of log p_t over a
// set of points near the ring; `flip` negates the analytic score (the check must fire).
static double score_vs_differences(const td_mixture *m, double alpha, double sigma, double flip) {
    td_rng rng;
    td_rng_seed(&rng, 4, 0);
    double worst = 0.0, var = alpha * alpha * 0.02 * 0.02 + sigma * sigma;
    double h = 1e-4 * sqrt(var);
    for (int i = 0; i < 200; i++) {
        // Points scattered around the noised modes and in between them.
        double angle = 2 * PI * td_rng_uniform(&rng), radius = alpha * 2.0 + 3 * sqrt(var) * td_rng_normal(&rng);
        double x[2] = {radius * cos(angle), radius * sin(angle)}, score[2];
        td_mixture_noised(m, alpha, sigma, x, score);
        for (int d = 0; d < 2; d++) {
            double keep = x[d];
            x[d] = keep + h;
            double up = td_mixture_noised(m, alpha, sigma, x, NULL);
            x[d] = keep - h;
            double down = td_mixture_noised(m, alpha, sigma, x, NULL);
            x[d] = keep;
            double fd = (up - down) / (2 * h);
            worst = fmax(worst, fabs(flip * score[d] - fd) / (1.0 + fabs(fd)));
        }
    }
    return worst;
}

TEST(the_exact_score_matches_finite_differences_of_the_log_density_at_every_noise_level) {
    td_mixture ring;
    td_mixture_init_ring(&ring, 8, 2.0, 0.02);
    double levels[5][2] = {{1.0, 0.0}, {1.0, 0.0105}, {0.8, 0.6}, {0.0066, 1.0}, {1.0, 10.0}};
    for (int i = 0; i < 5; i++) {
        double err = score_vs_differences(&ring, levels[i][0], levels[i][1], 1.0);
        double flipped = score_vs_differences(&ring, levels[i][0], levels[i][1], -1.0);
        printf("    (alpha, sigma) = (%g, %g): relative gap %.2g, sign-flipped %.2g\n",
               levels[i][0], levels[i][1], err, flipped);
        CHECK(err < 1e-5);
        CHECK(flipped > 0.1);
    }
    td_mixture_free(&ring);
}

TEST(far_from_every_mode_the_density_and_score_stay_finite) {
    td_mixture ring;
    td_mixture_init_ring(&ring, 8, 2.0, 0.02);
    double x[2] = {1000.0, -1000.0}, score[2];
    double lp = td_mixture_noised(&ring, 1.0, 0.0, x, score);
    CHECK(isfinite(lp) && lp < -1e8);
    // The nearest mode dominates completely: score = (mu - x) / s^2 for mode 7 (angle -45 deg).
    CHECK_NEAR(score[0], (ring.means[14] - x[0]) / 0.0004, 1e-6 * fabs(score[0]));
    CHECK_NEAR(score[1], (ring.means[15] - x[1]) / 0.0004, 1e-6 * fabs(score[1]));
    // Halfway between two modes the score points along the ring's radius, by symmetry.
    double mid[2] = {2.0 * cos(PI / 8), 2.0 * sin(PI / 8)};
    td_mixture_noised(&ring, 1.0, 0.1, mid, score);
    CHECK_NEAR(score[0] * mid[1] - score[1] * mid[0], 0.0, 1e-9);
    td_mixture_free(&ring);
}

TEST(the_score_denoiser_follows_the_sde_s_alpha_and_sigma) {
    td_mixture ring;
    td_mixture_init_ring(&ring, 8, 2.0, 0.02);
    td_sde vp = td_sde_vp(0.1, 20.0), ve = td_sde_ve(0.01, 10.0);
    const td_sde *sdes[2] = {&vp, &ve};
    float x[6] = {2.0f, 0.0f, 0.1f, -0.3f, 1.4f, 1.4f}, out[6];
    for (int s = 0; s < 2; s++) {
        td_mixture_score ctx = {&ring, sdes[s]};
        td_denoiser den = td_mixture_score_denoiser(&ctx);
        CHECK_EQ(den.kind, TD_PRED_SCORE);
        for (double t = 0.01; t <= 1.0; t += 0.33) {
            CHECK_EQ(den.predict(den.ctx, x, 3, 2, t, out), TD_OK);
            for (int i = 0; i < 3; i++) {
                double p[2] = {(double)x[2 * i], (double)x[2 * i + 1]}, score[2];
                td_mixture_noised(&ring, td_sde_alpha(sdes[s], t), td_sde_sigma(sdes[s], t), p, score);
                CHECK_NEAR(out[2 * i], score[0], 1e-5 * (1 + fabs(score[0])));
                CHECK_NEAR(out[2 * i + 1], score[1], 1e-5 * (1 + fabs(score[1])));
            }
        }
        td_clear_error();
        CHECK_EQ(den.predict(den.ctx, x, 2, 3, 0.5, out), TD_ERR_SHAPE);
        CHECK_CONTAINS(td_error_message(), "dim 2");
    }
    td_mixture_score empty = {NULL, &vp};
    td_denoiser den = td_mixture_score_denoiser(&empty);
    CHECK_EQ(den.predict(den.ctx, x, 3, 2, 0.5, out), TD_ERR_ARG);
    td_mixture_free(&ring);
}

TEST(bad_mixture_parameters_are_rejected_with_a_reason) {
    double w[2] = {0.5, 0.5}, mu[2] = {0.0, 1.0}, s[2] = {1.0, 1.0};
    double neg_w[2] = {-1.0, 2.0}, zero_w[2] = {0.0, 0.0}, zero_s[2] = {1.0, 0.0}, nan_mu[2] = {(double)NAN, 0.0};
    td_mixture m;
#define REJECTS(call, status, words)               \
    do {                                           \
        td_clear_error();                          \
        CHECK_EQ((call), (status));                \
        CHECK_CONTAINS(td_error_message(), words); \
        CHECK(m.weights == NULL);                  \
    } while (0)
    REJECTS(td_mixture_init(&m, 0, 1, w, mu, s), TD_ERR_ARG, "k >= 1");
    REJECTS(td_mixture_init(&m, 2, 0, w, mu, s), TD_ERR_ARG, "dim >= 1");
    REJECTS(td_mixture_init(&m, 2, 1, neg_w, mu, s), TD_ERR_ARG, "weight 0");
    REJECTS(td_mixture_init(&m, 2, 1, zero_w, mu, s), TD_ERR_ARG, "all be zero");
    REJECTS(td_mixture_init(&m, 2, 1, w, mu, zero_s), TD_ERR_ARG, "std 1");
    REJECTS(td_mixture_init(&m, 2, 1, w, nan_mu, s), TD_ERR_ARG, "mean entry 0");
    REJECTS(td_mixture_init(&m, 2, 1, w, NULL, s), TD_ERR_ARG, "NULL");
    REJECTS(td_mixture_init(&m, 1 << 20, 1, w, mu, s), TD_ERR_LIMIT, "caps");
    REJECTS(td_mixture_init_ring(&m, 0, 2.0, 0.02), TD_ERR_ARG, "modes");
    REJECTS(td_mixture_init_ring(&m, 8, 2.0, -0.02), TD_ERR_ARG, "std 0");
#undef REJECTS
    td_mixture_init_ring(&m, 8, 2.0, 0.02);
    td_rng rng;
    td_rng_seed(&rng, 1, 0);
    CHECK_EQ(td_mixture_sample(&m, &rng, NULL, 4), TD_ERR_ARG);
    CHECK_EQ(td_mixture_sample(&m, &rng, NULL, -1), TD_ERR_ARG);
    td_mixture_free(&m);
}

int main(void) {
    RUN(the_ring_has_eight_equal_modes_on_a_circle_of_radius_two);
    RUN(samples_have_the_mixture_s_moments_and_fill_every_mode_evenly);
    RUN(the_log_density_matches_the_formula_and_integrates_to_one);
    RUN(the_exact_score_matches_finite_differences_of_the_log_density_at_every_noise_level);
    RUN(far_from_every_mode_the_density_and_score_stay_finite);
    RUN(the_score_denoiser_follows_the_sde_s_alpha_and_sigma);
    RUN(bad_mixture_parameters_are_rejected_with_a_reason);
    return check_summary("test_mixture");
}
