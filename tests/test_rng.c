// test_rng.c - the generator, uniform and normal draws, and the normal CDF pair.
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "prob/normal.h"
#include "prob/rng.h"

enum { DRAWS = 200000 };

// Phi^-1 by bisection on erfc in long double: slow, simple, trustworthy.
static double icdf_by_bisection(double p) {
    long double lo = -40.0L, hi = 40.0L;
    for (int i = 0; i < 200; i++) {
        long double mid = 0.5L * (lo + hi);
        long double cdf = 0.5L * erfcl(-mid / sqrtl(2.0L));
        if (cdf < (long double)p) lo = mid; else hi = mid;
    }
    return (double)(0.5L * (lo + hi));
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// Kolmogorov-Smirnov statistic D of `n` sorted draws against Phi.
static double ks_statistic(double *x, size_t n) {
    qsort(x, n, sizeof *x, compare_doubles);
    double d = 0.0;
    for (size_t i = 0; i < n; i++) {
        double f = td_normal_cdf(x[i]);
        double above = (double)(i + 1) / (double)n - f, below = f - (double)i / (double)n;
        if (above > d) d = above;
        if (below > d) d = below;
    }
    return d;
}

static void draw_many(double (*draw)(td_rng *), uint64_t seed, double *out) {
    td_rng rng;
    td_rng_seed(&rng, seed, 7);
    for (size_t i = 0; i < DRAWS; i++) out[i] = draw(&rng);
}

TEST(the_same_seed_gives_the_same_stream_and_another_seed_does_not) {
    td_rng a, b, c;
    td_rng_seed(&a, 42, 1);
    td_rng_seed(&b, 42, 1);
    td_rng_seed(&c, 43, 1);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = td_rng_u32(&a), y = td_rng_u32(&b), z = td_rng_u32(&c);
        same &= x == y;
        differ += x != z;
    }
    CHECK(same);
    CHECK(differ > 990);
}

TEST(pcg32_matches_the_reference_implementation_first_outputs) {
    // pcg32-demo with seed 42, stream 54 prints 0xa15c02b7 0x7b47f409 0xba1d3330.
    td_rng rng;
    td_rng_seed(&rng, 42, 54);
    CHECK_EQ(td_rng_u32(&rng), 0xa15c02b7u);
    CHECK_EQ(td_rng_u32(&rng), 0x7b47f409u);
    CHECK_EQ(td_rng_u32(&rng), 0xba1d3330u);
}

TEST(uniform_draws_have_mean_one_half_and_variance_one_twelfth) {
    static double x[DRAWS];
    draw_many(td_rng_uniform, 1, x);
    double mean = 0, var = 0, lo = 1, hi = 0;
    for (size_t i = 0; i < DRAWS; i++) {
        mean += x[i];
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    mean /= DRAWS;
    for (size_t i = 0; i < DRAWS; i++) var += (x[i] - mean) * (x[i] - mean);
    var /= DRAWS - 1;
    CHECK_NEAR(mean, 0.5, 0.003);
    CHECK_NEAR(var, 1.0 / 12.0, 0.001);
    CHECK(lo >= 0.0 && hi < 1.0);
}

TEST(bounded_integers_fill_every_bucket_evenly) {
    td_rng rng;
    td_rng_seed(&rng, 5, 0);
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++) counts[td_rng_below(&rng, 7)]++;
    for (int k = 0; k < 7; k++) CHECK(abs(counts[k] - 10000) < 400);
}

static void check_normal_moments_and_ks(double (*draw)(td_rng *)) {
    static double x[DRAWS];
    draw_many(draw, 3, x);
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
    for (size_t i = 0; i < DRAWS; i++) {
        double v = x[i];
        m1 += v; m2 += v * v; m3 += v * v * v; m4 += v * v * v * v;
    }
    m1 /= DRAWS; m2 /= DRAWS; m3 /= DRAWS; m4 /= DRAWS;
    // Standard errors at n = 2e5: mean 0.0022, E[z^2] 0.0032, E[z^3] 0.0087, E[z^4] 0.022.
    CHECK_NEAR(m1, 0.0, 0.01);
    CHECK_NEAR(m2, 1.0, 0.015);
    CHECK_NEAR(m3, 0.0, 0.04);
    CHECK_NEAR(m4, 3.0, 0.1);
    // KS critical value at alpha = 0.001 is 1.95 / sqrt(n).
    double d = ks_statistic(x, DRAWS);
    CHECK(d < 1.95 / sqrt((double)DRAWS));
}

TEST(box_muller_normals_have_normal_moments_and_pass_kolmogorov_smirnov) {
    check_normal_moments_and_ks(td_rng_normal);
}

TEST(inverse_cdf_normals_have_normal_moments_and_pass_kolmogorov_smirnov) {
    check_normal_moments_and_ks(td_rng_normal_icdf);
}

TEST(kolmogorov_smirnov_rejects_normals_shifted_by_two_hundredths) {
    // The KS check above must be able to fail: shifted normals are rejected.
    static double x[DRAWS];
    draw_many(td_rng_normal, 3, x);
    for (size_t i = 0; i < DRAWS; i++) x[i] += 0.02;
    CHECK(ks_statistic(x, DRAWS) > 1.95 / sqrt((double)DRAWS));
}

TEST(inverse_cdf_matches_a_double_precision_reference_across_the_open_interval) {
    double worst = 0.0;
    // Log-spaced in both tails plus a uniform sweep of the centre.
    for (int i = 0; i <= 2000; i++) {
        double t = (double)i / 2000.0;
        double tail = pow(10.0, -7.0 + 6.6 * t);  // 1e-7 .. ~0.4
        double ps[3] = {tail, 1.0 - tail, 1e-7 + t * (1.0 - 2e-7)};
        for (int k = 0; k < 3; k++) {
            double p = ps[k], ref = icdf_by_bisection(p);
            double err = fabs(td_normal_icdf(p) - ref) / fmax(fabs(ref), 1e-3);
            if (err > worst) worst = err;
        }
    }
    printf("    worst relative error of Phi^-1 on (1e-7, 1-1e-7): %.3g\n", worst);
    CHECK(worst < 1e-9);
}

TEST(inverse_cdf_inverts_the_cdf_and_handles_the_edges) {
    for (double x = -5.0; x <= 5.0; x += 0.25) CHECK_NEAR(td_normal_icdf(td_normal_cdf(x)), x, 1e-9);
    CHECK(isinf(td_normal_icdf(0.0)) && td_normal_icdf(0.0) < 0);
    CHECK(isinf(td_normal_icdf(1.0)) && td_normal_icdf(1.0) > 0);
    CHECK(isnan(td_normal_icdf(-0.1)));
    CHECK(isnan(td_normal_icdf(NAN)));
    CHECK_NEAR(td_normal_cdf(1.959963984540054), 0.975, 1e-12);
    CHECK_NEAR(td_normal_pdf(0.0), 0.3989422804014327, 1e-15);
}

int main(void) {
    RUN(the_same_seed_gives_the_same_stream_and_another_seed_does_not);
    RUN(pcg32_matches_the_reference_implementation_first_outputs);
    RUN(uniform_draws_have_mean_one_half_and_variance_one_twelfth);
    RUN(bounded_integers_fill_every_bucket_evenly);
    RUN(box_muller_normals_have_normal_moments_and_pass_kolmogorov_smirnov);
    RUN(inverse_cdf_normals_have_normal_moments_and_pass_kolmogorov_smirnov);
    RUN(kolmogorov_smirnov_rejects_normals_shifted_by_two_hundredths);
    RUN(inverse_cdf_matches_a_double_precision_reference_across_the_open_interval);
    RUN(inverse_cdf_inverts_the_cdf_and_handles_the_edges);
    return check_summary("test_rng");
}
