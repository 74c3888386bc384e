// toy2d.c - the four 2-D toy sets, each a few lines of geometry over td_rng draws.
#include "data/toy2d.h"

#include <math.h>
#include <string.h>

static const double PI = 3.14159265358979323846;

static const float MOONS_NOISE = 0.1f;
static const float SWISSROLL_NOISE = 0.1f;

static td_status check_request(td_rng *rng, const float *out, int n) {
    if (n < 0) return td_fail(TD_ERR_ARG, "number of points must be >= 0, got %d", n);
    if (n > 0 && (!rng || !out)) return td_fail(TD_ERR_ARG, "points buffer or rng is NULL");
    return TD_OK;
}

// ---- ring8 ---------------------------------------------------------------------

td_ring8 td_ring8_default(void) {
    td_ring8 ring = {2.0f, 0.02f};
    return ring;
}

void td_ring8_centres(const td_ring8 *ring, float centres[2 * TD_RING8_MODES]) {
    for (int k = 0; k < TD_RING8_MODES; k++) {
        double angle = 2.0 * PI * k / TD_RING8_MODES;
        centres[2 * k] = (float)((double)ring->radius * cos(angle));
        centres[2 * k + 1] = (float)((double)ring->radius * sin(angle));
    }
}

// out (n, 2): a uniform mode index, then the mode's isotropic Gaussian.
td_status td_ring8_sample(const td_ring8 *ring, td_rng *rng, float *out, int n) {
    td_status status = check_request(rng, out, n);
    if (status != TD_OK) return status;
    if (!ring) return td_fail(TD_ERR_ARG, "ring parameters are NULL");
    if (!isfinite(ring->radius) || ring->radius < 0.0f || !isfinite(ring->std) || ring->std < 0.0f)
        return td_fail(TD_ERR_ARG, "ring radius and std must be finite and >= 0, got %g and %g",
                       (double)ring->radius, (double)ring->std);
    float centres[2 * TD_RING8_MODES];
    td_ring8_centres(ring, centres);
    size_t count = (size_t)n;
    for (size_t i = 0; i < count; i++) {
        uint32_t k = td_rng_below(rng, TD_RING8_MODES);
        out[2 * i] = centres[2 * k] + ring->std * (float)td_rng_normal(rng);
        out[2 * i + 1] = centres[2 * k + 1] + ring->std * (float)td_rng_normal(rng);
    }
    return TD_OK;
}

td_status td_ring8_sampler(void *ctx, td_rng *rng, float *out, int n) {
    return td_ring8_sample((const td_ring8 *)ctx, rng, out, n);
}

// ---- moons, swiss roll, checkerboard ----------------------------------------------

// sklearn's make_moons: the upper half circle (cos t, sin t) and the lower one
// (1 - cos t, 0.5 - sin t), t uniform in [0, pi]; then centred and doubled.
static void sample_moons(td_rng *rng, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double t = PI * td_rng_uniform(rng);
        double x, y;
        if (td_rng_below(rng, 2) == 0) {
            x = cos(t);
            y = sin(t);
        } else {
            x = 1.0 - cos(t);
            y = 0.5 - sin(t);
        }
        out[2 * i] = (float)(2.0 * (x - 0.5)) + MOONS_NOISE * (float)td_rng_normal(rng);
        out[2 * i + 1] = (float)(2.0 * (y - 0.25)) + MOONS_NOISE * (float)td_rng_normal(rng);
    }
}

// A spiral of 1.5 turns whose radius grows with the angle t.
static void sample_swissroll(td_rng *rng, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double t = 1.5 * PI * (1.0 + 2.0 * td_rng_uniform(rng));
        out[2 * i] = (float)(t * cos(t) / 5.0) + SWISSROLL_NOISE * (float)td_rng_normal(rng);
        out[2 * i + 1] = (float)(t * sin(t) / 5.0) + SWISSROLL_NOISE * (float)td_rng_normal(rng);
    }
}

// Column c uniform in 0..3, row r of the same parity (so r + c is even), then
// uniform inside the 2 x 2 cell: every one of the 8 cells has weight 1/8.
static void sample_checkerboard(td_rng *rng, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t c = td_rng_below(rng, 4);
        uint32_t r = 2u * td_rng_below(rng, 2) + (c & 1u);
        out[2 * i] = (float)(-4.0 + 2.0 * (c + td_rng_uniform(rng)));
        out[2 * i + 1] = (float)(-4.0 + 2.0 * (r + td_rng_uniform(rng)));
    }
}

// ---- the name table ------------------------------------------------------------

static const char *const NAMES[TD_TOY_COUNT] = {"ring8", "moons", "swissroll", "checkerboard"};

const char *td_toy_name(td_toy_kind kind) {
    return (unsigned)kind < TD_TOY_COUNT ? NAMES[kind] : NULL;
}

td_status td_toy_parse(const char *name, td_toy_kind *kind) {
    for (int k = 0; k < TD_TOY_COUNT; k++) {
        if (name && strcmp(name, NAMES[k]) == 0) {
            *kind = (td_toy_kind)k;
            return TD_OK;
        }
    }
    return td_fail(TD_ERR_ARG, "unknown data set '%.40s' (expected ring8, moons, swissroll or checkerboard)",
                   name ? name : "(null)");
}

void td_toy_box(td_toy_kind kind, float box[4]) {
    static const float BOXES[TD_TOY_COUNT][4] = {
        {-2.0f, 2.0f, -2.0f, 2.0f},     // ring8: through the centres
        {-3.0f, 3.0f, -1.5f, 1.5f},     // moons
        {-1.90f, 2.53f, -2.21f, 2.83f},  // swissroll: extremes of (t cos t, t sin t) / 5
        {-4.0f, 4.0f, -4.0f, 4.0f},     // checkerboard
    };
    int k = (unsigned)kind < TD_TOY_COUNT ? (int)kind : 0;
    memcpy(box, BOXES[k], sizeof BOXES[k]);
}

float td_toy_noise(td_toy_kind kind) {
    switch (kind) {
    case TD_TOY_RING8: return td_ring8_default().std;
    case TD_TOY_MOONS: return MOONS_NOISE;
    case TD_TOY_SWISSROLL: return SWISSROLL_NOISE;
    default: return 0.0f;
    }
}

td_status td_toy_sample(td_toy_kind kind, td_rng *rng, float *out, int n) {
    if (kind == TD_TOY_RING8) {
        td_ring8 ring = td_ring8_default();
        return td_ring8_sample(&ring, rng, out, n);
    }
    td_status status = check_request(rng, out, n);
    if (status != TD_OK) return status;
    switch (kind) {
    case TD_TOY_MOONS: sample_moons(rng, out, (size_t)n); return TD_OK;
    case TD_TOY_SWISSROLL: sample_swissroll(rng, out, (size_t)n); return TD_OK;
    case TD_TOY_CHECKERBOARD: sample_checkerboard(rng, out, (size_t)n); return TD_OK;
    default: return td_fail(TD_ERR_ARG, "unknown data set kind %d", (int)kind);
    }
}

td_status td_toy_sampler(void *ctx, td_rng *rng, float *out, int n) {
    if (!ctx) return td_fail(TD_ERR_ARG, "data set kind is NULL");
    return td_toy_sample(*(const td_toy_kind *)ctx, rng, out, n);
}
