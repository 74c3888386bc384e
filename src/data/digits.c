// digits.c - coloured MNIST: split, colours, colouring and batches (see digits.h).
#include "data/digits.h"

#include <math.h>
#include <stddef.h>

// ---- the split: test when i % 10 == 0 -----------------------------------------

int td_digits_in_split(int index, td_split split) {
    if (index < 0) return 0;
    int is_test = index % 10 == 0;
    return split == TD_SPLIT_TEST ? is_test : !is_test;
}

int td_digits_split_count(int total, td_split split) {
    if (total <= 0) return 0;
    int test = (total + 9) / 10;   // indices 0, 10, 20, ... below total
    return split == TD_SPLIT_TEST ? test : total - test;
}

int td_digits_split_index(int k, td_split split) {
    if (split == TD_SPLIT_TEST) return 10 * k;
    return 10 * (k / 9) + k % 9 + 1;   // nine train images follow each test image
}

// ---- colours ------------------------------------------------------------------

static float clamp01(float v) { return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v; }

td_rgb td_rgb_from_hsv(float h, float s, float v) {
    h -= floorf(h);
    s = clamp01(s);
    v = clamp01(v);
    float h6 = h * 6.0f;
    int sector = (int)h6;
    if (sector > 5) sector = 5;   // h just below 1 may round up to 6
    float f = h6 - (float)sector;
    float p = v * (1.0f - s), q = v * (1.0f - s * f), t = v * (1.0f - s * (1.0f - f));
    switch (sector) {
    case 0: return (td_rgb){v, t, p};
    case 1: return (td_rgb){q, v, p};
    case 2: return (td_rgb){p, v, t};
    case 3: return (td_rgb){p, q, v};
    case 4: return (td_rgb){t, p, v};
    default: return (td_rgb){v, p, q};
    }
}

td_rgb td_color_random(td_rng *rng) {
    float h = (float)td_rng_uniform(rng);
    float s = 0.6f + 0.4f * (float)td_rng_uniform(rng);
    float v = 0.75f + 0.25f * (float)td_rng_uniform(rng);
    return td_rgb_from_hsv(h, s, v);
}

td_rgb td_color_fixed(uint64_t seed, int index) {
    td_rng rng;
    td_rng_seed(&rng, seed, (uint64_t)(uint32_t)index);
    return td_color_random(&rng);
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

td_status td_color_parse_hex(const char *text, td_rgb *out) {
    if (!text || !out) return td_fail(TD_ERR_ARG, "colour: no text or output given");
    int digits[6];
    int ok = text[0] == '#';
    for (int i = 0; ok && i < 6; i++) {
        digits[i] = hex_value(text[i + 1]);   // stops at the terminator: it is not hex
        ok = digits[i] >= 0;
    }
    if (!ok || text[7] != '\0')
        return td_fail(TD_ERR_ARG, "colour '%.40s' is not of the form #rrggbb (six hex digits)",
                       text);
    out->r = (float)(digits[0] * 16 + digits[1]) / 255.0f;
    out->g = (float)(digits[2] * 16 + digits[3]) / 255.0f;
    out->b = (float)(digits[4] * 16 + digits[5]) / 255.0f;
    return TD_OK;
}

void td_color_format_hex(td_rgb color, char out[8]) {
    static const char HEX[] = "0123456789abcdef";
    float channels[3] = {color.r, color.g, color.b};
    out[0] = '#';
    for (int c = 0; c < 3; c++) {
        float v = channels[c];
        if (!(v >= 0.0f)) v = 0.0f;   // NaN too
        int byte = (int)lroundf(clamp01(v) * 255.0f);
        out[1 + 2 * c] = HEX[byte >> 4];
        out[2 + 2 * c] = HEX[byte & 15];
    }
    out[7] = '\0';
}

// ---- images --------------------------------------------------------------------

static int clamp_shift(int s) {
    return s < -TD_DIGIT_MAX_SHIFT ? -TD_DIGIT_MAX_SHIFT
           : s > TD_DIGIT_MAX_SHIFT ? TD_DIGIT_MAX_SHIFT : s;
}

// gray (28, 28) -> out (28, 28, 3): out[y][x] = colour * gray[y - dy][x - dx] / 255.
void td_digit_colorize(const uint8_t *gray, td_rgb color, int dx, int dy, float *out) {
    dx = clamp_shift(dx);
    dy = clamp_shift(dy);
    const float scale = 1.0f / 255.0f;
    for (int y = 0; y < TD_MNIST_SIDE; y++) {
        for (int x = 0; x < TD_MNIST_SIDE; x++) {
            int sy = y - dy, sx = x - dx;
            float v = 0.0f;
            if (sy >= 0 && sy < TD_MNIST_SIDE && sx >= 0 && sx < TD_MNIST_SIDE)
                v = (float)gray[sy * TD_MNIST_SIDE + sx] * scale;
            float *px = out + 3 * (y * TD_MNIST_SIDE + x);
            px[0] = color.r * v;
            px[1] = color.g * v;
            px[2] = color.b * v;
        }
    }
}

// Write image k of a batch: pixels, label and colour (outputs may be NULL).
static void put_image(const td_mnist *m, int index, td_rgb color, int dx, int dy, int k,
                      float *images, int *labels, float *colors) {
    size_t slot = (size_t)k;
    if (images)
        td_digit_colorize(m->pixels + (size_t)index * TD_MNIST_PIXELS, color, dx, dy,
                          images + slot * TD_DIGIT_FLOATS);
    if (labels) labels[slot] = m->labels[index];
    if (colors) {
        colors[3 * slot] = color.r;
        colors[3 * slot + 1] = color.g;
        colors[3 * slot + 2] = color.b;
    }
}

td_status td_digits_render(const td_mnist *m, const int *indices, int n, uint64_t color_seed,
                           float *images, int *labels, float *colors) {
    if (!m || !m->pixels || n < 0 || (n > 0 && !indices))
        return td_fail(TD_ERR_ARG, "digits: render needs a data set and n >= 0 indices");
    for (int k = 0; k < n; k++) {
        if (indices[k] < 0 || indices[k] >= m->count)
            return td_fail(TD_ERR_ARG, "digits: index %d is outside 0..%d", indices[k],
                           m->count - 1);
    }
    for (int k = 0; k < n; k++)
        put_image(m, indices[k], td_color_fixed(color_seed, indices[k]), 0, 0, k, images, labels,
                  colors);
    return TD_OK;
}

td_status td_digits_sample_batch(const td_mnist *m, td_split split, int n, int max_shift,
                                 td_rng *rng, float *images, int *labels, float *colors) {
    if (!m || !m->pixels || !rng || n < 0)
        return td_fail(TD_ERR_ARG, "digits: a batch needs a data set, an rng and n >= 0");
    if (max_shift < 0 || max_shift > TD_DIGIT_MAX_SHIFT)
        return td_fail(TD_ERR_ARG, "digits: shift %d is outside 0..%d", max_shift,
                       TD_DIGIT_MAX_SHIFT);
    int available = td_digits_split_count(m->count, split);
    if (available <= 0)
        return td_fail(TD_ERR_ARG, "digits: the %s split of %d images is empty",
                       split == TD_SPLIT_TEST ? "test" : "train", m->count);
    uint32_t span = (uint32_t)(2 * max_shift + 1);
    for (int k = 0; k < n; k++) {
        int index = td_digits_split_index((int)td_rng_below(rng, (uint32_t)available), split);
        td_rgb color = td_color_random(rng);
        int dx = 0, dy = 0;
        if (max_shift > 0) {
            dx = (int)td_rng_below(rng, span) - max_shift;
            dy = (int)td_rng_below(rng, span) - max_shift;
        }
        put_image(m, index, color, dx, dy, k, images, labels, colors);
    }
    return TD_OK;
}
