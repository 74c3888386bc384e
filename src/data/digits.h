// digits.h - coloured MNIST: the fixed train/test split, the colour
// distribution, colouring, and batch assembly.
//
// Split (fixed, documented): image i of the cache is a TEST image when
// i % 10 == 0, a TRAIN image otherwise. The cache is sorted by class, so every
// class gives about a tenth of its images to the test split: 1,000 test images
// (101 / 112 / 99 / 104 / 98 / 86 / 101 / 107 / 95 / 97 for classes 0..9) and
// 9,000 train images.
//
// Colour distribution (td_color_random): hue uniform in [0, 1), saturation
// uniform in [0.6, 1], value uniform in [0.75, 1], converted HSV -> RGB. So
// every colour is vivid and bright enough to read on black; the darkest channel
// maximum is 0.75.
//
// Colouring: pixel (y, x) = colour * intensity(y, x) / 255 per channel, on a
// black background. Images are 28 x 28 x 3, HWC (channel fastest), float in
// [0, 1]: image (B, 28, 28, 3) in batches.
//
// Fixed colours: the evaluation colours test (and train) images
// deterministically: image i under seed s gets the first td_color_random draw
// of td_rng_seed(s, stream = i), independent of batching and order.
#ifndef TD_DIGITS_H
#define TD_DIGITS_H

#include <stdint.h>

#include "core/status.h"
#include "data/mnist.h"
#include "prob/rng.h"

// The seed that colours the test split (td_color_fixed) in every evaluation:
// the classifier's accuracy, the Frechet distance's reference set.
#define TD_DIGITS_EVAL_COLOR_SEED 20240611u

enum {
    TD_DIGIT_CHANNELS = 3,
    TD_DIGIT_FLOATS = 28 * 28 * 3,   // one coloured image
    TD_DIGIT_MAX_SHIFT = 4,          // augmentation cap (pixels)
};

typedef enum { TD_SPLIT_TRAIN = 0, TD_SPLIT_TEST = 1 } td_split;

typedef struct {
    float r, g, b;   // each in [0, 1]
} td_rgb;

// ---- the split ---------------------------------------------------------------

// 1 when cache image `index` belongs to `split`, else 0.
int td_digits_in_split(int index, td_split split);

// Number of images of `split` among the first `total` of the cache.
int td_digits_split_count(int total, td_split split);

// The cache index of the k-th image (k >= 0) of `split`, in cache order.
int td_digits_split_index(int k, td_split split);

// ---- colours -----------------------------------------------------------------

// HSV -> RGB; h in [0, 1) (wrapped), s and v clamped to [0, 1].
td_rgb td_rgb_from_hsv(float h, float s, float v);

// One draw of the documented colour distribution (three uniforms, h then s then v).
td_rgb td_color_random(td_rng *rng);

// The fixed colour of cache image `index` under `seed` (see above).
td_rgb td_color_fixed(uint64_t seed, int index);

// Parse exactly "#rrggbb" (7 characters, hex digits of either case). Anything
// else fails with TD_ERR_ARG and a sentence quoting the text.
td_status td_color_parse_hex(const char *text, td_rgb *out);

// Format as "#rrggbb" (lower case; channels clamped to [0, 1] and rounded).
void td_color_format_hex(td_rgb color, char out[8]);

// ---- images ------------------------------------------------------------------

// gray (28, 28) uint8 -> out (28, 28, 3) = colour * gray / 255, shifted by
// (dx, dy) pixels (content moves right / down for positive values; uncovered
// pixels are black). |dx|, |dy| <= TD_DIGIT_MAX_SHIFT (larger values are clamped).
void td_digit_colorize(const uint8_t *gray, td_rgb color, int dx, int dy, float *out);

// Render the cache images indices[0..n) in their fixed colours under
// color_seed: images (n, 28, 28, 3), labels (n) and colors (n, 3) (either may be
// NULL). Fails on a bad index or n < 0.
td_status td_digits_render(const td_mnist *m, const int *indices, int n, uint64_t color_seed,
                           float *images, int *labels, float *colors);

// A training batch: n images drawn uniformly (with replacement) from `split`,
// each in a fresh td_color_random colour and shifted by dx, dy uniform in
// [-max_shift, max_shift] (0 for none). Outputs as in td_digits_render. Draw
// order per image: index, colour (h, s, v), dx, dy (when max_shift > 0).
td_status td_digits_sample_batch(const td_mnist *m, td_split split, int n, int max_shift,
                                 td_rng *rng, float *images, int *labels, float *colors);

#endif
