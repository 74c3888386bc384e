// test_sde.c - SDE coefficients, DDPM schedules and their continuous limit, sampling
// grids, parameterisation conversions, and the training targets and weights.
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "diffusion/loss.h"
#include "diffusion/parameterization.h"
#include "diffusion/sde.h"

static const double PI = 3.14159265358979323846;

static td_sde all_sdes(int i) {
    switch (i) {
    case 0: return td_sde_vp(0.1, 20.0);
    case 1: return td_sde_subvp(0.1, 20.0);
    case 2: return td_sde_ve(0.01, 10.0);
    case 3: return td_sde_ddpm_linear(1000, 1e-4, 0.02);
    default: return td_sde_ddpm_cosine(1000);
    }
}
enum { N_SDES = 5 };

// Largest violation over t of the moment equations every linear SDE must satisfy:
//   d alpha / dt = f alpha     and     d sigma^2 / dt = 2 f sigma^2 + g^2,
// by central differences; `g_scale` corrupts g to show the check can fail.
static double marginal_mismatch(const td_sde *sde, double g_scale) {
    double worst = 0.0, h = 1e-6;
    for (int i = 1; i < 100; i++) {
        double t = (10 * i + 0.5) / 1000.0;  // mid-step on a 1000-step DDPM schedule
        double da = (td_sde_alpha(sde, t + h) - td_sde_alpha(sde, t - h)) / (2 * h);
        double s_hi = td_sde_sigma(sde, t + h), s_lo = td_sde_sigma(sde, t - h);
        double dvar = (s_hi * s_hi - s_lo * s_lo) / (2 * h);
        double f = td_sde_drift(sde, t), g = g_scale * td_sde_diffusion(sde, t);
        double a = td_sde_alpha(sde, t), s = td_sde_sigma(sde, t);
        double scale = fmax(1.0, fabs(g * g));
        worst = fmax(worst, fabs(da - f * a) / fmax(a, 1e-3));
        worst = fmax(worst, fabs(dvar - (2 * f * s * s + g * g)) / scale);
    }
    return worst;
}

TEST(every_sde_s_drift_and_diffusion_produce_its_stated_marginal) {
    for (int i = 0; i < N_SDES; i++) {
        td_sde sde = all_sdes(i);
        CHECK_EQ(td_sde_validate(&sde), TD_OK);
        double err = marginal_mismatch(&sde, 1.0), bad = marginal_mismatch(&sde, 1.1);
        printf("    %-12s moment-equation error %.2g (with g x 1.1: %.2g)\n", td_sde_name(&sde), err, bad);
        CHECK(err < 1e-4);
        CHECK(bad > 1e-2);  // the check fires on a wrong g
    }
}

TEST(vp_kinds_preserve_variance_and_ve_keeps_the_mean) {
    td_sde vp = td_sde_vp(0.1, 20.0), sub = td_sde_subvp(0.1, 20.0), ve = td_sde_ve(0.01, 10.0);
    for (double t = 0.0; t <= 1.0; t += 0.05) {
        double a = td_sde_alpha(&vp, t), s = td_sde_sigma(&vp, t);
        CHECK_NEAR(a * a + s * s, 1.0, 1e-12);
        double b = 0.1 * t + 0.5 * t * t * 19.9;
        CHECK_NEAR(a, exp(-0.5 * b), 1e-12);
        CHECK_NEAR(td_sde_sigma(&sub, t), 1.0 - exp(-b), 1e-12);
        CHECK(td_sde_sigma(&sub, t) <= s + 1e-15);  // sub-VP: never more noise than VP
        CHECK_NEAR(td_sde_alpha(&ve, t), 1.0, 0.0);
        CHECK_NEAR(td_sde_sigma(&ve, t), 0.01 * pow(1000.0, t), 1e-9);
    }
    CHECK_NEAR(td_sde_sigma(&vp, 1e-3), 0.0105, 1e-4);  // the documented t_eps noise level
    CHECK_NEAR(td_sde_prior_std(&ve), 10.0, 0.0);
    CHECK_NEAR(td_sde_prior_std(&vp), 1.0, 0.0);
}

TEST(snr_falls_monotonically_from_t_eps_to_one) {
    for (int i = 0; i < N_SDES; i++) {
        td_sde sde = all_sdes(i);
        double prev = (double)INFINITY;
        int falls = 1;
        for (double t = sde.t_eps; t <= 1.0; t += 1.0 / 512) {
            double snr = td_sde_snr(&sde, t), a = td_sde_alpha(&sde, t), s = td_sde_sigma(&sde, t);
            falls &= snr < prev;
            prev = snr;
            CHECK_NEAR(snr, a * a / (s * s), 1e-9 * snr);
        }
        CHECK(falls);
        CHECK(td_sde_snr(&sde, sde.t_eps) > 1e3 && td_sde_snr(&sde, 1.0) < 0.02);  // VE: 1 / sigma_max^2
    }
}

TEST(a_ddpm_schedule_is_the_vp_sde_at_integer_steps) {
    td_sde lin = td_sde_ddpm_linear(1000, 1e-4, 0.02), cos_ = td_sde_ddpm_cosine(1000);
    CHECK_NEAR(td_sde_discrete_beta(&lin, 1), 1e-4, 1e-15);
    CHECK_NEAR(td_sde_discrete_beta(&lin, 1000), 0.02, 1e-15);
    double prod = 1.0, worst = 0.0;
    for (int i = 1; i <= 1000; i++) {
        prod *= 1.0 - td_sde_discrete_beta(&lin, i);
        double a = td_sde_alpha(&lin, i / 1000.0);
        worst = fmax(worst, fabs(a * a - prod) / prod);
        worst = fmax(worst, fabs(td_sde_discrete_alpha_bar(&lin, i) - prod) / prod);
    }
    CHECK(worst < 1e-12);  // alpha(i / N)^2 is alpha_bar_i exactly
    // Cosine: alpha_bar_i = f(i/N) / f(0) until the 0.999 clip near the end.
    double f0 = pow(cos(0.008 / 1.008 * PI / 2), 2);
    for (int i = 0; i <= 900; i += 100)
        CHECK_NEAR(td_sde_discrete_alpha_bar(&cos_, i), pow(cos((i / 1000.0 + 0.008) / 1.008 * PI / 2), 2) / f0, 1e-9);
    CHECK_NEAR(td_sde_discrete_beta(&cos_, 1000), 0.999, 1e-12);
    CHECK(td_sde_alpha(&cos_, 1.0) > 0.0);
}

static double limit_gap(int n) {
    td_sde ddpm = td_sde_ddpm_linear(n, 0.1 / n, 20.0 / n), vp;
    td_sde_continuous_limit(&ddpm, &vp);
    double worst = 0.0;
    for (int i = 0; i <= n; i++) {
        double a = td_sde_alpha(&vp, (double)i / n);
        worst = fmax(worst, fabs(td_sde_discrete_alpha_bar(&ddpm, i) - a * a));
    }
    return worst;
}

TEST(the_linear_schedule_approaches_the_continuous_vp_as_steps_grow) {
    td_sde ddpm = td_sde_ddpm_linear(1000, 1e-4, 0.02), vp;
    CHECK_EQ(td_sde_continuous_limit(&ddpm, &vp), TD_OK);
    CHECK_NEAR(vp.beta_min, 0.1, 1e-12);
    CHECK_NEAR(vp.beta_max, 20.0, 1e-12);
    double g250 = limit_gap(250), g1000 = limit_gap(1000), g4000 = limit_gap(4000);
    printf("    max |alpha_bar_i - alpha_vp(i/N)^2|: N=250 %.2g, N=1000 %.2g, N=4000 %.2g\n",
           g250, g1000, g4000);
    CHECK(g1000 < 5e-3);  // DDPM's own schedule is within 0.005 of the VP SDE
    CHECK(g4000 < g1000 / 3 && g1000 < g250 / 3);  // first-order convergence
    td_sde cos_ = td_sde_ddpm_cosine(1000);
    td_clear_error();
    CHECK_EQ(td_sde_continuous_limit(&cos_, &vp), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "linear");
}

static int strictly_falling(const double *t, int steps) {
    for (int k = 1; k < steps; k++)
        if (!(t[k] < t[k - 1])) return 0;
    return 1;
}

TEST(sampling_grids_run_from_one_to_t_eps_and_stride_through_ddpm_steps) {
    static double t[1000];
    for (int i = 0; i < N_SDES; i++) {
        td_sde sde = all_sdes(i);
        for (int g = 0; g < 2; g++) {
            int counts[3] = {2, 37, 1000};
            for (int c = 0; c < 3; c++) {
                CHECK_EQ(td_sde_time_grid(&sde, counts[c], (td_time_grid)g, t), TD_OK);
                CHECK_NEAR(t[0], 1.0, 0.0);
                CHECK_NEAR(t[counts[c] - 1], sde.t_eps, 1e-15);
                CHECK(strictly_falling(t, counts[c]));
                if (sde.kind == TD_SDE_DDPM)
                    for (int k = 0; k < counts[c]; k++) CHECK_NEAR(t[k] * 1000, round(t[k] * 1000), 1e-9);
            }
        }
    }
    td_sde ddpm = td_sde_ddpm_linear(1000, 1e-4, 0.02), vp = td_sde_vp(0.1, 20.0);
    td_sde_time_grid(&ddpm, 1000, TD_GRID_LOG_SNR, t);
    for (int k = 0; k < 1000; k++) CHECK_NEAR(t[k], (1000 - k) / 1000.0, 1e-15);  // every step
    td_sde_time_grid(&ddpm, 10, TD_GRID_UNIFORM, t);
    CHECK_NEAR(t[1], 889 / 1000.0, 1e-15);  // stride 999 / 9 = 111: steps 1000, 889, ...
    // log SNR grid: equal log-SNR gaps, so most points sit near t = 0 on VP.
    td_sde_time_grid(&vp, 11, TD_GRID_LOG_SNR, t);
    double gap = log(td_sde_snr(&vp, t[1]) / td_sde_snr(&vp, t[0]));
    for (int k = 2; k < 11; k++) CHECK_NEAR(log(td_sde_snr(&vp, t[k]) / td_sde_snr(&vp, t[k - 1])), gap, 1e-6);
    CHECK(t[5] < 0.35);  // uniform in t would put it at 0.5
    td_sde_time_grid(&vp, 1, TD_GRID_UNIFORM, t);
    CHECK_NEAR(t[0], 1.0, 0.0);
    td_clear_error();
    CHECK_EQ(td_sde_time_grid(&ddpm, 1001, TD_GRID_UNIFORM, t), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "exceed");
    CHECK_EQ(td_sde_time_grid(&vp, 0, TD_GRID_UNIFORM, t), TD_ERR_ARG);
    CHECK_EQ(td_sde_time_grid(&vp, 5, (td_time_grid)3, t), TD_ERR_ARG);
}

TEST(bad_sde_parameters_and_names_are_rejected_with_a_reason) {
    td_sde bad[6] = {td_sde_vp(-0.1, 20.0), td_sde_vp(5.0, 1.0), td_sde_ve(0.0, 10.0),
                     td_sde_ve(0.01, (double)INFINITY), td_sde_ddpm_linear(1, 1e-4, 0.02),
                     td_sde_ddpm_linear(1000, 1e-4, 1.5)};
    const char *words[6] = {"beta_min", "beta_min", "sigma_min", "sigma_min", "steps", "beta_end"};
    for (int i = 0; i < 6; i++) {
        td_clear_error();
        CHECK_EQ(td_sde_validate(&bad[i]), TD_ERR_ARG);
        CHECK_CONTAINS(td_error_message(), words[i]);
    }
    td_sde vp = td_sde_vp(0.1, 20.0);
    vp.t_eps = 0.0;
    CHECK_EQ(td_sde_validate(&vp), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "t_eps");
    const char *names[5] = {"vp", "subvp", "ve", "ddpm-linear", "ddpm-cosine"};
    for (int i = 0; i < 5; i++) {
        td_sde sde;
        CHECK_EQ(td_sde_from_name(names[i], &sde), TD_OK);
        CHECK_EQ(td_sde_validate(&sde), TD_OK);
        CHECK(strcmp(td_sde_name(&sde), names[i]) == 0);
    }
    td_sde sde;
    CHECK_EQ(td_sde_from_name("edm", &sde), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "ddpm-cosine");
}

// ---- parameterisations -----------------------------------------------------

enum { PN = 64 };

// x0, eps and x_t = a x0 + s eps for PN elements, and each of the four forms.
static void make_forms(double a, double s, float *x0, float *eps, float *xt, float forms[4][PN]) {
    td_rng rng;
    td_rng_seed(&rng, 21, 0);
    for (int i = 0; i < PN; i++) {
        x0[i] = (float)(2.0 * td_rng_normal(&rng));
        eps[i] = (float)td_rng_normal(&rng);
        xt[i] = (float)(a * (double)x0[i] + s * (double)eps[i]);
        for (int p = 0; p < 4; p++) forms[p][i] = (float)td_loss_target((td_prediction)p, (double)x0[i], (double)eps[i], a, s);
    }
}

TEST(every_parameterisation_converts_to_every_other_and_back) {
    double coeffs[4][2] = {{0.999, 0.0447}, {0.6, 0.8}, {0.0066, 0.99998}, {1.0, 10.0}};  // VP ..., VE
    float x0[PN], eps[PN], xt[PN], forms[4][PN], out[PN], back[PN];
    for (int c = 0; c < 4; c++) {
        double a = coeffs[c][0], s = coeffs[c][1];
        make_forms(a, s, x0, eps, xt, forms);
        for (int from = 0; from < 4; from++) {
            for (int to = 0; to < 4; to++) {
                CHECK_EQ(td_param_convert((td_prediction)from, (td_prediction)to, xt, forms[from], PN, a, s, out), TD_OK);
                CHECK_EQ(td_param_convert((td_prediction)to, (td_prediction)from, xt, out, PN, a, s, back), TD_OK);
                double worst = 0.0, trip = 0.0;
                for (int i = 0; i < PN; i++) {
                    double scale = 1.0 + fabs((double)forms[to][i]);
                    worst = fmax(worst, fabs((double)out[i] - (double)forms[to][i]) / scale);
                    trip = fmax(trip, fabs((double)back[i] - (double)forms[from][i]) / (1.0 + fabs((double)forms[from][i])));
                }
                // Float rounding in x_t is divided by alpha (to reach x0) or sigma (to reach eps).
                double tol = a < 0.01 || s < 0.1 ? 1e-3 : 1e-5;
                if (!(worst < tol && trip < tol))
                    printf("    %s -> %s at (%g, %g): error %.2g, round trip %.2g\n",
                           td_prediction_name((td_prediction)from), td_prediction_name((td_prediction)to), a, s, worst, trip);
                CHECK(worst < tol);
                CHECK(trip < tol);
            }
        }
    }
    // The score is -eps / sigma: the scale between a score model and an eps model.
    float score[1], one_eps[1] = {0.5f}, x[1] = {0.0f};
    td_param_convert(TD_PRED_EPS, TD_PRED_SCORE, x, one_eps, 1, 0.6, 0.8, score);
    CHECK_NEAR(score[0], -0.625, 1e-7);
}

TEST(conversions_reject_zero_noise_and_unknown_kinds) {
    float x[2] = {1, 2}, p[2] = {0, 0}, out[2];
    const double bad[4][2] = {{1.0, 0.0}, {0.0, 1.0}, {(double)NAN, 0.5}, {0.5, (double)INFINITY}};
    for (int i = 0; i < 4; i++) {
        td_clear_error();
        CHECK_EQ(td_param_convert(TD_PRED_EPS, TD_PRED_X0, x, p, 2, bad[i][0], bad[i][1], out), TD_ERR_ARG);
        CHECK_CONTAINS(td_error_message(), "positive and finite");
    }
    CHECK_EQ(td_param_convert((td_prediction)9, TD_PRED_X0, x, p, 2, 0.6, 0.8, out), TD_ERR_ARG);
    td_prediction kind;
    CHECK_EQ(td_prediction_from_name("v", &kind), TD_OK);
    CHECK_EQ(kind, TD_PRED_V);
    CHECK_EQ(td_prediction_from_name("velocity", &kind), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "eps, x0, score or v");
}

// ---- training targets and losses -------------------------------------------

TEST(weighted_losses_in_every_parameterisation_equal_the_eps_loss) {
    double coeffs[3][2] = {{0.95, 0.3122}, {0.3, 0.9539}, {1.0, 4.0}};
    float x0[PN], eps[PN], xt[PN], forms[4][PN], eps_hat[PN], pred[PN];
    for (int c = 0; c < 3; c++) {
        double a = coeffs[c][0], s = coeffs[c][1];
        make_forms(a, s, x0, eps, xt, forms);
        for (int i = 0; i < PN; i++) eps_hat[i] = eps[i] + 0.1f * (float)sin(i);  // an imperfect model
        double eps_loss = td_loss_weighted_mse(eps_hat, eps, NULL, 1, PN, NULL);
        for (int p = 0; p < 4; p++) {
            td_param_convert(TD_PRED_EPS, (td_prediction)p, xt, eps_hat, PN, a, s, pred);
            float w = (float)td_loss_weight((td_prediction)p, a, s);
            double loss = td_loss_weighted_mse(pred, forms[p], &w, 1, PN, NULL);
            CHECK_NEAR(loss, eps_loss, 1e-4 * eps_loss);
            // ...and unweighted they differ, so the weight is doing the work.
            if (p != TD_PRED_EPS) CHECK(fabs(td_loss_weighted_mse(pred, forms[p], NULL, 1, PN, NULL) - eps_loss) > 1e-3 * eps_loss);
        }
    }
    CHECK_NEAR(td_loss_weight(TD_PRED_SCORE, 0.6, 0.8), 0.64, 1e-12);  // Song's lambda = sigma^2
    CHECK_NEAR(td_loss_weight(TD_PRED_X0, 0.6, 0.8), 0.5625, 1e-12);   // the SNR
    CHECK_NEAR(td_loss_weight(TD_PRED_V, 0.6, 0.8), 0.36, 1e-12);      // alpha^2 on VP
}

TEST(the_loss_gradient_matches_finite_differences) {
    enum { R = 3, D = 4 };
    float pred[R * D], target[R * D], weight[R] = {0.5f, 1.0f, 2.0f}, grad[R * D];
    for (int i = 0; i < R * D; i++) {
        pred[i] = (float)sin(i + 1.0);
        target[i] = (float)cos(2.0 * i);
    }
    td_loss_weighted_mse(pred, target, weight, R, D, grad);
    double worst = 0.0;
    for (int i = 0; i < R * D; i++) {
        float keep = pred[i], h = 1e-2f;
        pred[i] = keep + h;
        double up = td_loss_weighted_mse(pred, target, weight, R, D, NULL);
        pred[i] = keep - h;
        double down = td_loss_weighted_mse(pred, target, weight, R, D, NULL);
        pred[i] = keep;
        worst = fmax(worst, fabs((up - down) / (2.0 * (double)h) - (double)grad[i]));
    }
    CHECK(worst < 1e-5);
}

TEST(a_training_batch_noises_x0_at_drawn_times_with_matching_targets) {
    enum { R = 4000, D = 2 };
    static float x0[R * D], t[R], eps[R * D], xt[R * D], target[R * D], weight[R];
    for (int i = 0; i < R * D; i++) x0[i] = i % 2 ? 1.0f : -2.0f;
    for (int k = 0; k < 2; k++) {
        td_sde sde = k ? td_sde_ddpm_linear(1000, 1e-4, 0.02) : td_sde_vp(0.1, 20.0);
        td_rng rng;
        td_rng_seed(&rng, 13, 0);
        CHECK_EQ(td_loss_make_batch(&sde, TD_PRED_V, &rng, x0, R, D, t, eps, xt, target, weight), TD_OK);
        double tmin = 1.0, tmax = 0.0, tmean = 0.0, e2 = 0.0, worst = 0.0;
        for (int r = 0; r < R; r++) {
            tmin = fmin(tmin, (double)t[r]);
            tmax = fmax(tmax, (double)t[r]);
            tmean += (double)t[r] / R;
            double a = td_sde_alpha(&sde, (double)t[r]), s = td_sde_sigma(&sde, (double)t[r]);
            CHECK_NEAR(weight[r], td_loss_weight(TD_PRED_V, a, s), 1e-6);
            if (k) CHECK_NEAR((double)t[r] * 1000, round((double)t[r] * 1000), 1e-3);
            for (int d = 0; d < D; d++) {
                int i = r * D + d;
                e2 += (double)eps[i] * (double)eps[i] / (R * D);
                worst = fmax(worst, fabs((double)xt[i] - (a * (double)x0[i] + s * (double)eps[i])));
                worst = fmax(worst, fabs((double)target[i] - (a * (double)eps[i] - s * (double)x0[i])));
            }
        }
        CHECK(tmin >= sde.t_eps - 1e-7 && tmax <= 1.0);
        CHECK_NEAR(tmean, 0.5, 0.02);
        CHECK_NEAR(e2, 1.0, 0.05);
        CHECK(worst < 1e-5);
    }
    // Same seed, same batch.
    static float xt2[R * D];
    td_sde vp = td_sde_vp(0.1, 20.0);
    td_rng a, b;
    td_rng_seed(&a, 3, 0);
    td_rng_seed(&b, 3, 0);
    td_loss_make_batch(&vp, TD_PRED_EPS, &a, x0, R, D, t, NULL, xt, target, weight);
    td_loss_make_batch(&vp, TD_PRED_EPS, &b, x0, R, D, t, NULL, xt2, target, weight);
    CHECK(memcmp(xt, xt2, sizeof xt) == 0);
    td_clear_error();
    CHECK_EQ(td_loss_make_batch(&vp, TD_PRED_EPS, &a, x0, 0, D, t, NULL, xt, target, weight), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "n >= 1");
    CHECK_EQ(td_loss_make_batch(&vp, (td_prediction)7, &a, x0, R, D, t, NULL, xt, target, weight), TD_ERR_ARG);
}

int main(void) {
    RUN(every_sde_s_drift_and_diffusion_produce_its_stated_marginal);
    RUN(vp_kinds_preserve_variance_and_ve_keeps_the_mean);
    RUN(snr_falls_monotonically_from_t_eps_to_one);
    RUN(a_ddpm_schedule_is_the_vp_sde_at_integer_steps);
    RUN(the_linear_schedule_approaches_the_continuous_vp_as_steps_grow);
    RUN(sampling_grids_run_from_one_to_t_eps_and_stride_through_ddpm_steps);
    RUN(bad_sde_parameters_and_names_are_rejected_with_a_reason);
    RUN(every_parameterisation_converts_to_every_other_and_back);
    RUN(conversions_reject_zero_noise_and_unknown_kinds);
    RUN(weighted_losses_in_every_parameterisation_equal_the_eps_loss);
    RUN(the_loss_gradient_matches_finite_differences);
    RUN(a_training_batch_noises_x0_at_drawn_times_with_matching_targets);
    return check_summary("test_sde");
}
