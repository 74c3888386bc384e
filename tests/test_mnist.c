// test_mnist.c - the MNIST cache parser, the fixed split, colours, colouring and batches.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/digits.h"
#include "data/mnist.h"
#include "mnist_fixture.h"

static td_mnist data;
static int data_ok;

// ---- the cache -------------------------------------------------------------------

TEST(the_cache_holds_10000_digits_sorted_by_class_with_the_package_counts) {
    CHECK(data_ok);
    if (!data_ok) return;
    static const int expected[10] = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
    int counts[10] = {0}, sorted = 1;
    for (int i = 0; i < data.count; i++) {
        counts[data.labels[i]]++;
        if (i > 0 && data.labels[i] < data.labels[i - 1]) sorted = 0;
    }
    CHECK_EQ(data.count, 10000);
    CHECK(sorted);
    for (int d = 0; d < 10; d++) CHECK_EQ(counts[d], expected[d]);
}

TEST(cached_digits_look_like_mnist_black_background_and_full_strokes) {
    CHECK(data_ok);
    if (!data_ok) return;
    // Every digit has saturated stroke pixels, a black border row, and ink
    // covering roughly 10-25% of the image as MNIST does.
    int all_bright = 1, borders_black = 1;
    double ink = 0.0;
    for (int i = 0; i < data.count; i++) {
        const uint8_t *px = data.pixels + (size_t)i * TD_MNIST_PIXELS;
        int max = 0;
        for (int p = 0; p < TD_MNIST_PIXELS; p++) {
            if (px[p] > max) max = px[p];
            ink += px[p] / 255.0;
        }
        if (max < 250) all_bright = 0;
        for (int x = 0; x < TD_MNIST_SIDE; x++)
            if (px[x] != 0) borders_black = 0;
    }
    double mean_ink = ink / data.count / TD_MNIST_PIXELS;
    CHECK(all_bright);
    CHECK(borders_black);
    CHECK(mean_ink > 0.10 && mean_ink < 0.20);
}

// A small valid cache: 3 images with labels 0, 7, 9.
static uint8_t *small_cache(size_t *size) {
    uint8_t pixels[3 * TD_MNIST_PIXELS], labels[3] = {0, 7, 9};
    for (size_t i = 0; i < sizeof pixels; i++) pixels[i] = (uint8_t)(i * 31u);
    uint8_t *bytes = NULL;
    CHECK_EQ(td_mnist_serialize(pixels, labels, 3, &bytes, size), TD_OK);
    return bytes;
}

TEST(a_written_cache_parses_back_to_the_same_images_and_labels) {
    size_t size = 0;
    uint8_t *bytes = small_cache(&size);
    td_mnist m;
    CHECK_EQ(size, TD_MNIST_HEADER_BYTES + 3 * (TD_MNIST_PIXELS + 1));
    CHECK_EQ(td_mnist_parse(&m, bytes, size), TD_OK);
    CHECK_EQ(m.count, 3);
    CHECK_EQ(m.labels[1], 7);
    CHECK_EQ(m.pixels[2 * TD_MNIST_PIXELS + 5], (uint8_t)((2 * TD_MNIST_PIXELS + 5) * 31u));
    td_mnist_free(&m);
    CHECK(m.pixels == NULL && m.count == 0);
    free(bytes);
}

// Parse `bytes` and expect TD_ERR_FORMAT with `phrase` in the reason.
static void expect_rejected(const uint8_t *bytes, size_t size, const char *phrase) {
    td_mnist m;
    td_clear_error();
    CHECK_EQ(td_mnist_parse(&m, bytes, size), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), phrase);
    CHECK(m.pixels == NULL && m.labels == NULL && m.count == 0);
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

TEST(the_parser_rejects_bad_magic_sizes_dimensions_counts_checksums_and_labels) {
    size_t size = 0;
    uint8_t *good = small_cache(&size);
    uint8_t *bad = malloc(size + 1);
    if (!good || !bad) { CHECK(0); free(good); free(bad); return; }

    expect_rejected(good, 10, "shorter than");
    expect_rejected(good, size - 1, "expected");
    memcpy(bad, good, size);
    bad[size] = 0;
    expect_rejected(bad, size + 1, "expected");   // a trailing byte
    memcpy(bad, good, size);
    bad[3] = 'X';
    expect_rejected(bad, size, "magic");
    memcpy(bad, good, size);
    put_u32(bad + 12, 32);
    expect_rejected(bad, size, "28 x 28");
    memcpy(bad, good, size);
    put_u32(bad + 8, 0);
    expect_rejected(bad, size, "count 0");
    memcpy(bad, good, size);
    put_u32(bad + 8, 0xffffffffu);
    expect_rejected(bad, size, "outside");
    memcpy(bad, good, size);
    put_u32(bad + 8, 4);   // claims one more image than the bytes hold
    expect_rejected(bad, size, "expected");
    memcpy(bad, good, size);
    bad[TD_MNIST_HEADER_BYTES + 100] ^= 1;   // one flipped pixel bit
    expect_rejected(bad, size, "checksum");
    // A label of 10 with a checksum that matches: only the label check can catch it.
    memcpy(bad, good, size);
    bad[size - 1] = 10;
    put_u32(bad + 20, td_fnv1a32(bad + TD_MNIST_HEADER_BYTES, size - TD_MNIST_HEADER_BYTES));
    expect_rejected(bad, size, "label 10");

    td_mnist m;
    CHECK_EQ(td_mnist_parse(&m, NULL, 5), TD_ERR_ARG);
    CHECK_EQ(td_mnist_parse(NULL, good, size), TD_ERR_ARG);
    uint8_t labels[1] = {12}, *out = NULL;
    CHECK_EQ(td_mnist_serialize(good + TD_MNIST_HEADER_BYTES, labels, 1, &out, &size), TD_ERR_ARG);
    CHECK(out == NULL);
    free(good);
    free(bad);
}

TEST(fnv1a_matches_its_published_test_vectors) {
    CHECK_EQ(td_fnv1a32((const uint8_t *)"", 0), 0x811c9dc5u);
    CHECK_EQ(td_fnv1a32((const uint8_t *)"a", 1), 0xe40c292cu);
    CHECK_EQ(td_fnv1a32((const uint8_t *)"foobar", 6), 0xbf9cf968u);
}

// ---- the split -------------------------------------------------------------------

TEST(the_split_is_1000_test_and_9000_train_with_every_class_near_a_tenth) {
    CHECK_EQ(td_digits_split_count(10000, TD_SPLIT_TEST), 1000);
    CHECK_EQ(td_digits_split_count(10000, TD_SPLIT_TRAIN), 9000);
    CHECK_EQ(td_digits_split_count(15, TD_SPLIT_TEST), 2);
    CHECK_EQ(td_digits_split_count(15, TD_SPLIT_TRAIN), 13);
    // split_index enumerates exactly the members of each split, in order.
    for (int s = 0; s < 2; s++) {
        td_split split = (td_split)s;
        int k = 0, ok = 1;
        for (int i = 0; i < 10000; i++) {
            if (!td_digits_in_split(i, split)) continue;
            if (td_digits_split_index(k, split) != i) ok = 0;
            k++;
        }
        CHECK(ok);
        CHECK_EQ(k, td_digits_split_count(10000, split));
    }
    CHECK(td_digits_in_split(0, TD_SPLIT_TEST) && !td_digits_in_split(0, TD_SPLIT_TRAIN));
    CHECK(!td_digits_in_split(-10, TD_SPLIT_TEST));
    if (!data_ok) { CHECK(0); return; }
    static const int expected[10] = {101, 112, 99, 104, 98, 86, 101, 107, 95, 97};
    int counts[10] = {0};
    for (int k = 0; k < 1000; k++) counts[data.labels[td_digits_split_index(k, TD_SPLIT_TEST)]]++;
    for (int d = 0; d < 10; d++) CHECK_EQ(counts[d], expected[d]);
}

// ---- colours ---------------------------------------------------------------------

static int rgb_near(td_rgb a, float r, float g, float b, float tol) {
    return fabsf(a.r - r) <= tol && fabsf(a.g - g) <= tol && fabsf(a.b - b) <= tol;
}

TEST(hsv_to_rgb_gives_the_primaries_greys_and_wraps_hue) {
    CHECK(rgb_near(td_rgb_from_hsv(0.0f, 1.0f, 1.0f), 1, 0, 0, 1e-6f));
    CHECK(rgb_near(td_rgb_from_hsv(1.0f / 3.0f, 1.0f, 1.0f), 0, 1, 0, 1e-6f));
    CHECK(rgb_near(td_rgb_from_hsv(2.0f / 3.0f, 1.0f, 1.0f), 0, 0, 1, 1e-6f));
    CHECK(rgb_near(td_rgb_from_hsv(0.5f, 1.0f, 0.5f), 0, 0.5f, 0.5f, 1e-6f));
    CHECK(rgb_near(td_rgb_from_hsv(0.3f, 0.0f, 0.4f), 0.4f, 0.4f, 0.4f, 1e-6f));
    CHECK(rgb_near(td_rgb_from_hsv(1.25f, 1.0f, 1.0f), 0.5f, 1, 0, 1e-6f));
    CHECK(rgb_near(td_rgb_from_hsv(0.99999994f, 1.0f, 1.0f), 1, 0, 0, 1e-5f));
}

TEST(random_colours_follow_the_documented_hue_saturation_and_value_ranges) {
    td_rng rng;
    td_rng_seed(&rng, 5, 0);
    enum { N = 60000 };
    int sextant[6] = {0}, in_range = 1;
    double mean_v = 0.0;
    for (int i = 0; i < N; i++) {
        td_rgb c = td_color_random(&rng);
        float mx = fmaxf(c.r, fmaxf(c.g, c.b)), mn = fminf(c.r, fminf(c.g, c.b));
        float s = (mx - mn) / mx;   // value = mx, saturation = (mx - mn) / mx
        if (mx < 0.75f - 1e-6f || mx > 1.0f || s < 0.6f - 1e-5f || s > 1.0f + 1e-6f) in_range = 0;
        mean_v += (double)mx;
        // The sextant of the hue is which channel is max and which is min.
        int k = c.r == mx ? (c.b == mn ? 0 : 5) : c.g == mx ? (c.r == mn ? 2 : 1)
                                                              : (c.g == mn ? 4 : 3);
        sextant[k]++;
    }
    CHECK(in_range);
    CHECK_NEAR(mean_v / N, 0.875, 0.003);
    for (int k = 0; k < 6; k++) CHECK_NEAR(sextant[k] / (double)N, 1.0 / 6.0, 0.01);
}

TEST(fixed_colours_depend_on_seed_and_index_only) {
    td_rgb a = td_color_fixed(42, 17), b = td_color_fixed(42, 17), c = td_color_fixed(42, 18),
           d = td_color_fixed(43, 17);
    CHECK(a.r == b.r && a.g == b.g && a.b == b.b);
    CHECK(a.r != c.r || a.g != c.g || a.b != c.b);
    CHECK(a.r != d.r || a.g != d.g || a.b != d.b);
}

TEST(hex_colours_parse_strictly_and_format_back) {
    td_rgb c;
    CHECK_EQ(td_color_parse_hex("#ff8000", &c), TD_OK);
    CHECK(rgb_near(c, 1.0f, 128.0f / 255.0f, 0.0f, 1e-7f));
    CHECK_EQ(td_color_parse_hex("#0A0b0C", &c), TD_OK);
    CHECK(rgb_near(c, 10.0f / 255.0f, 11.0f / 255.0f, 12.0f / 255.0f, 1e-7f));
    char hex[8];
    td_color_format_hex(c, hex);
    CHECK(strcmp(hex, "#0a0b0c") == 0);
    td_color_format_hex((td_rgb){2.0f, -1.0f, NAN}, hex);
    CHECK(strcmp(hex, "#ff0000") == 0);
    const char *bad[] = {"ff8000", "#ff800", "#ff80000", "#gg8000", "", "#", " #ff8000", "#ff 800"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        td_clear_error();
        CHECK_EQ(td_color_parse_hex(bad[i], &c), TD_ERR_ARG);
        CHECK_CONTAINS(td_error_message(), "#rrggbb");
    }
    CHECK_EQ(td_color_parse_hex(NULL, &c), TD_ERR_ARG);
}

// ---- images and batches ------------------------------------------------------------

TEST(colouring_multiplies_intensity_by_colour_and_shifts_content) {
    uint8_t gray[TD_MNIST_PIXELS] = {0};
    gray[10 * 28 + 12] = 255;
    gray[11 * 28 + 12] = 51;
    static float out[TD_DIGIT_FLOATS];
    td_rgb c = {0.2f, 0.6f, 1.0f};
    td_digit_colorize(gray, c, 0, 0, out);
    const float *p = out + 3 * (10 * 28 + 12), *q = out + 3 * (11 * 28 + 12);
    CHECK_NEAR(p[0], 0.2, 1e-7);
    CHECK_NEAR(p[2], 1.0, 1e-7);
    CHECK_NEAR(q[1], 0.6 * 0.2, 1e-7);
    double total = 0.0;
    for (int i = 0; i < TD_DIGIT_FLOATS; i++) total += (double)out[i];
    CHECK_NEAR(total, 1.8 * 1.2, 1e-5);   // nothing else is lit
    td_digit_colorize(gray, c, 2, -3, out);   // right 2, up 3
    CHECK_NEAR(out[3 * (7 * 28 + 14) + 2], 1.0, 1e-7);
    CHECK_NEAR(out[3 * (10 * 28 + 12) + 2], 0.0, 0.0);
    td_digit_colorize(gray, c, 0, 99, out);   // clamped to 4 down
    CHECK_NEAR(out[3 * (14 * 28 + 12) + 2], 1.0, 1e-7);
}

TEST(rendering_uses_the_fixed_colours_whatever_the_order) {
    if (!data_ok) { CHECK(0); return; }
    int idx[2] = {20, 7000}, rev[2] = {7000, 20}, labels[2];
    static float img[2 * TD_DIGIT_FLOATS], img_rev[2 * TD_DIGIT_FLOATS];
    float colors[6], colors_rev[6];
    CHECK_EQ(td_digits_render(&data, idx, 2, 9, img, labels, colors), TD_OK);
    CHECK_EQ(td_digits_render(&data, rev, 2, 9, img_rev, NULL, colors_rev), TD_OK);
    CHECK_EQ(labels[0], data.labels[20]);
    CHECK_EQ(labels[1], data.labels[7000]);
    CHECK(memcmp(img, img_rev + TD_DIGIT_FLOATS, TD_DIGIT_FLOATS * sizeof(float)) == 0);
    td_rgb c = td_color_fixed(9, 7000);
    CHECK(colors[3] == c.r && colors[4] == c.g && colors[5] == c.b);
    idx[1] = 10000;
    td_clear_error();
    CHECK_EQ(td_digits_render(&data, idx, 2, 9, img, labels, colors), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "index 10000");
}

TEST(batches_are_reproducible_stay_in_their_split_and_keep_the_ink_when_shifted) {
    if (!data_ok) { CHECK(0); return; }
    enum { B = 64 };
    static float a[B * TD_DIGIT_FLOATS], b[B * TD_DIGIT_FLOATS];
    int la[B], lb[B];
    float ca[B * 3], cb[B * 3];
    td_rng r1, r2;
    td_rng_seed(&r1, 3, 1);
    td_rng_seed(&r2, 3, 1);
    CHECK_EQ(td_digits_sample_batch(&data, TD_SPLIT_TRAIN, B, 2, &r1, a, la, ca), TD_OK);
    CHECK_EQ(td_digits_sample_batch(&data, TD_SPLIT_TRAIN, B, 2, &r2, b, lb, cb), TD_OK);
    CHECK(memcmp(a, b, sizeof a) == 0 && memcmp(la, lb, sizeof la) == 0);
    // Ink (the intensity implied by the colour, summed) is the unshifted
    // digit's: MNIST's 20 x 20 box is centred by mass, so a 2-pixel shift
    // crops ink off only a few digits.
    td_rng r3;
    td_rng_seed(&r3, 3, 1);
    int kept = 0, seen_shift = 0;
    for (int k = 0; k < B; k++) {
        int index = td_digits_split_index((int)td_rng_below(&r3, 9000), TD_SPLIT_TRAIN);
        td_color_random(&r3);
        int dx = (int)td_rng_below(&r3, 5) - 2, dy = (int)td_rng_below(&r3, 5) - 2;
        seen_shift |= dx != 0 || dy != 0;
        CHECK(td_digits_in_split(index, TD_SPLIT_TRAIN));
        CHECK_EQ(la[k], data.labels[index]);
        double ink = 0.0, ref = 0.0;
        float mx = fmaxf(ca[3 * k], fmaxf(ca[3 * k + 1], ca[3 * k + 2]));
        int ch = mx == ca[3 * k] ? 0 : mx == ca[3 * k + 1] ? 1 : 2;
        for (int p = 0; p < TD_MNIST_PIXELS; p++) {
            ink += (double)(a[(size_t)k * TD_DIGIT_FLOATS + 3 * (size_t)p + (size_t)ch] / mx);
            ref += data.pixels[(size_t)index * TD_MNIST_PIXELS + (size_t)p] / 255.0;
        }
        kept += fabs(ink - ref) < 1e-3 * ref;
    }
    CHECK(seen_shift);
    CHECK(kept >= B * 9 / 10);
    td_clear_error();
    CHECK_EQ(td_digits_sample_batch(&data, TD_SPLIT_TRAIN, B, 5, &r1, a, la, ca), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "shift 5");
}

int main(void) {
    data_ok = mnist_fixture_load(&data) == 0;
    RUN(the_cache_holds_10000_digits_sorted_by_class_with_the_package_counts);
    RUN(cached_digits_look_like_mnist_black_background_and_full_strokes);
    RUN(a_written_cache_parses_back_to_the_same_images_and_labels);
    RUN(the_parser_rejects_bad_magic_sizes_dimensions_counts_checksums_and_labels);
    RUN(fnv1a_matches_its_published_test_vectors);
    RUN(the_split_is_1000_test_and_9000_train_with_every_class_near_a_tenth);
    RUN(hsv_to_rgb_gives_the_primaries_greys_and_wraps_hue);
    RUN(random_colours_follow_the_documented_hue_saturation_and_value_ranges);
    RUN(fixed_colours_depend_on_seed_and_index_only);
    RUN(hex_colours_parse_strictly_and_format_back);
    RUN(colouring_multiplies_intensity_by_colour_and_shifts_content);
    RUN(rendering_uses_the_fixed_colours_whatever_the_order);
    RUN(batches_are_reproducible_stay_in_their_split_and_keep_the_ink_when_shifted);
    td_mnist_free(&data);
    return check_summary("test_mnist");
}
