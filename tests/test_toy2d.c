// test_toy2d.c - the 2-D toy sets (determinism, geometry, ranges, names) and the CSV reader.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/csv_points.h"
#include "data/toy2d.h"

enum { N = 20000 };
static const double PI = 3.14159265358979323846;

static void draw(td_toy_kind kind, uint64_t seed, float *out, int n) {
    td_rng rng;
    td_rng_seed(&rng, seed, 0);
    CHECK_EQ(td_toy_sample(kind, &rng, out, n), TD_OK);
}

// hypot of two floats, promoted explicitly (clang's -Wdouble-promotion asks for it).
static double norm2(float x, float y) { return hypot((double)x, (double)y); }

static int nearest_centre(const float *centres, float x, float y) {
    int best = 0;
    float best_d2 = INFINITY;
    for (int k = 0; k < TD_RING8_MODES; k++) {
        float dx = x - centres[2 * k], dy = y - centres[2 * k + 1], d2 = dx * dx + dy * dy;
        if (d2 < best_d2) {
            best_d2 = d2;
            best = k;
        }
    }
    return best;
}

// ---- toy sets -------------------------------------------------------------------------

TEST(every_set_is_deterministic_per_seed_and_changes_with_the_seed) {
    static float a[2 * 1000], b[2 * 1000], c[2 * 1000];
    for (int k = 0; k < TD_TOY_COUNT; k++) {
        draw((td_toy_kind)k, 7, a, 1000);
        draw((td_toy_kind)k, 7, b, 1000);
        draw((td_toy_kind)k, 8, c, 1000);
        CHECK(memcmp(a, b, sizeof a) == 0);
        CHECK(memcmp(a, c, sizeof a) != 0);
    }
}

TEST(ring_centres_lie_on_the_circle_at_multiples_of_45_degrees) {
    td_ring8 ring = {3.0f, 0.1f};
    float centres[2 * TD_RING8_MODES];
    td_ring8_centres(&ring, centres);
    for (int k = 0; k < TD_RING8_MODES; k++) {
        CHECK_NEAR(norm2(centres[2 * k], centres[2 * k + 1]), 3.0, 1e-6);
        CHECK_NEAR(atan2((double)centres[2 * k + 1], (double)centres[2 * k]), remainder(k * PI / 4.0, 2.0 * PI), 1e-6);
    }
    CHECK_NEAR(centres[0], 3.0, 1e-6);
    CHECK_NEAR(centres[5], 3.0, 1e-6);   // mode 2 is (0, 3)
    td_ring8 def = td_ring8_default();
    CHECK_NEAR(def.radius, 2.0, 0.0);
    CHECK_NEAR(def.std, 0.02, 1e-9);
}

TEST(ring_modes_each_get_one_eighth_and_have_the_requested_std) {
    static float x[2 * N];
    td_ring8 ring = td_ring8_default();
    float centres[2 * TD_RING8_MODES];
    td_ring8_centres(&ring, centres);
    draw(TD_TOY_RING8, 3, x, N);
    int counts[TD_RING8_MODES] = {0};
    double ss = 0.0;
    for (int i = 0; i < N; i++) {
        int k = nearest_centre(centres, x[2 * i], x[2 * i + 1]);
        counts[k]++;
        double dx = (double)(x[2 * i] - centres[2 * k]), dy = (double)(x[2 * i + 1] - centres[2 * k + 1]);
        ss += dx * dx + dy * dy;
    }
    // Binomial sd of a count: sqrt(N/8 * 7/8) = 46.8; allow 5 sd.
    for (int k = 0; k < TD_RING8_MODES; k++) CHECK(abs(counts[k] - N / 8) < 234);
    // Per-coordinate std from 2N squared residuals; relative se 1/sqrt(4N) = 0.35%.
    CHECK_NEAR(sqrt(ss / (2.0 * N)), 0.02, 0.02 * 0.02);
}

TEST(ring_radius_and_std_are_parameters) {
    static float x[2 * 4000];
    td_ring8 ring = {1.0f, 0.0f};
    td_rng rng;
    td_rng_seed(&rng, 1, 0);
    CHECK_EQ(td_ring8_sample(&ring, &rng, x, 4000), TD_OK);
    for (int i = 0; i < 4000; i++) CHECK_NEAR(norm2(x[2 * i], x[2 * i + 1]), 1.0, 1e-6);
}

TEST(every_set_stays_in_its_documented_box_and_fills_it) {
    static float x[2 * N];
    for (int k = 0; k < TD_TOY_COUNT; k++) {
        float box[4], pad = 6.0f * td_toy_noise((td_toy_kind)k);
        td_toy_box((td_toy_kind)k, box);
        draw((td_toy_kind)k, 11, x, N);
        float lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
        for (int i = 0; i < 2 * N; i++) {
            lo[i % 2] = fminf(lo[i % 2], x[i]);
            hi[i % 2] = fmaxf(hi[i % 2], x[i]);
        }
        for (int d = 0; d < 2; d++) {
            CHECK(lo[d] >= box[2 * d] - pad && hi[d] <= box[2 * d + 1] + pad);
            // ...and the box is tight: the set reaches within 0.25 of each side.
            CHECK(lo[d] < box[2 * d] + 0.25f && hi[d] > box[2 * d + 1] - 0.25f);
        }
        CHECK(box[1] <= 4.0f && box[0] >= -4.0f && box[3] <= 4.0f && box[2] >= -4.0f);
    }
}

TEST(moons_are_centred_and_the_checkerboard_fills_only_its_8_cells_evenly) {
    static float x[2 * N];
    draw(TD_TOY_MOONS, 5, x, N);
    double mx = 0, my = 0;
    for (int i = 0; i < N; i++) {
        mx += (double)x[2 * i];
        my += (double)x[2 * i + 1];
    }
    CHECK_NEAR(mx / N, 0.0, 0.05);
    CHECK_NEAR(my / N, 0.0, 0.05);

    draw(TD_TOY_CHECKERBOARD, 5, x, N);
    int cells[16] = {0}, wrong = 0;
    for (int i = 0; i < N; i++) {
        int c = (int)floorf((x[2 * i] + 4.0f) / 2.0f), r = (int)floorf((x[2 * i + 1] + 4.0f) / 2.0f);
        if (c < 0 || c > 3 || r < 0 || r > 3 || (r + c) % 2 != 0) wrong++;
        else cells[4 * r + c]++;
    }
    CHECK_EQ(wrong, 0);
    for (int cell = 0; cell < 16; cell++)
        if ((cell / 4 + cell % 4) % 2 == 0) CHECK(abs(cells[cell] - N / 8) < 234);
}

TEST(swiss_roll_radius_grows_from_0_94_to_2_83) {
    static float x[2 * N];
    draw(TD_TOY_SWISSROLL, 9, x, N);
    double rmin = 1e9, rmax = 0;
    for (int i = 0; i < N; i++) {
        double r = norm2(x[2 * i], x[2 * i + 1]);
        rmin = fmin(rmin, r);
        rmax = fmax(rmax, r);
    }
    CHECK(rmin > 1.5 * PI / 5 - 0.6 && rmin < 1.5 * PI / 5 + 0.1);
    CHECK(rmax < 4.5 * PI / 5 + 0.6 && rmax > 4.5 * PI / 5 - 0.1);
}

TEST(names_round_trip_and_an_unknown_name_is_rejected_with_the_list) {
    for (int k = 0; k < TD_TOY_COUNT; k++) {
        td_toy_kind kind = TD_TOY_COUNT;
        CHECK_EQ(td_toy_parse(td_toy_name((td_toy_kind)k), &kind), TD_OK);
        CHECK_EQ(kind, k);
    }
    CHECK(strcmp(td_toy_name(TD_TOY_SWISSROLL), "swissroll") == 0);
    CHECK(td_toy_name(TD_TOY_COUNT) == NULL);
    td_toy_kind kind = TD_TOY_MOONS;
    CHECK_EQ(td_toy_parse("spiral", &kind), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "unknown data set 'spiral'");
    CHECK_CONTAINS(td_error_message(), "checkerboard");
    CHECK_EQ(kind, TD_TOY_MOONS);
    CHECK_EQ(td_toy_parse(NULL, &kind), TD_ERR_ARG);
}

TEST(bad_requests_are_rejected_with_a_reason) {
    float x[4];
    td_rng rng;
    td_rng_seed(&rng, 1, 0);
    CHECK_EQ(td_toy_sample(TD_TOY_MOONS, &rng, x, -1), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "got -1");
    CHECK_EQ(td_toy_sample(TD_TOY_MOONS, &rng, NULL, 2), TD_ERR_ARG);
    CHECK_EQ(td_toy_sample(TD_TOY_COUNT, &rng, x, 2), TD_ERR_ARG);
    td_ring8 ring = {2.0f, -0.1f};
    CHECK_EQ(td_ring8_sample(&ring, &rng, x, 2), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "std");
    ring.std = NAN;
    CHECK_EQ(td_ring8_sample(&ring, &rng, x, 2), TD_ERR_ARG);
    CHECK_EQ(td_toy_sample(TD_TOY_RING8, &rng, NULL, 0), TD_OK);   // zero points is fine
}

// ---- CSV reader ------------------------------------------------------------------------

// Parse a string literal (length without the NUL) from an exact-size heap copy,
// so a read past the end is a sanitizer error rather than luck.
static td_status parse_text(td_points *p, const char *text) {
    size_t len = strlen(text);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);
    td_clear_error();
    td_status status = td_points_parse_csv(p, copy, len);
    free(copy);
    return status;
}

static void check_bad(const char *text, td_status expected, const char *message) {
    td_points p;
    CHECK_EQ(parse_text(&p, text), expected);
    CHECK_CONTAINS(td_error_message(), message);
    CHECK(p.xy == NULL && p.n == 0);
}

TEST(csv_reads_plain_comma_separated_points) {
    td_points p;
    CHECK_EQ(parse_text(&p, "1,2\n-3.5,4e-1\n"), TD_OK);
    CHECK_EQ(p.n, 2);
    CHECK(p.xy[0] == 1.0f && p.xy[1] == 2.0f && p.xy[2] == -3.5f && p.xy[3] == 0.4f);
    td_points_free(&p);
    CHECK(p.xy == NULL && p.n == 0);
}

TEST(csv_accepts_a_header_crlf_semicolons_whitespace_comments_and_no_final_newline) {
    td_points p;
    const char *text = "# exported points\r\n"
                       "x,y\r\n"
                       "1;2\r\n"
                       "  3 \t 4  \r\n"
                       "\r\n"
                       "5 , 6   # trailing comment\r\n"
                       "7\t8\r"          // a lone CR ends a line too
                       "+9,-10";
    CHECK_EQ(parse_text(&p, text), TD_OK);
    CHECK_EQ(p.n, 5);
    float want[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, -10};
    for (int i = 0; i < 10 && p.n == 5; i++) CHECK_NEAR(p.xy[i], want[i], 0.0);
    td_points_free(&p);
}

TEST(csv_never_reads_past_the_buffer_length) {
    // The bytes after `len` would change the last number if they were read.
    const char text[] = "1,2\n3,4999";
    td_points p;
    CHECK_EQ(td_points_parse_csv(&p, text, 7), TD_OK);
    CHECK_EQ(p.n, 2);
    if (p.n == 2) CHECK_NEAR(p.xy[3], 4.0, 0.0);
    td_points_free(&p);
}

TEST(csv_rejects_garbage_with_the_line_number_and_the_line) {
    check_bad("1,2\n3,4\nabc\n", TD_ERR_FORMAT, "line 3: expected two numbers 'x,y', got 'abc'");
    check_bad("1,2\r\n3,4\r\n\r\n1,2,3\r\n", TD_ERR_FORMAT, "line 4: expected two numbers 'x,y', got '1,2,3'");
    check_bad("1,2\n3,,4\n", TD_ERR_FORMAT, "line 2:");
    check_bad("1,2\n3,4x\n", TD_ERR_FORMAT, "line 2:");
    check_bad("1,2\n3\n", TD_ERR_FORMAT, "line 2:");
    check_bad("1,2\n3,\n", TD_ERR_FORMAT, "line 2:");
    check_bad("1,2\nx,y\n3,4\n", TD_ERR_FORMAT, "line 2:");   // a header only comes first
    check_bad("x,y\n1,abc\n", TD_ERR_FORMAT, "line 2:");
    check_bad("1,2\n\x01\x02zz\n", TD_ERR_FORMAT, "got '??zz'");
}

TEST(csv_rejects_a_nul_byte_inside_a_line) {
    const char text[] = "1,2\n3\0,4\n5,6\n";
    td_points p;
    CHECK_EQ(td_points_parse_csv(&p, text, sizeof text - 1), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "line 2:");
}

TEST(csv_rejects_non_finite_values) {
    check_bad("1,2\nnan,1\n", TD_ERR_FORMAT, "line 2: non-finite value");
    check_bad("1,2\n3,4\n1,-inf\n", TD_ERR_FORMAT, "line 3: non-finite value");
    check_bad("1e39,0\n1,2\n", TD_ERR_FORMAT, "line 1: non-finite value");   // beyond float
    check_bad("1,2\n1,1e400\n", TD_ERR_FORMAT, "line 2: non-finite value");  // beyond double
}

TEST(csv_rejects_too_few_points_and_overlong_lines) {
    check_bad("", TD_ERR_FORMAT, "found 0 points, need at least 2");
    check_bad("x,y\n# nothing\n", TD_ERR_FORMAT, "found 0 points");
    check_bad("x,y\n1,2\n", TD_ERR_FORMAT, "found 1 point, need at least 2");
    char line[400];
    memset(line, '1', sizeof line);
    memcpy(line, "1,2\n1,", 6);
    line[sizeof line - 1] = '\0';
    check_bad(line, TD_ERR_FORMAT, "line 2: longer than 256 bytes");
    td_points p;
    CHECK_EQ(td_points_parse_csv(&p, NULL, 0), TD_ERR_FORMAT);
    CHECK_EQ(td_points_parse_csv(&p, NULL, 5), TD_ERR_ARG);
}

TEST(csv_accepts_exactly_the_cap_and_rejects_one_point_more) {
    size_t len = 4 * ((size_t)TD_CSV_MAX_POINTS + 1);
    char *text = malloc(len);
    for (size_t i = 0; i < len; i += 4) memcpy(text + i, "0,1\n", 4);
    td_points p;
    CHECK_EQ(td_points_parse_csv(&p, text, len - 4), TD_OK);
    CHECK_EQ(p.n, TD_CSV_MAX_POINTS);
    td_points_free(&p);
    CHECK_EQ(td_points_parse_csv(&p, text, len), TD_ERR_LIMIT);
    CHECK_CONTAINS(td_error_message(), "line 1000001: more than 1000000 points");
    CHECK(p.xy == NULL && p.n == 0);
    free(text);
}

int main(void) {
    RUN(every_set_is_deterministic_per_seed_and_changes_with_the_seed);
    RUN(ring_centres_lie_on_the_circle_at_multiples_of_45_degrees);
    RUN(ring_modes_each_get_one_eighth_and_have_the_requested_std);
    RUN(ring_radius_and_std_are_parameters);
    RUN(every_set_stays_in_its_documented_box_and_fills_it);
    RUN(moons_are_centred_and_the_checkerboard_fills_only_its_8_cells_evenly);
    RUN(swiss_roll_radius_grows_from_0_94_to_2_83);
    RUN(names_round_trip_and_an_unknown_name_is_rejected_with_the_list);
    RUN(bad_requests_are_rejected_with_a_reason);
    RUN(csv_reads_plain_comma_separated_points);
    RUN(csv_accepts_a_header_crlf_semicolons_whitespace_comments_and_no_final_newline);
    RUN(csv_never_reads_past_the_buffer_length);
    RUN(csv_rejects_garbage_with_the_line_number_and_the_line);
    RUN(csv_rejects_a_nul_byte_inside_a_line);
    RUN(csv_rejects_non_finite_values);
    RUN(csv_rejects_too_few_points_and_overlong_lines);
    RUN(csv_accepts_exactly_the_cap_and_rejects_one_point_more);
    return check_summary("test_toy2d");
}
