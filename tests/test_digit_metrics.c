// test_digit_metrics.c - colour error, slant, stroke weight, Pearson r, the Jacobi
// eigen-solver and the Frechet distance, each against answers known in advance.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/digits.h"
#include "eval/digit_metrics.h"
#include "mnist_fixture.h"

static td_mnist data;
static int data_ok;

// ---- colour ----------------------------------------------------------------------

TEST(srgb_primaries_have_the_published_cielab_coordinates) {
    // Bruce Lindbloom's values for sRGB (D65) primaries.
    static const struct { td_rgb c; double L, a, b; } known[] = {
        {{1, 0, 0}, 53.2408, 80.0925, 67.2032},
        {{0, 1, 0}, 87.7347, -86.1827, 83.1793},
        {{0, 0, 1}, 32.2970, 79.1875, -107.8602},
        {{1, 1, 1}, 100.0, 0.0, 0.0},
        {{0, 0, 0}, 0.0, 0.0, 0.0},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        double lab[3];
        td_srgb_to_lab(known[i].c, lab);
        CHECK_NEAR(lab[0], known[i].L, 0.01);
        CHECK_NEAR(lab[1], known[i].a, 0.01);
        CHECK_NEAR(lab[2], known[i].b, 0.01);
    }
}

TEST(delta_e_is_zero_for_identical_colours_and_matches_known_pairs) {
    td_rgb red = {1, 0, 0}, green = {0, 1, 0}, white = {1, 1, 1}, black = {0, 0, 0};
    td_rgb teal = {0.1f, 0.6f, 0.55f};
    CHECK_NEAR(td_delta_e76(teal, teal), 0.0, 0.0);
    CHECK_NEAR(td_delta_e76(white, black), 100.0, 1e-3);
    // From the published Lab values above: sqrt(34.4939^2 + 166.2752^2 + 15.9761^2).
    CHECK_NEAR(td_delta_e76(red, green), 170.5651, 0.02);
    CHECK_NEAR(td_delta_e76(red, green), td_delta_e76(green, red), 1e-12);
    // 50% grey is L* = 53.389 (sRGB 0.5 is 21.4% linear light).
    CHECK_NEAR(td_delta_e76((td_rgb){0.5f, 0.5f, 0.5f}, black), 53.389, 0.01);
}

TEST(the_digit_colour_is_the_mean_of_the_16_brightest_pixels) {
    static float img[TD_DIGIT_FLOATS];
    memset(img, 0, sizeof img);
    td_rgb c = {0.2f, 0.9f, 0.4f};
    // 16 full-colour stroke pixels, then 40 dimmer edge pixels that must not count.
    for (int p = 100; p < 116; p++) img[3 * p] = c.r, img[3 * p + 1] = c.g, img[3 * p + 2] = c.b;
    for (int p = 300; p < 340; p++) img[3 * p] = 0.5f * c.r, img[3 * p + 1] = 0.5f * c.g, img[3 * p + 2] = 0.5f * c.b;
    td_rgb got = td_digit_color(img);
    CHECK_NEAR(got.r, c.r, 1e-6);
    CHECK_NEAR(got.g, c.g, 1e-6);
    CHECK_NEAR(got.b, c.b, 1e-6);
    CHECK_NEAR(td_digit_color_error(img, c), 0.0, 1e-4);
    // With only 8 full pixels, half of the 16 are edge pixels: the colour darkens.
    for (int p = 108; p < 116; p++) img[3 * p] = img[3 * p + 1] = img[3 * p + 2] = 0.0f;
    CHECK(td_digit_color_error(img, c) > 10.0);
}

TEST(real_digits_coloured_exactly_score_about_0_6) {
    if (!data_ok) { CHECK(0); return; }
    enum { N = 1000 };
    float *img = malloc((size_t)N * TD_DIGIT_FLOATS * sizeof *img), colors[3 * N];
    int idx[N];
    if (!img) { CHECK(0); return; }
    for (int k = 0; k < N; k++) idx[k] = td_digits_split_index(k, TD_SPLIT_TEST);
    CHECK_EQ(td_digits_render(&data, idx, N, TD_DIGITS_EVAL_COLOR_SEED, img, NULL, colors), TD_OK);
    double sum = 0.0, darker = 0.0;
    for (int k = 0; k < N; k++) {
        td_rgb c = {colors[3 * k], colors[3 * k + 1], colors[3 * k + 2]};
        sum += td_digit_color_error(img + (size_t)k * TD_DIGIT_FLOATS, c);
        // The measure notices a digit 10% darker than requested.
        td_rgb off = {c.r / 0.9f > 1.0f ? 1.0f : c.r / 0.9f, c.g / 0.9f > 1.0f ? 1.0f : c.g / 0.9f,
                      c.b / 0.9f > 1.0f ? 1.0f : c.b / 0.9f};
        darker += td_digit_color_error(img + (size_t)k * TD_DIGIT_FLOATS, off);
    }
    printf("    mean delta-E of exactly coloured test digits %.3f (10%% darker: %.3f)\n",
           sum / N, darker / N);
    CHECK(sum / N > 0.3 && sum / N < 1.0);
    CHECK(darker / N > 3.0);
    free(img);
}

// ---- style ----------------------------------------------------------------------------

// A bar 3 pixels wide and 20 tall, centred, sheared so its top leans right by
// `shear` pixels per row, antialiased by 16 horizontal sub-samples, in colour c.
static void sheared_bar(float *img, double shear, float width, td_rgb c) {
    memset(img, 0, TD_DIGIT_FLOATS * sizeof *img);
    for (int y = 4; y < 24; y++) {
        double centre = 14.0 + shear * (13.5 - y);
        for (int x = 0; x < 28; x++) {
            int inside = 0;
            for (int s = 0; s < 16; s++) {
                double sx = x + (s + 0.5) / 16.0;
                inside += fabs(sx - centre) <= (double)width / 2.0;
            }
            float v = (float)inside / 16.0f;
            img[3 * (y * 28 + x)] = c.r * v;
            img[3 * (y * 28 + x) + 1] = c.g * v;
            img[3 * (y * 28 + x) + 2] = c.b * v;
        }
    }
}

TEST(a_sheared_bar_has_the_slant_it_was_drawn_with) {
    static float img[TD_DIGIT_FLOATS];
    td_rgb c = {0.9f, 0.3f, 0.6f};
    const double shears[] = {0.0, 0.3, -0.25, 0.15};
    for (size_t i = 0; i < sizeof shears / sizeof shears[0]; i++) {
        sheared_bar(img, shears[i], 3.0f, c);
        CHECK_NEAR(td_digit_slant(img), shears[i], 0.01);
    }
    float gray[4] = {0};
    CHECK_NEAR(td_gray_slant(gray, 2, 2), 0.0, 0.0);   // empty image
}

TEST(stroke_weight_counts_full_pixels_of_ink_whatever_the_colour) {
    static float img[TD_DIGIT_FLOATS];
    sheared_bar(img, 0.0, 3.0f, (td_rgb){0.2f, 0.9f, 0.4f});
    CHECK_NEAR(td_digit_stroke_weight(img), 60.0, 1e-3);
    sheared_bar(img, 0.0, 3.0f, (td_rgb){0.75f, 0.1f, 0.1f});
    CHECK_NEAR(td_digit_stroke_weight(img), 60.0, 1e-3);
    sheared_bar(img, 0.0, 5.0f, (td_rgb){0.75f, 0.1f, 0.1f});
    CHECK_NEAR(td_digit_stroke_weight(img), 100.0, 1e-3);
    memset(img, 0, sizeof img);
    CHECK_NEAR(td_digit_stroke_weight(img), 0.0, 0.0);
}

TEST(pearson_r_is_one_for_lines_and_matches_a_worked_example) {
    double x[5] = {1, 2, 3, 4, 5}, y[5], z[5] = {2, 4, 5, 4, 5}, k[5] = {3, 3, 3, 3, 3};
    for (int i = 0; i < 5; i++) y[i] = -2.0 * x[i] + 7.0;
    CHECK_NEAR(td_pearson(x, x, 5), 1.0, 1e-12);
    CHECK_NEAR(td_pearson(x, y, 5), -1.0, 1e-12);
    CHECK_NEAR(td_pearson(x, z, 5), 6.0 / sqrt(10.0 * 6.0), 1e-12);   // sxy 6, sxx 10, syy 6
    CHECK(isnan(td_pearson(x, k, 5)));
    CHECK(isnan(td_pearson(x, y, 1)));
}

// ---- eigen-decomposition and Frechet distance ------------------------------------------

TEST(jacobi_diagonalises_a_symmetric_matrix_with_orthonormal_vectors) {
    enum { N = 7 };
    double A[N * N], A0[N * N], V[N * N], ev[N];
    td_rng rng;
    td_rng_seed(&rng, 8, 0);
    for (int i = 0; i < N; i++)
        for (int j = 0; j <= i; j++) A[i * N + j] = A[j * N + i] = td_rng_normal(&rng);
    memcpy(A0, A, sizeof A);
    CHECK_EQ(td_sym_eigen(A, N, ev, V), TD_OK);
    double worst_av = 0.0, worst_orth = 0.0;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            double av = 0.0, vv = 0.0;
            for (int j = 0; j < N; j++) {
                av += A0[i * N + j] * V[j * N + k];
                vv += V[j * N + i] * V[j * N + k];
            }
            worst_av = fmax(worst_av, fabs(av - ev[k] * V[i * N + k]));
            worst_orth = fmax(worst_orth, fabs(vv - (i == k)));
        }
    CHECK(worst_av < 1e-10);
    CHECK(worst_orth < 1e-12);
    for (int i = 1; i < N; i++) CHECK(ev[i - 1] <= ev[i]);
    double B[4] = {2, 1, 1, 2}, eb[2];
    CHECK_EQ(td_sym_eigen(B, 2, eb, NULL), TD_OK);
    CHECK_NEAR(eb[0], 1.0, 1e-14);
    CHECK_NEAR(eb[1], 3.0, 1e-14);
    double C[4] = {2, 1, 0.5, 2};
    td_clear_error();
    CHECK_EQ(td_sym_eigen(C, 2, eb, NULL), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "not symmetric");
    CHECK_EQ(td_sym_eigen(B, 0, eb, NULL), TD_ERR_ARG);
}

TEST(frechet_distance_of_known_gaussians_matches_the_closed_form) {
    // 1-D: (m1 - m2)^2 + (s1 - s2)^2.
    double m1 = 1.0, m2 = -0.5, v1 = 4.0, v2 = 0.25, fd = 0.0;
    CHECK_EQ(td_frechet_from_stats(&m1, &v1, &m2, &v2, 1, &fd), TD_OK);
    CHECK_NEAR(fd, 2.25 + 2.25, 1e-12);
    // 2-D, covariances that do not commute: tr sqrt(Ca Cb) = sqrt(T + 2 sqrt(D))
    // with T, D the trace and determinant of Ca Cb.
    double Ca[4] = {2.0, 0.6, 0.6, 1.0}, Cb[4] = {0.5, -0.2, -0.2, 3.0};
    double ma[2] = {0, 0}, mb[2] = {1, 2};
    double P[4] = {Ca[0] * Cb[0] + Ca[1] * Cb[2], Ca[0] * Cb[1] + Ca[1] * Cb[3],
                   Ca[2] * Cb[0] + Ca[3] * Cb[2], Ca[2] * Cb[1] + Ca[3] * Cb[3]};
    double T = P[0] + P[3], D = P[0] * P[3] - P[1] * P[2];
    double expected = 5.0 + (Ca[0] + Ca[3] + Cb[0] + Cb[3]) - 2.0 * sqrt(T + 2.0 * sqrt(D));
    CHECK_EQ(td_frechet_from_stats(ma, Ca, mb, Cb, 2, &fd), TD_OK);
    CHECK_NEAR(fd, expected, 1e-10);
    // Swapping the arguments gives the same distance.
    double fd2 = 0.0;
    CHECK_EQ(td_frechet_from_stats(mb, Cb, ma, Ca, 2, &fd2), TD_OK);
    CHECK_NEAR(fd2, fd, 1e-10);
}

// n rows of d features: correlated Gaussians x = L z + mean.
static void gaussian_rows(float *x, int n, int d, double mean, uint64_t seed) {
    td_rng rng;
    td_rng_seed(&rng, seed, 0);
    for (int r = 0; r < n; r++) {
        double prev = 0.0;
        for (int i = 0; i < d; i++) {
            double z = td_rng_normal(&rng);
            x[r * d + i] = (float)(mean + z + 0.5 * prev);
            prev = z;
        }
    }
}

TEST(frechet_distance_of_identical_sets_is_zero_and_grows_as_the_squared_shift) {
    enum { N = 2000, D = 16 };
    float *a = malloc(N * D * sizeof *a), *b = malloc(N * D * sizeof *b);
    if (!a || !b) { CHECK(0); free(a); free(b); return; }
    gaussian_rows(a, N, D, 0.0, 1);
    double fd = -1.0;
    CHECK_EQ(td_frechet_distance(a, N, a, N, D, &fd), TD_OK);
    CHECK_NEAR(fd, 0.0, 1e-8);
    // Shift every feature by delta: FD = D delta^2 exactly (same covariance).
    const double deltas[] = {0.1, 0.5, 2.0};
    for (size_t s = 0; s < 3; s++) {
        for (int i = 0; i < N * D; i++) b[i] = a[i] + (float)deltas[s];
        CHECK_EQ(td_frechet_distance(a, N, b, N, D, &fd), TD_OK);
        CHECK_NEAR(fd, D * deltas[s] * deltas[s], 1e-4 * D * deltas[s] * deltas[s] + 1e-6);
    }
    // Two independent samples of one Gaussian: small (sampling noise ~ D^2 / N).
    gaussian_rows(b, N, D, 0.0, 2);
    CHECK_EQ(td_frechet_distance(a, N, b, N, D, &fd), TD_OK);
    CHECK(fd > 0.0 && fd < 0.3);
    td_clear_error();
    CHECK_EQ(td_frechet_distance(a, 1, b, N, D, &fd), TD_ERR_ARG);
    free(a);
    free(b);
}

TEST(frechet_distance_in_128_dimensions_sees_a_small_mean_shift_over_sampling_noise) {
    enum { N = 1000, D = 128 };
    float *a = malloc(N * D * sizeof *a), *b = malloc(N * D * sizeof *b);
    if (!a || !b) { CHECK(0); free(a); free(b); return; }
    gaussian_rows(a, N, D, 0.0, 3);
    gaussian_rows(b, N, D, 0.0, 4);
    double fd0 = 0.0, fd1 = 0.0;
    CHECK_EQ(td_frechet_distance(a, N, b, N, D, &fd0), TD_OK);
    for (int i = 0; i < N * D; i++) b[i] += 0.1f;
    CHECK_EQ(td_frechet_distance(a, N, b, N, D, &fd1), TD_OK);
    // Same covariances, means 0.1 further apart per feature: about 128 * 0.01 more.
    printf("    FD of two 1000-row samples of one 128-D Gaussian %.3f, shifted by 0.1: %.3f\n",
           fd0, fd1);
    CHECK(fd0 > 0.0);
    CHECK_NEAR(fd1 - fd0, 1.28, 0.2);
    free(a);
    free(b);
}

int main(void) {
    data_ok = mnist_fixture_load(&data) == 0;
    RUN(srgb_primaries_have_the_published_cielab_coordinates);
    RUN(delta_e_is_zero_for_identical_colours_and_matches_known_pairs);
    RUN(the_digit_colour_is_the_mean_of_the_16_brightest_pixels);
    RUN(real_digits_coloured_exactly_score_about_0_6);
    RUN(a_sheared_bar_has_the_slant_it_was_drawn_with);
    RUN(stroke_weight_counts_full_pixels_of_ink_whatever_the_colour);
    RUN(pearson_r_is_one_for_lines_and_matches_a_worked_example);
    RUN(jacobi_diagonalises_a_symmetric_matrix_with_orthonormal_vectors);
    RUN(frechet_distance_of_known_gaussians_matches_the_closed_form);
    RUN(frechet_distance_of_identical_sets_is_zero_and_grows_as_the_squared_shift);
    RUN(frechet_distance_in_128_dimensions_sees_a_small_mean_shift_over_sampling_noise);
    td_mnist_free(&data);
    return check_summary("test_digit_metrics");
}
