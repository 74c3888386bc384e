// test_toy_quality.c - the SHIPPED weights (web/weights/ring8-*.safetensors) sample the
// 8-mode ring well: every mode, >= 95% (DDPM) or >= 90% (each SDE's best sampler at
// <= 100 network evaluations) of samples within 3 std of a mode, balanced modes. Fixed
// seeds; N = 10,000 except the 1000-step ancestral run (5,000, to keep the program fast):
// about 10 s natively, 30 s in Node, 20 s under ASan (quarter N, see below).
// A deliberately broken model (the weights scaled) is shown to fail the same checks.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/toy2d.h"
#include "diffusion/samplers.h"
#include "io/file.h"
#include "models/score_model.h"
#include "prob/metrics.h"
#include "prob/mixture.h"

#define WEIGHTS TD_SOURCE_DIR "/web/weights/ring8-"

// Under AddressSanitizer (about 8x slower here) the same bars are checked on a quarter of
// the samples: that run is about memory safety, and the margins hold at N = 2,500 too.
#if defined(__SANITIZE_ADDRESS__)
#define TD_QUALITY_SCALE 4
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TD_QUALITY_SCALE 4
#endif
#endif
#ifndef TD_QUALITY_SCALE
#define TD_QUALITY_SCALE 1
#endif

enum { N = 10000 / TD_QUALITY_SCALE };
static float samples[N * 2];

typedef struct {
    td_mode_metrics m;
    long nfe;
    int ok;  // loading and sampling succeeded
} quality;

static td_status load(const char *name, td_score_model *model) {
    char path[512];
    snprintf(path, sizeof path, "%s%s.safetensors", WEIGHTS, name);
    uint8_t *bytes;
    size_t len;
    td_status st = td_file_read(path, (size_t)16 << 20, &bytes, &len);
    if (st != TD_OK) return st;
    st = td_score_model_load_mem(model, bytes, len);
    free(bytes);
    return st;
}

static quality measure_denoiser(const td_sde *sde, const td_denoiser *den, td_sampler_kind kind, int steps, int n) {
    quality q;
    memset(&q, 0, sizeof q);
    td_rng rng;
    td_rng_seed(&rng, 2024, 1);
    float centres[2 * TD_RING8_MODES];
    td_ring8 ring = td_ring8_default();
    td_ring8_centres(&ring, centres);
    td_mode_ref ref = {centres, TD_RING8_MODES, ring.std};
    q.ok = td_sampler_init_prior(sde, &rng, samples, n, 2) == TD_OK &&
           td_sampler_run(kind, sde, den, &rng, samples, n, 2, steps, NULL, NULL, &q.nfe) == TD_OK &&
           td_metrics_modes(samples, n, &ref, &q.m) == TD_OK;
    return q;
}

static quality measure(td_score_model *model, td_sampler_kind kind, int steps, int n) {
    td_score_net_work w;
    quality q;
    memset(&q, 0, sizeof q);
    if (td_score_net_work_init(&w, &model->net, 2048) != TD_OK) return q;
    td_score_net_ctx ctx = {&model->net, &model->params, &w, -1, NULL};
    td_denoiser den = td_score_net_denoiser(&ctx);
    q = measure_denoiser(&model->sde, &den, kind, steps, n);
    td_score_net_work_free(&w);
    return q;
}

static void report(const char *what, const quality *q) {
    printf("    %-34s NFE %4ld  modes %d/8  HQ %6.2f%%  KL %.5f\n", what, q->nfe, q->m.modes_covered,
           100.0 * q->m.hq_fraction, q->m.mode_kl);
}

// The model `name` with `kind` at `steps` meets the bar (min_hq; max_kl < 0: not checked).
static void check_model(const char *name, td_sampler_kind kind, int steps, int n, double min_hq, double max_kl,
                        long max_nfe) {
    td_score_model model;
    td_status st = load(name, &model);
    CHECK_EQ(st, TD_OK);
    if (st != TD_OK) {
        printf("    %s\n", td_error_message());
        return;
    }
    quality q = measure(&model, kind, steps, n);
    char what[96];
    snprintf(what, sizeof what, "%s %s %d steps", name, td_sampler_name(kind), steps);
    report(what, &q);
    CHECK(q.ok);
    CHECK(q.nfe <= max_nfe);
    CHECK_EQ(q.m.modes_covered, 8);
    CHECK(q.m.hq_fraction >= min_hq);
    if (max_kl >= 0.0) CHECK(q.m.mode_kl <= max_kl);
    td_score_model_free(&model);
}

TEST(ddpm_ancestral_sampling_over_all_1000_steps_hits_every_mode_with_95_percent_high_quality) {
    check_model("ddpm-linear", TD_SAMPLER_DDPM, 1000, N / 2, 0.95, 0.01, 1000);
}

TEST(ddpm_weights_through_the_probability_flow_ode_with_heun_at_99_nfe_reach_95_percent) {
    check_model("ddpm-linear", TD_SAMPLER_ODE_HEUN, 50, N, 0.95, 0.01, 100);
}

TEST(the_cosine_schedule_ddpm_reaches_95_percent_at_100_nfe) {
    check_model("ddpm-cosine", TD_SAMPLER_DDPM, 100, N, 0.95, 0.01, 100);
}

TEST(the_vp_sde_model_with_its_best_sampler_at_100_nfe_covers_every_mode_with_90_percent) {
    check_model("vp", TD_SAMPLER_DDPM, 100, N, 0.90, 0.01, 100);
}

TEST(the_sub_vp_sde_model_with_its_best_sampler_at_100_nfe_covers_every_mode_with_90_percent) {
    check_model("subvp", TD_SAMPLER_DDPM, 100, N, 0.90, 0.01, 100);
}

TEST(the_ve_sde_model_with_its_best_sampler_at_100_nfe_covers_every_mode_with_90_percent) {
    check_model("ve", TD_SAMPLER_DDPM, 100, N, 0.90, 0.01, 100);
}

TEST(the_exact_score_reaches_97_percent_high_quality) {
    td_mixture mix;
    td_ring8 ring = td_ring8_default();
    CHECK_EQ(td_mixture_init_ring(&mix, 8, (double)ring.radius, (double)ring.std), TD_OK);
    td_sde sde = td_sde_vp(0.1, 20.0);
    td_mixture_score ctx = {&mix, &sde};
    td_denoiser den = td_mixture_score_denoiser(&ctx);
    quality q = measure_denoiser(&sde, &den, TD_SAMPLER_ODE_HEUN, 50, N);
    report("exact score vp ode-heun 50 steps", &q);
    CHECK(q.ok);
    CHECK_EQ(q.m.modes_covered, 8);
    CHECK(q.m.hq_fraction >= 0.97);
    td_mixture_free(&mix);
}

TEST(the_same_checks_fail_a_model_whose_weights_are_damaged) {
    td_score_model model;
    CHECK_EQ(load("vp", &model), TD_OK);
    if (!model.params.data) return;
    // Halve the output layer: every eps prediction is half as long.
    const td_param_tensor *out = td_params_find(&model.params, "net.3.weight");
    CHECK(out != NULL);
    if (out)
        for (size_t i = 0; i < out->count; i++) model.params.data[out->offset + i] *= 0.5f;
    quality q = measure(&model, TD_SAMPLER_DDPM, 100, N / 5);
    report("vp with output weights x 0.5", &q);
    CHECK(q.ok);
    CHECK(q.m.hq_fraction < 0.90);
    td_score_model_free(&model);
    CHECK_EQ(load("no-such-model", &model), TD_ERR_IO);
}

int main(void) {
    RUN(ddpm_ancestral_sampling_over_all_1000_steps_hits_every_mode_with_95_percent_high_quality);
    RUN(ddpm_weights_through_the_probability_flow_ode_with_heun_at_99_nfe_reach_95_percent);
    RUN(the_cosine_schedule_ddpm_reaches_95_percent_at_100_nfe);
    RUN(the_vp_sde_model_with_its_best_sampler_at_100_nfe_covers_every_mode_with_90_percent);
    RUN(the_sub_vp_sde_model_with_its_best_sampler_at_100_nfe_covers_every_mode_with_90_percent);
    RUN(the_ve_sde_model_with_its_best_sampler_at_100_nfe_covers_every_mode_with_90_percent);
    RUN(the_exact_score_reaches_97_percent_high_quality);
    RUN(the_same_checks_fail_a_model_whose_weights_are_damaged);
    return check_summary("test_toy_quality");
}
