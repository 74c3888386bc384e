// test_metrics.c - ring mode metrics, sliced W2, MMD^2, their floors and the report.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "data/toy2d.h"
#include "prob/metrics.h"

enum { N = 10000 };

static float centres[2 * TD_RING8_MODES];

static td_mode_ref ring_ref(void) {
    td_ring8 ring = td_ring8_default();
    td_ring8_centres(&ring, centres);
    td_mode_ref ref = {centres, TD_RING8_MODES, ring.std};
    return ref;
}

// x (n, 2) from the default ring but with mode index below `modes` and per-coordinate std `std`.
static void ring_like(float *x, int n, uint32_t modes, float std, uint64_t seed) {
    ring_ref();
    td_rng rng;
    td_rng_seed(&rng, seed, 0);
    for (int i = 0; i < n; i++) {
        uint32_t k = td_rng_below(&rng, modes);
        x[2 * i] = centres[2 * k] + std * (float)td_rng_normal(&rng);
        x[2 * i + 1] = centres[2 * k + 1] + std * (float)td_rng_normal(&rng);
    }
}

static double seconds_since(clock_t start) { return (double)(clock() - start) / CLOCKS_PER_SEC; }

// ---- mode metrics ---------------------------------------------------------------------

TEST(true_ring_samples_cover_8_of_8_modes_at_the_hq_ceiling_with_kl_near_0) {
    static float x[2 * N];
    td_mode_ref ref = ring_ref();
    ring_like(x, N, 8, 0.02f, 1);
    td_mode_metrics m;
    clock_t start = clock();
    CHECK_EQ(td_metrics_modes(x, N, &ref, &m), TD_OK);
    printf("    modes: %d/8, HQ %.4f, KL %.2e, log-density %.4f (%.3f s)\n", m.modes_covered,
           m.hq_fraction, m.mode_kl, m.mean_log_density, seconds_since(start));
    CHECK_EQ(m.modes_covered, 8);
    CHECK_EQ(m.n_modes, 8);
    // Binomial sd of the HQ fraction at N = 1e4: sqrt(0.989 * 0.011 / N) = 0.00105; 4 sd.
    CHECK_NEAR(td_metrics_hq_ceiling(), 0.988891003, 1e-9);
    CHECK_NEAR(m.hq_fraction, td_metrics_hq_ceiling(), 0.0042);
    // E[KL] of a multinomial histogram ~ (k - 1) / (2 N) = 3.5e-4.
    CHECK(m.mode_kl >= 0.0 && m.mode_kl < 0.002);
    // E log p = -log 8 - log(2 pi std^2) - 1 for well separated modes; sd of the mean 0.01.
    double expected = -log(8.0) - log(2.0 * 3.14159265358979 * 0.02 * 0.02) - 1.0;
    CHECK_NEAR(m.mean_log_density, expected, 0.04);
}

TEST(seven_mode_samples_cover_7_of_8_with_kl_log_8_over_7) {
    static float x[2 * N];
    td_mode_ref ref = ring_ref();
    ring_like(x, N, 7, 0.02f, 2);
    td_mode_metrics m;
    CHECK_EQ(td_metrics_modes(x, N, &ref, &m), TD_OK);
    printf("    7 modes: %d/8, KL %.4f (log 8/7 = %.4f)\n", m.modes_covered, m.mode_kl, log(8.0 / 7.0));
    CHECK_EQ(m.modes_covered, 7);
    CHECK(m.mode_kl > 0.01);
    CHECK_NEAR(m.mode_kl, log(8.0 / 7.0), 0.005);
}

TEST(one_mode_samples_cover_1_of_8_with_kl_log_8) {
    static float x[2 * N];
    td_mode_ref ref = ring_ref();
    ring_like(x, N, 1, 0.02f, 3);
    td_mode_metrics m;
    CHECK_EQ(td_metrics_modes(x, N, &ref, &m), TD_OK);
    CHECK_EQ(m.modes_covered, 1);
    CHECK_NEAR(m.mode_kl, log(8.0), 1e-12);
}

TEST(blurry_samples_with_std_0_1_have_low_hq_and_low_log_density) {
    static float x[2 * N];
    td_mode_ref ref = ring_ref();
    ring_like(x, N, 8, 0.1f, 4);
    td_mode_metrics m;
    CHECK_EQ(td_metrics_modes(x, N, &ref, &m), TD_OK);
    // HQ needs |x - mu| < 0.06, so P = 1 - exp(-0.06^2 / (2 * 0.1^2)) = 0.165.
    printf("    std 0.1: HQ %.4f (expected 0.165), modes %d/8, log-density %.2f\n", m.hq_fraction,
           m.modes_covered, m.mean_log_density);
    CHECK_NEAR(m.hq_fraction, 1.0 - exp(-0.18), 0.015);
    CHECK_EQ(m.modes_covered, 8);   // each mode still holds ~2% of samples as HQ
    CHECK(m.mean_log_density < 0.0);
}

TEST(samples_far_from_every_mode_are_never_hq_and_the_kl_is_not_a_number) {
    float x[2 * 4] = {0, 0, 10, 10, -50, 3, 0.5f, 0.5f};
    td_mode_ref ref = ring_ref();
    td_mode_metrics m;
    CHECK_EQ(td_metrics_modes(x, 4, &ref, &m), TD_OK);
    CHECK_EQ(m.modes_covered, 0);
    CHECK_NEAR(m.hq_fraction, 0.0, 0.0);
    CHECK(isnan(m.mode_kl));
    CHECK(isfinite(m.mean_log_density) && m.mean_log_density < -5000.0);
    // (0, 0) is 2 from every mode: log p = -2^2 / (2 * 0.02^2) - log(2 pi 0.02^2), no underflow.
    CHECK_EQ(td_metrics_modes(x, 1, &ref, &m), TD_OK);
    // (float centres put it 2 +- 1e-7 away: 1e-3 covers that)
    CHECK_NEAR(m.mean_log_density, -5000.0 - log(2.0 * 3.14159265358979 * 0.02 * 0.02), 1e-3);
}

// ---- two-sample distances ----------------------------------------------------------------

TEST(sliced_w2_of_a_translated_copy_is_the_shift_over_root_2) {
    static float x[2 * 2000], y[2 * 2000];
    ring_like(x, 2000, 8, 0.3f, 5);
    for (int i = 0; i < 2000; i++) {
        y[2 * i] = x[2 * i] + 0.3f;
        y[2 * i + 1] = x[2 * i + 1] - 0.4f;
    }
    double sw2 = -1.0, self = -1.0;
    CHECK_EQ(td_metrics_sliced_w2(x, 2000, y, 2000, NULL, &sw2), TD_OK);
    CHECK_EQ(td_metrics_sliced_w2(x, 2000, x, 2000, NULL, &self), TD_OK);
    // Sorting keeps a translated copy in step, so W2 along theta is exactly s . theta,
    // and evenly spread directions average cos^2 to exactly 1/2.
    CHECK_NEAR(sw2, 0.5 / sqrt(2.0), 1e-5);
    CHECK_NEAR(self, 0.0, 0.0);
}

TEST(mmd2_of_two_single_points_matches_the_kernel_formula) {
    float a[2] = {0.0f, 0.0f}, b[2] = {1.5f, 0.0f};
    td_metrics_config c = td_metrics_config_default();
    c.mmd_bandwidth = 1.0f;
    double mmd2 = -1.0;
    float h = 0.0f;
    CHECK_EQ(td_metrics_mmd2(a, 1, b, 1, &c, &mmd2, &h), TD_OK);
    CHECK_NEAR(mmd2, 2.0 - 2.0 * exp(-1.125), 1e-12);
    CHECK_NEAR(h, 1.0, 0.0);
    CHECK_EQ(td_metrics_mmd2(a, 1, a, 1, &c, &mmd2, NULL), TD_OK);
    CHECK_NEAR(mmd2, 0.0, 0.0);
}

TEST(the_median_heuristic_gives_the_median_pairwise_distance) {
    // Three points on a line: distances 1, 2, 3 -> median 2.
    float x[6] = {0, 0, 1, 0, 3, 0};
    float h = 0.0f;
    CHECK_EQ(td_metrics_median_bandwidth(x, 3, &h), TD_OK);
    CHECK_NEAR(h, 2.0, 0.0);
    float same[4] = {1, 1, 1, 1};
    CHECK_EQ(td_metrics_median_bandwidth(same, 2, &h), TD_OK);
    CHECK_NEAR(h, 1.0, 0.0);   // degenerate: falls back to 1
}

TEST(true_samples_sit_near_the_floors_and_shifted_or_collapsed_ones_far_above) {
    static float x[2 * N], shifted[2 * N], collapsed[2 * N];
    td_toy_kind kind = TD_TOY_RING8;
    td_rng rng;
    td_rng_seed(&rng, 77, 0);   // not the metrics' reference streams
    CHECK_EQ(td_toy_sample(kind, &rng, x, N), TD_OK);
    for (int i = 0; i < 2 * N; i++) shifted[i] = x[i] + (i % 2 ? 0.0f : 0.5f);
    ring_like(collapsed, N, 1, 0.02f, 8);
    td_mode_ref ref = ring_ref();

    td_metrics good, bad, worse;
    clock_t start = clock();
    CHECK_EQ(td_metrics_evaluate(x, N, td_toy_sampler, &kind, &ref, NULL, &good), TD_OK);
    double seconds = seconds_since(start);
    CHECK_EQ(td_metrics_evaluate(shifted, N, td_toy_sampler, &kind, &ref, NULL, &bad), TD_OK);
    CHECK_EQ(td_metrics_evaluate(collapsed, N, td_toy_sampler, &kind, &ref, NULL, &worse), TD_OK);
    printf("    true:      SW2 %.5f (floor %.5f)  MMD^2 %.2e (floor %.2e, h %.3f)  [%.2f s for all]\n",
           good.sw2, good.sw2_floor, good.mmd2, good.mmd2_floor, (double)good.mmd_bandwidth, seconds);
    printf("    shifted:   SW2 %.5f  MMD^2 %.2e\n", bad.sw2, bad.mmd2);
    printf("    collapsed: SW2 %.5f  MMD^2 %.2e\n", worse.sw2, worse.mmd2);
    CHECK(good.sw2 < 2.0 * good.sw2_floor && good.sw2_floor > 0.0);
    CHECK(good.mmd2 < 3.0 * good.mmd2_floor && good.mmd2_floor > 0.0);
    // The ring's W2 floor is large (~0.1): per-mode counts differ by ~sqrt(n/8)
    // between two true sets, and that mass must travel ~1.5 to another mode.
    CHECK(bad.sw2 > 2.5 * bad.sw2_floor);
    CHECK(bad.mmd2 > 10.0 * bad.mmd2_floor);
    CHECK(worse.sw2 > 10.0 * worse.sw2_floor);
    CHECK(worse.mmd2 > 100.0 * worse.mmd2_floor);
    CHECK(good.has_modes && good.modes.modes_covered == 8 && worse.modes.modes_covered == 1);
    CHECK_NEAR(good.modes.mean_log_density, good.ref_log_density, 0.05);
}

TEST(the_floor_helper_matches_the_floors_of_a_full_evaluation) {
    static float x[2 * 3000];
    td_toy_kind kind = TD_TOY_MOONS;
    td_rng rng;
    td_rng_seed(&rng, 5, 0);
    CHECK_EQ(td_toy_sample(kind, &rng, x, 3000), TD_OK);
    td_metrics_config c = td_metrics_config_default();
    td_metrics m;
    double sw2_floor = -1.0, mmd2_floor = -1.0;
    CHECK_EQ(td_metrics_evaluate(x, 3000, td_toy_sampler, &kind, NULL, &c, &m), TD_OK);
    CHECK_EQ(td_metrics_floor(td_toy_sampler, &kind, 3000, &c, &sw2_floor, &mmd2_floor), TD_OK);
    CHECK_NEAR(sw2_floor, m.sw2_floor, 0.0);
    CHECK_NEAR(mmd2_floor, m.mmd2_floor, 0.0);
    CHECK(!m.has_modes);
}

TEST(metrics_are_deterministic_per_seed) {
    static float x[2 * 3000];
    ring_like(x, 3000, 8, 0.05f, 9);
    td_toy_kind kind = TD_TOY_RING8;
    td_metrics_config c = td_metrics_config_default();
    td_metrics a, b, other;
    CHECK_EQ(td_metrics_evaluate(x, 3000, td_toy_sampler, &kind, NULL, &c, &a), TD_OK);
    CHECK_EQ(td_metrics_evaluate(x, 3000, td_toy_sampler, &kind, NULL, &c, &b), TD_OK);
    c.seed = 2;
    CHECK_EQ(td_metrics_evaluate(x, 3000, td_toy_sampler, &kind, NULL, &c, &other), TD_OK);
    CHECK(a.sw2 == b.sw2 && a.mmd2 == b.mmd2 && a.sw2_floor == b.sw2_floor && a.mmd2_floor == b.mmd2_floor);
    CHECK(a.sw2 != other.sw2 && a.mmd2 != other.mmd2);
}

// ---- bad input -----------------------------------------------------------------------------

TEST(metric_functions_reject_empty_mismatched_and_non_finite_input_with_messages) {
    float x[8] = {0, 0, 1, 1, 2, 2, 3, 3}, y[8] = {0, 1, 1, 2, 2, 3, 3, 4};
    double v;
    td_mode_metrics mm;
    td_mode_ref ref = ring_ref();
    td_toy_kind kind = TD_TOY_RING8;
    td_metrics m;

    CHECK_EQ(td_metrics_sliced_w2(x, 0, y, 0, NULL, &v), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "need at least 1 point, got 0");
    CHECK_EQ(td_metrics_mmd2(x, 0, y, 0, NULL, &v, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "got 0");
    CHECK_EQ(td_metrics_modes(x, 0, &ref, &mm), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "got 0");
    CHECK_EQ(td_metrics_evaluate(x, 0, td_toy_sampler, &kind, &ref, NULL, &m), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "at least 2 samples, got 0");
    CHECK_EQ(td_metrics_floor(td_toy_sampler, &kind, 0, NULL, &v, &v), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "got 0");

    CHECK_EQ(td_metrics_sliced_w2(x, 4, y, 3, NULL, &v), TD_ERR_SHAPE);
    CHECK_CONTAINS(td_error_message(), "sample sizes differ: 4 samples against 3 reference points");
    CHECK_EQ(td_metrics_mmd2(x, 3, y, 4, NULL, &v, NULL), TD_ERR_SHAPE);
    CHECK_CONTAINS(td_error_message(), "sample sizes differ");

    x[5] = NAN;
    CHECK_EQ(td_metrics_sliced_w2(x, 4, y, 4, NULL, &v), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "samples: point 2 is not finite");
    CHECK_EQ(td_metrics_modes(x, 4, &ref, &mm), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "point 2 is not finite");
    x[5] = 2.0f;
    CHECK_EQ(td_metrics_sliced_w2(x, 4, y, 4, NULL, &v), TD_OK);

    td_metrics_config c = td_metrics_config_default();
    c.sw_projections = 0;
    CHECK_EQ(td_metrics_sliced_w2(x, 4, y, 4, &c, &v), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "projections");
    c = td_metrics_config_default();
    c.mmd_bandwidth = -1.0f;
    CHECK_EQ(td_metrics_mmd2(x, 4, y, 4, &c, &v, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "bandwidth");
    ref.std = 0.0f;
    CHECK_EQ(td_metrics_modes(x, 4, &ref, &mm), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "std");
    CHECK_EQ(td_metrics_evaluate(x, 4, NULL, NULL, NULL, NULL, &m), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "sampler is NULL");
}

// ---- the report ------------------------------------------------------------------------------

TEST(the_report_lists_every_metric_and_fails_cleanly_when_the_buffer_is_small) {
    td_metrics m = {0};
    m.n = 10000;
    m.has_modes = 1;
    m.modes.modes_covered = 7;
    m.modes.n_modes = 8;
    m.modes.hq_fraction = 0.9512;
    m.modes.mode_kl = 0.1335;
    m.modes.mean_log_density = 2.5;
    m.ref_log_density = 2.9;
    m.sw2 = 0.0412;
    m.sw2_floor = 0.0101;
    m.mmd2 = 0.00123;
    m.mmd2_floor = 0.00011;
    m.mmd_bandwidth = 2.6f;
    char text[512];
    CHECK_EQ(td_metrics_format(&m, text, sizeof text), TD_OK);
    printf("%s", text);
    CHECK_CONTAINS(text, "samples           10000\n");
    CHECK_CONTAINS(text, "modes covered     7 / 8\n");
    CHECK_CONTAINS(text, "high quality      95.12%  (ceiling 98.89%)");
    CHECK_CONTAINS(text, "mode KL           0.13350 nats");
    CHECK_CONTAINS(text, "log-density       2.5000  (true samples 2.9000)");
    CHECK_CONTAINS(text, "sliced W2         0.04120  (floor 0.01010)");
    CHECK_CONTAINS(text, "MMD^2             0.001230  (floor 0.000110, h = 2.6)");

    m.modes.mode_kl = (double)NAN;
    CHECK_EQ(td_metrics_format(&m, text, sizeof text), TD_OK);
    CHECK_CONTAINS(text, "mode KL           n/a");
    m.has_modes = 0;
    CHECK_EQ(td_metrics_format(&m, text, sizeof text), TD_OK);
    CHECK(strstr(text, "modes covered") == NULL);

    CHECK_EQ(td_metrics_format(&m, text, 40), TD_ERR_LIMIT);
    CHECK_EQ(text[0], '\0');
    CHECK_CONTAINS(td_error_message(), "more than 40 bytes");
}

int main(void) {
    RUN(true_ring_samples_cover_8_of_8_modes_at_the_hq_ceiling_with_kl_near_0);
    RUN(seven_mode_samples_cover_7_of_8_with_kl_log_8_over_7);
    RUN(one_mode_samples_cover_1_of_8_with_kl_log_8);
    RUN(blurry_samples_with_std_0_1_have_low_hq_and_low_log_density);
    RUN(samples_far_from_every_mode_are_never_hq_and_the_kl_is_not_a_number);
    RUN(sliced_w2_of_a_translated_copy_is_the_shift_over_root_2);
    RUN(mmd2_of_two_single_points_matches_the_kernel_formula);
    RUN(the_median_heuristic_gives_the_median_pairwise_distance);
    RUN(true_samples_sit_near_the_floors_and_shifted_or_collapsed_ones_far_above);
    RUN(the_floor_helper_matches_the_floors_of_a_full_evaluation);
    RUN(metrics_are_deterministic_per_seed);
    RUN(metric_functions_reject_empty_mismatched_and_non_finite_input_with_messages);
    RUN(the_report_lists_every_metric_and_fails_cleanly_when_the_buffer_is_small);
    return check_summary("test_metrics");
}
