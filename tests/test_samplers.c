// test_samplers.c - every sampler, driven by the exact score of the 8-mode ring.
//
// With the exact score the only error left is the sampler's own discretisation, so the
// fraction of samples within 3 std (0.06) of the nearest mode measures the sampler.
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "diffusion/parameterization.h"
#include "diffusion/samplers.h"
#include "diffusion/sde.h"
#include "prob/mixture.h"

enum { N_SAMPLES = 2000, MODES = 8 };
static const double RING_STD = 0.02;

static td_mixture ring;  // built once in main

// ---- small metrics (the full set lives in prob/metrics) --------------------

static int nearest_mode(const float *p, double *dist) {
    int best = 0;
    double best_d2 = (double)INFINITY;
    for (int k = 0; k < ring.k; k++) {
        double dx = (double)p[0] - ring.means[2 * k], dy = (double)p[1] - ring.means[2 * k + 1];
        double d2 = dx * dx + dy * dy;
        if (d2 < best_d2) { best_d2 = d2; best = k; }
    }
    *dist = sqrt(best_d2);
    return best;
}

typedef struct {
    double hq;      // fraction within 3 std of the nearest mode
    double rms;     // RMS distance to the nearest mode (the data's is 0.02 sqrt 2 = 0.028)
    int modes;      // modes with at least one high-quality sample
    int min_count;  // fewest samples any mode attracts (balance: n / 8 = 250 expected)
} ring_score;

// What "the sampler works" means here: near the modes, all modes, none starved, and
// spread like the data (a score scaled up collapses every mode to a point instead).
static int looks_right(ring_score r) {
    return r.hq > 0.95 && r.modes == MODES && r.min_count > 150 && r.rms > 0.02 && r.rms < 0.05;
}

static ring_score score_ring(const float *x, int n) {
    int hits[MODES] = {0}, nearest[MODES] = {0}, good = 0;
    double sq = 0.0;
    for (int i = 0; i < n; i++) {
        double d;
        int k = nearest_mode(x + 2 * i, &d);
        nearest[k]++;
        sq += d * d;
        if (d < 3.0 * RING_STD) { good++; hits[k]++; }
    }
    ring_score r = {(double)good / n, sqrt(sq / n), 0, n};
    for (int k = 0; k < MODES; k++) {
        r.modes += hits[k] > 0;
        if (nearest[k] < r.min_count) r.min_count = nearest[k];
    }
    return r;
}

// ---- denoisers for the tests -----------------------------------------------

// The exact score multiplied by `scale` (1 = exact, -1 = sign flipped).
typedef struct {
    td_mixture_score exact;
    double scale;
    long calls;
} scaled_score;

static td_status scaled_predict(void *ctx, const float *x, int n, int dim, double t, float *out) {
    scaled_score *s = ctx;
    td_denoiser inner = td_mixture_score_denoiser(&s->exact);
    td_status st = inner.predict(inner.ctx, x, n, dim, t, out);
    float scale = (float)s->scale;
    for (int i = 0; i < n * dim; i++) out[i] *= scale;
    s->calls++;
    return st;
}

static td_denoiser scaled_denoiser(scaled_score *s, const td_sde *sde, double scale) {
    s->exact.mixture = &ring;
    s->exact.sde = sde;
    s->scale = scale;
    s->calls = 0;
    td_denoiser den = {TD_PRED_SCORE, scaled_predict, s};
    return den;
}

// The exact score re-expressed as an eps prediction, as a trained eps-net would give.
static td_status eps_predict(void *ctx, const float *x, int n, int dim, double t, float *out) {
    td_mixture_score *ms = ctx;
    td_denoiser inner = td_mixture_score_denoiser(ms);
    td_status st = inner.predict(inner.ctx, x, n, dim, t, out);
    if (st != TD_OK) return st;
    return td_param_convert(TD_PRED_SCORE, TD_PRED_EPS, x, out, (size_t)(n * dim),
                            td_sde_alpha(ms->sde, t), td_sde_sigma(ms->sde, t), out);
}

static td_status failing_predict(void *ctx, const float *x, int n, int dim, double t, float *out) {
    (void)ctx; (void)x; (void)n; (void)dim; (void)t; (void)out;
    return td_fail(TD_ERR_SHAPE, "the test denoiser always fails");
}

// Prior draws then `kind` for `steps` into out (N_SAMPLES, 2); scored.
static ring_score run(td_sampler_kind kind, const td_sde *sde, const td_denoiser *den, int steps,
                      const td_sampler_options *opts, uint64_t seed, float *out) {
    static float scratch[N_SAMPLES * 2];
    float *x = out ? out : scratch;
    ring_score bad = {-1.0, (double)INFINITY, 0, 0};
    td_rng rng;
    td_rng_seed(&rng, seed, 11);
    if (td_sampler_init_prior(sde, &rng, x, N_SAMPLES, 2) != TD_OK) return bad;
    td_status st = td_sampler_run(kind, sde, den, &rng, x, N_SAMPLES, 2, steps, opts, NULL, NULL);
    if (st != TD_OK) {
        printf("    %s failed: %s\n", td_sampler_name(kind), td_error_message());
        return bad;
    }
    return score_ring(x, N_SAMPLES);
}

static ring_score run_exact(td_sampler_kind kind, const td_sde *sde, int steps, td_time_grid grid) {
    td_mixture_score ctx = {&ring, sde};
    td_denoiser den = td_mixture_score_denoiser(&ctx);
    td_sampler_options opts = td_sampler_options_default();
    opts.grid = grid;
    return run(kind, sde, &den, steps, &opts, 1, NULL);
}

// ---- tests -----------------------------------------------------------------

TEST(every_sampler_lands_near_the_ring_modes_on_every_sde_at_100_steps) {
    enum { COLS = 5 };
    td_sde sdes[COLS] = {td_sde_vp(0.1, 20.0), td_sde_vp(0.1, 20.0), td_sde_subvp(0.1, 20.0),
                         td_sde_ve(0.01, 10.0), td_sde_ddpm_linear(1000, 1e-4, 0.02)};
    td_time_grid grids[COLS] = {TD_GRID_LOG_SNR, TD_GRID_UNIFORM, TD_GRID_LOG_SNR,
                                TD_GRID_LOG_SNR, TD_GRID_LOG_SNR};
    printf("    HQ%% = share within 3 std (0.06) of a mode; exact score, n = %d, 100 steps\n",
           N_SAMPLES);
    printf("    %-10s %4s %15s %8s %8s %8s %8s\n", "sampler", "NFE", "vp (rms)", "vp-unif",
           "subvp", "ve", "ddpm");
    for (int k = 0; k < TD_SAMPLER_COUNT; k++) {
        td_sampler_kind kind = (td_sampler_kind)k;
        ring_score r[COLS];
        for (int c = 0; c < COLS; c++) r[c] = run_exact(kind, &sdes[c], 100, grids[c]);
        printf("    %-10s %4ld %6.1f%% (%.3f) %7.1f%% %7.1f%% %7.1f%% %7.1f%%\n",
               td_sampler_name(kind), td_sampler_nfe(kind, 100, NULL), 100 * r[0].hq, r[0].rms,
               100 * r[1].hq, 100 * r[2].hq, 100 * r[3].hq, 100 * r[4].hq);
        for (int c = 0; c < COLS; c++) {
            if (c == 1) continue;  // the uniform VP grid is shown, not judged (see samplers.h)
            CHECK(looks_right(r[c]));
            CHECK_EQ(r[c].modes, MODES);
        }
        CHECK(r[1].hq > 0.5);
    }
}

TEST(the_best_samplers_reach_97_percent_high_quality_and_stay_spread_like_the_data) {
    td_sde vp = td_sde_vp(0.1, 20.0), ve = td_sde_ve(0.01, 10.0);
    ring_score heun = run_exact(TD_SAMPLER_ODE_HEUN, &vp, 100, TD_GRID_LOG_SNR);
    ring_score pc = run_exact(TD_SAMPLER_PC, &ve, 100, TD_GRID_LOG_SNR);
    printf("    ode-heun on vp: %.1f%%, rms %.4f; pc on ve: %.1f%%, rms %.4f (data rms 0.0283)\n",
           100 * heun.hq, heun.rms, 100 * pc.hq, pc.rms);
    CHECK(heun.hq >= 0.97);
    CHECK(pc.hq >= 0.97);
    // Tweedie's final step shrinks each mode a little (std 0.02 -> ~0.018), never more.
    CHECK(heun.rms > 0.022 && heun.rms < 0.032);
    CHECK(pc.rms > 0.022 && pc.rms < 0.032);
}

TEST(a_sign_flipped_or_badly_scaled_score_misses_the_modes) {
    // The checks above must be able to fail: a wrong score gives bad samples, whether
    // it pushes away (x -1), blurs (x 0.5) or collapses the modes (x 2).
    td_sde vp = td_sde_vp(0.1, 20.0);
    scaled_score ctx;
    double scales[3] = {-1.0, 0.5, 2.0};
    td_sampler_kind kinds[4] = {TD_SAMPLER_DDPM, TD_SAMPLER_EM, TD_SAMPLER_ODE_HEUN, TD_SAMPLER_PC};
    for (int i = 0; i < 3; i++) {
        td_denoiser den = scaled_denoiser(&ctx, &vp, scales[i]);
        for (int k = 0; k < 4; k++) {
            ring_score r = run(kinds[k], &vp, &den, 50, NULL, 2, NULL);
            printf("    %-9s score x %4.1f: HQ %5.1f%%, rms %.3g\n", td_sampler_name(kinds[k]),
                   scales[i], 100 * r.hq, r.rms);
            CHECK(!looks_right(r));
        }
    }
    td_denoiser exact = scaled_denoiser(&ctx, &vp, 1.0);
    CHECK(looks_right(run(TD_SAMPLER_ODE_HEUN, &vp, &exact, 50, NULL, 2, NULL)));
}

TEST(an_eps_denoiser_gives_the_same_samples_as_the_score_it_was_made_from) {
    td_sde vp = td_sde_vp(0.1, 20.0);
    td_mixture_score ctx = {&ring, &vp};
    td_denoiser by_score = td_mixture_score_denoiser(&ctx);
    td_denoiser by_eps = {TD_PRED_EPS, eps_predict, &ctx};
    static float a[N_SAMPLES * 2], b[N_SAMPLES * 2];
    run(TD_SAMPLER_EM, &vp, &by_score, 40, NULL, 3, a);
    run(TD_SAMPLER_EM, &vp, &by_eps, 40, NULL, 3, b);
    double worst = 0.0;
    for (int i = 0; i < N_SAMPLES * 2; i++) worst = fmax(worst, fabs((double)a[i] - (double)b[i]));
    CHECK(worst < 1e-3);
}

TEST(ddpm_on_the_1000_step_schedule_is_ho_et_al_step_for_step) {
    // Ho et al. Algorithm 2 written out, with sigma_t^2 = beta-tilde, against the sampler.
    enum { N = 64, STEPS = 1000 };
    td_sde ddpm = td_sde_ddpm_linear(STEPS, 1e-4, 0.02);
    td_mixture_score ctx = {&ring, &ddpm};
    td_denoiser den = td_mixture_score_denoiser(&ctx);
    float ours[N * 2], ref[N * 2], eps[N * 2], z[N * 2];
    td_rng rng;
    td_rng_seed(&rng, 9, 1);
    td_sampler_init_prior(&ddpm, &rng, ours, N, 2);
    memcpy(ref, ours, sizeof ref);
    long nfe = 0;
    CHECK_EQ(td_sampler_run(TD_SAMPLER_DDPM, &ddpm, &den, &rng, ours, N, 2, STEPS, NULL, NULL, &nfe), TD_OK);
    CHECK_EQ(nfe, STEPS);

    td_rng_seed(&rng, 9, 1);
    td_sampler_init_prior(&ddpm, &rng, eps, N, 2);  // replay the prior's draws
    for (int i = STEPS; i >= 1; i--) {
        double beta = td_sde_discrete_beta(&ddpm, i), abar = td_sde_discrete_alpha_bar(&ddpm, i);
        double abar_prev = td_sde_discrete_alpha_bar(&ddpm, i - 1);
        den.predict(den.ctx, ref, N, 2, (double)i / STEPS, eps);
        for (int j = 0; j < N * 2; j++) eps[j] *= (float)-sqrt(1.0 - abar);  // score -> eps
        double var = beta * (1.0 - abar_prev) / (1.0 - abar);
        if (i > 1) td_rng_fill_normal(&rng, z, N * 2);
        for (int j = 0; j < N * 2; j++) {
            double mean = ((double)ref[j] - beta / sqrt(1.0 - abar) * (double)eps[j]) / sqrt(1.0 - beta);
            ref[j] = (float)(mean + (i > 1 ? sqrt(var) * (double)z[j] : 0.0));
        }
    }
    double worst = 0.0;
    for (int j = 0; j < N * 2; j++) worst = fmax(worst, fabs((double)ours[j] - (double)ref[j]));
    printf("    max |sampler - Ho et al. loop| = %.2g\n", worst);
    CHECK(worst < 1e-3);
}

TEST(ddim_with_eta_one_is_ddpm_and_with_eta_zero_ignores_the_rng) {
    td_sde vp = td_sde_vp(0.1, 20.0);
    td_mixture_score ctx = {&ring, &vp};
    td_denoiser den = td_mixture_score_denoiser(&ctx);
    static float ddpm[N_SAMPLES * 2], ddim[N_SAMPLES * 2], det1[N_SAMPLES * 2], det2[N_SAMPLES * 2];
    td_sampler_options eta1 = td_sampler_options_default();
    eta1.eta = 1.0;
    run(TD_SAMPLER_DDPM, &vp, &den, 30, NULL, 4, ddpm);
    run(TD_SAMPLER_DDIM, &vp, &den, 30, &eta1, 4, ddim);
    double worst = 0.0;
    for (int i = 0; i < N_SAMPLES * 2; i++) worst = fmax(worst, fabs((double)ddpm[i] - (double)ddim[i]));
    CHECK(worst < 1e-3);

    // eta = 0: the same prior through two RNGs in different states gives the same samples.
    td_rng a, b;
    td_rng_seed(&a, 5, 0);
    td_sampler_init_prior(&vp, &a, det1, N_SAMPLES, 2);
    memcpy(det2, det1, sizeof det1);
    td_rng_seed(&b, 77, 3);
    td_sampler_run(TD_SAMPLER_DDIM, &vp, &den, &a, det1, N_SAMPLES, 2, 30, NULL, NULL, NULL);
    td_sampler_run(TD_SAMPLER_DDIM, &vp, &den, &b, det2, N_SAMPLES, 2, 30, NULL, NULL, NULL);
    CHECK(memcmp(det1, det2, sizeof det1) == 0);
    // ...while ddpm's does depend on the RNG (so the comparison above means something).
    memcpy(det2, ddpm, sizeof ddpm);
    run(TD_SAMPLER_DDPM, &vp, &den, 30, NULL, 5, det2);
    CHECK(memcmp(det2, ddpm, sizeof ddpm) != 0);
}

TEST(trajectories_start_at_the_prior_and_end_at_the_samples) {
    enum { N = 256, STEPS = 20 };
    td_sde ve = td_sde_ve(0.01, 10.0);
    td_mixture_score ctx = {&ring, &ve};
    td_denoiser den = td_mixture_score_denoiser(&ctx);
    static float x[N * 2], prior[N * 2], traj[(STEPS + 1) * N * 2];
    for (int k = 0; k < TD_SAMPLER_COUNT; k++) {
        td_rng rng;
        td_rng_seed(&rng, 6, 0);
        td_sampler_init_prior(&ve, &rng, x, N, 2);
        memcpy(prior, x, sizeof x);
        memset(traj, 0, sizeof traj);
        CHECK_EQ(td_sampler_run((td_sampler_kind)k, &ve, &den, &rng, x, N, 2, STEPS, NULL, traj, NULL), TD_OK);
        CHECK(memcmp(traj, prior, sizeof prior) == 0);
        CHECK(memcmp(traj + STEPS * N * 2, x, sizeof x) == 0);
        // The prior has spread sigma_max = 10; the middle of the path is in between.
        double first = 0.0, middle = 0.0, last = 0.0;
        for (int i = 0; i < N * 2; i++) {
            first += (double)traj[i] * (double)traj[i];
            middle += (double)traj[(STEPS / 2) * N * 2 + i] * (double)traj[(STEPS / 2) * N * 2 + i];
            last += (double)x[i] * (double)x[i];
        }
        CHECK(first / N > 100.0 && last / N < 5.0 && middle / N < first / N);
    }
}

TEST(the_same_seed_gives_the_same_samples_and_another_seed_does_not) {
    td_sde vp = td_sde_vp(0.1, 20.0);
    td_mixture_score ctx = {&ring, &vp};
    td_denoiser den = td_mixture_score_denoiser(&ctx);
    static float a[N_SAMPLES * 2], b[N_SAMPLES * 2], c[N_SAMPLES * 2];
    for (int k = 0; k < TD_SAMPLER_COUNT; k++) {
        run((td_sampler_kind)k, &vp, &den, 10, NULL, 8, a);
        run((td_sampler_kind)k, &vp, &den, 10, NULL, 8, b);
        run((td_sampler_kind)k, &vp, &den, 10, NULL, 9, c);
        CHECK(memcmp(a, b, sizeof a) == 0);
        CHECK(memcmp(a, c, sizeof a) != 0);
    }
}

TEST(each_run_reports_the_network_evaluations_it_made) {
    td_sde vp = td_sde_vp(0.1, 20.0);
    scaled_score ctx;
    td_denoiser den = scaled_denoiser(&ctx, &vp, 1.0);
    td_sampler_options opts = td_sampler_options_default();
    opts.corrector_steps = 2;
    static float x[N_SAMPLES * 2];
    for (int k = 0; k < TD_SAMPLER_COUNT; k++) {
        td_rng rng;
        td_rng_seed(&rng, 1, 0);
        td_sampler_init_prior(&vp, &rng, x, 16, 2);
        long nfe = -1;
        ctx.calls = 0;
        td_sampler_run((td_sampler_kind)k, &vp, &den, &rng, x, 16, 2, 12, &opts, NULL, &nfe);
        CHECK_EQ(nfe, ctx.calls);
        CHECK_EQ(nfe, td_sampler_nfe((td_sampler_kind)k, 12, &opts));
    }
    CHECK_EQ(td_sampler_nfe(TD_SAMPLER_ODE_HEUN, 12, &opts), 23);
    CHECK_EQ(td_sampler_nfe(TD_SAMPLER_PC, 12, &opts), 36);
    CHECK_EQ(td_sampler_nfe(TD_SAMPLER_DDIM, 0, &opts), -1);
}

TEST(bad_arguments_are_rejected_with_a_reason) {
    td_sde vp = td_sde_vp(0.1, 20.0), ddpm = td_sde_ddpm_linear(50, 1e-4, 0.02);
    td_mixture_score ctx = {&ring, &vp};
    td_denoiser den = td_mixture_score_denoiser(&ctx);
    td_denoiser broken = {TD_PRED_EPS, failing_predict, NULL}, empty = {TD_PRED_EPS, NULL, NULL};
    td_rng rng;
    td_rng_seed(&rng, 1, 0);
    float x[8 * 2] = {0};
    td_sampler_options o = td_sampler_options_default();
#define REJECTS(call, status, words)          \
    do {                                      \
        td_clear_error();                     \
        CHECK_EQ((call), (status));           \
        CHECK_CONTAINS(td_error_message(), words); \
    } while (0)
    REJECTS(td_sampler_run(TD_SAMPLER_DDPM, &vp, &den, &rng, x, 8, 2, 0, NULL, NULL, NULL), TD_ERR_ARG, "steps must be positive");
    REJECTS(td_sampler_run(TD_SAMPLER_DDPM, &vp, &den, &rng, x, 0, 2, 10, NULL, NULL, NULL), TD_ERR_ARG, "n >= 1");
    REJECTS(td_sampler_run(TD_SAMPLER_DDPM, &vp, &den, &rng, x, 8, 2, 1000000, NULL, NULL, NULL), TD_ERR_LIMIT, "exceed the cap");
    o.eta = 1.5;
    REJECTS(td_sampler_run(TD_SAMPLER_DDIM, &vp, &den, &rng, x, 8, 2, 10, &o, NULL, NULL), TD_ERR_ARG, "eta");
    o.eta = (double)NAN;
    REJECTS(td_sampler_run(TD_SAMPLER_DDIM, &vp, &den, &rng, x, 8, 2, 10, &o, NULL, NULL), TD_ERR_ARG, "eta");
    o = td_sampler_options_default();
    o.snr = 0.0;
    REJECTS(td_sampler_run(TD_SAMPLER_PC, &vp, &den, &rng, x, 8, 2, 10, &o, NULL, NULL), TD_ERR_ARG, "snr");
    o.snr = (double)INFINITY;
    REJECTS(td_sampler_run(TD_SAMPLER_PC, &vp, &den, &rng, x, 8, 2, 10, &o, NULL, NULL), TD_ERR_ARG, "snr");
    o = td_sampler_options_default();
    o.corrector_steps = -1;
    REJECTS(td_sampler_run(TD_SAMPLER_PC, &vp, &den, &rng, x, 8, 2, 10, &o, NULL, NULL), TD_ERR_ARG, "corrector steps");
    o = td_sampler_options_default();
    o.grid = (td_time_grid)7;
    REJECTS(td_sampler_run(TD_SAMPLER_EM, &vp, &den, &rng, x, 8, 2, 10, &o, NULL, NULL), TD_ERR_ARG, "time grid");
    REJECTS(td_sampler_run(TD_SAMPLER_DDPM, &ddpm, &den, &rng, x, 8, 2, 51, NULL, NULL, NULL), TD_ERR_ARG, "exceed the 50 steps");
    REJECTS(td_sampler_run(TD_SAMPLER_DDPM, &vp, &empty, &rng, x, 8, 2, 10, NULL, NULL, NULL), TD_ERR_ARG, "predict function");
    REJECTS(td_sampler_run(TD_SAMPLER_DDPM, &vp, &den, NULL, x, 8, 2, 10, NULL, NULL, NULL), TD_ERR_ARG, "rng");
    REJECTS(td_sampler_run((td_sampler_kind)99, &vp, &den, &rng, x, 8, 2, 10, NULL, NULL, NULL), TD_ERR_ARG, "unknown sampler");
    REJECTS(td_sampler_run(TD_SAMPLER_ODE_HEUN, &vp, &den, &rng, x, 8, 3, 10, NULL, NULL, NULL), TD_ERR_SHAPE, "dim");
    REJECTS(td_sampler_run(TD_SAMPLER_DDIM, &vp, &broken, &rng, x, 8, 2, 10, NULL, NULL, NULL), TD_ERR_SHAPE, "always fails");
    td_sde bad = td_sde_ve(1.0, 0.5);
    REJECTS(td_sampler_run(TD_SAMPLER_EM, &bad, &den, &rng, x, 8, 2, 10, NULL, NULL, NULL), TD_ERR_ARG, "sigma_min");
    REJECTS(td_sampler_init_prior(&vp, &rng, x, -3, 2), TD_ERR_ARG, "n >= 1");
#undef REJECTS
}

TEST(sampler_names_round_trip_and_unknown_names_list_the_choices) {
    const td_sampler_info *table = td_sampler_table();
    for (int k = 0; k < TD_SAMPLER_COUNT; k++) {
        CHECK_EQ(table[k].kind, k);
        CHECK_EQ(td_sampler_from_name(table[k].name), k);
        CHECK_CONTAINS(td_sampler_names(), table[k].name);
        CHECK(strlen(table[k].summary) > 10);
    }
    CHECK_EQ(td_sampler_from_name("ddim"), TD_SAMPLER_DDIM);
    td_clear_error();
    CHECK_EQ(td_sampler_from_name("euler-ancestral"), TD_SAMPLER_INVALID);
    CHECK_CONTAINS(td_error_message(), "ode-heun");
    CHECK_EQ(td_sampler_from_name(NULL), TD_SAMPLER_INVALID);
}

int main(void) {
    if (td_mixture_init_ring(&ring, MODES, 2.0, RING_STD) != TD_OK) return 1;
    RUN(every_sampler_lands_near_the_ring_modes_on_every_sde_at_100_steps);
    RUN(the_best_samplers_reach_97_percent_high_quality_and_stay_spread_like_the_data);
    RUN(a_sign_flipped_or_badly_scaled_score_misses_the_modes);
    RUN(an_eps_denoiser_gives_the_same_samples_as_the_score_it_was_made_from);
    RUN(ddpm_on_the_1000_step_schedule_is_ho_et_al_step_for_step);
    RUN(ddim_with_eta_one_is_ddpm_and_with_eta_zero_ignores_the_rng);
    RUN(trajectories_start_at_the_prior_and_end_at_the_samples);
    RUN(the_same_seed_gives_the_same_samples_and_another_seed_does_not);
    RUN(each_run_reports_the_network_evaluations_it_made);
    RUN(bad_arguments_are_rejected_with_a_reason);
    RUN(sampler_names_round_trip_and_unknown_names_list_the_choices);
    td_mixture_free(&ring);
    return check_summary("test_samplers");
}
