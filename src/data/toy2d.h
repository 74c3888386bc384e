// toy2d.h - the 2-D toy data sets: 8-Gaussian ring, two moons, swiss roll, checkerboard.
//
// Every sampler draws n points into out (n, 2), row-major (x0, y0, x1, y1, ...),
// from an explicit td_rng: the same seed gives the same points. Defaults, chosen
// so that every set sits inside the square [-4, 4]^2 that the page draws:
//
//   ring8         8 modes, weight exactly 1/8 each, centres on a circle of radius 2
//                 at angles 2 pi k / 8 (k = 0..7), isotropic std 0.02.
//   moons         sklearn's two half circles, doubled and centred: the noise-free
//                 curves fill x in [-3, 3], y in [-1.5, 1.5]; Gaussian noise std 0.1.
//   swissroll     (t cos t, t sin t) / 5 with t uniform in [1.5 pi, 4.5 pi] (uniform
//                 in t, not in arc length): radius from 0.94 to 2.83, x in [-1.90, 2.53],
//                 y in [-2.21, 2.83] (not centred); Gaussian noise std 0.1.
//   checkerboard  uniform on the 8 cells (r + c even) of a 4 x 4 board of 2 x 2
//                 cells covering [-4, 4)^2; no noise.
#ifndef TD_TOY2D_H
#define TD_TOY2D_H

#include "core/status.h"
#include "prob/rng.h"

enum { TD_RING8_MODES = 8 };

// The ring's geometry: 8 equally weighted isotropic Gaussians on a circle.
typedef struct {
    float radius;   // circle radius (default 2)
    float std;      // per-coordinate std of each mode (default 0.02)
} td_ring8;

// The default ring: radius 2, std 0.02.
td_ring8 td_ring8_default(void);

// Mode centres (8, 2): centre k at radius * (cos(2 pi k/8), sin(2 pi k/8)).
void td_ring8_centres(const td_ring8 *ring, float centres[2 * TD_RING8_MODES]);

// x (n, 2): pick a mode uniformly (td_rng_below), add N(0, std^2 I).
// Fails on n < 0, a non-finite or negative radius / std, or out == NULL with n > 0.
td_status td_ring8_sample(const td_ring8 *ring, td_rng *rng, float *out, int n);

// The ring sampler as a callback (ctx is a const td_ring8 *); it has the
// signature of td_sampler2d in prob/metrics.h, for drawing reference sets.
td_status td_ring8_sampler(void *ctx, td_rng *rng, float *out, int n);

// ---- the named sets, with their default parameters (for the CLI and the page) ----

typedef enum {
    TD_TOY_RING8 = 0,
    TD_TOY_MOONS,
    TD_TOY_SWISSROLL,
    TD_TOY_CHECKERBOARD,
    TD_TOY_COUNT
} td_toy_kind;

// "ring8", "moons", "swissroll", "checkerboard"; NULL for an invalid kind.
const char *td_toy_name(td_toy_kind kind);

// Look a set up by its name (exact, lower case). Unknown names fail with a
// message listing the valid ones.
td_status td_toy_parse(const char *name, td_toy_kind *kind);

// The noise-free support of the set as {xmin, xmax, ymin, ymax} (the ring's is
// the box through its centres). Noise may carry points a few std beyond it.
void td_toy_box(td_toy_kind kind, float box[4]);

// Std of the Gaussian noise added to the set (the ring's mode std; 0 for the
// checkerboard), so callers can pad td_toy_box.
float td_toy_noise(td_toy_kind kind);

// x (n, 2) drawn from the named set with its default parameters.
td_status td_toy_sample(td_toy_kind kind, td_rng *rng, float *out, int n);

// td_toy_sample as a callback (ctx is a const td_toy_kind *).
td_status td_toy_sampler(void *ctx, td_rng *rng, float *out, int n);

#endif
