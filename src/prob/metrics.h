// metrics.h - how good are 2-D samples? Mode metrics for a Gaussian ring, and
// two-sample distances (sliced Wasserstein-2, RBF MMD^2) with their noise floors.
//
// Points are float (n, 2), row-major. Every function is deterministic given its
// inputs and seeds, and rejects n <= 0, mismatched sizes and non-finite points
// (a diverged model's NaNs) with a message. A distance between finite samples is never exactly zero even
// when both come from the same distribution, so each distance is reported next to
// its noise floor: the same statistic between two independent true sample sets of
// the same size. A model is as good as the metric can tell when value ~ floor.
#ifndef TD_METRICS_H
#define TD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "prob/rng.h"

// Draws n points into out (n, 2) (e.g. td_toy_sampler, td_ring8_sampler).
typedef td_status (*td_sampler2d)(void *ctx, td_rng *rng, float *out, int n);

// ---- mode metrics for a ring of equally weighted isotropic Gaussians -------------

// The reference: k modes (centres (k, 2)), equal weights 1/k, std per coordinate.
typedef struct {
    const float *centres;
    int k;
    float std;
} td_mode_ref;

typedef struct {
    int modes_covered;        // modes holding >= 1% of all samples as high-quality samples
    int n_modes;
    double hq_fraction;       // fraction with Mahalanobis distance to the nearest mode < 3
    double mode_kl;           // KL(histogram of nearest modes over HQ samples || uniform), nats;
                              // NaN when no sample is high quality
    double mean_log_density;  // mean over samples of log p(x) under the true mixture, nats
} td_mode_metrics;

// Mahalanobis distance to a mode is |x - mu| / std. For exact samples the HQ
// fraction tends to P(chi^2_2 < 9) = 1 - exp(-4.5) = 0.98889 (td_metrics_hq_ceiling).
// With every mode hit equally often the KL is 0; with 7 of 8 modes equally hit it
// is log(8/7) = 0.134. Cost O(n k).
td_status td_metrics_modes(const float *x, int n, const td_mode_ref *ref, td_mode_metrics *out);

double td_metrics_hq_ceiling(void);

// ---- two-sample distances -----------------------------------------------------

typedef struct {
    int sw_projections;     // sliced W2: number of directions (default 64)
    int mmd_subsample;      // MMD: points used from each set (default 2000)
    float mmd_bandwidth;    // RBF bandwidth h; 0 = median heuristic (default 0)
    uint64_t seed;          // directions, subsets, reference and floor draws (default 1)
} td_metrics_config;

td_metrics_config td_metrics_config_default(void);

// Sliced Wasserstein-2 between x (nx, 2) and y (ny, 2); sizes must be equal:
//   SW2 = sqrt( (1/L) sum_l W2^2(<x, theta_l>, <y, theta_l>) ),
// with the 1-D W2^2 of equal-size samples computed exactly as the mean squared
// difference of the sorted projections. The L directions theta_l = (cos a_l,
// sin a_l), a_l = pi (l + u) / L with one uniform u from `seed`: evenly spread
// over the half circle (a direction and its opposite give the same W2), randomly
// rotated - a stratified Monte Carlo estimate of the integral over directions,
// with less variance than independent angles. Units: those of the points.
// For well separated modes the floor is dominated by the per-mode counts, which
// differ by ~sqrt(n / k) between two true sets; that mass has to travel to a
// neighbouring mode (the 8-ring's floor at n = 10,000 is ~0.1). Cost
// O(L n log n); about 0.1 s at n = 10,000, L = 64.
td_status td_metrics_sliced_w2(const float *x, int nx, const float *y, int ny,
                               const td_metrics_config *config, double *sw2);

// Median heuristic: h = median pairwise distance among the first min(n, 500)
// points of x (NaN-free, > 0 unless those points coincide; then 1).
td_status td_metrics_median_bandwidth(const float *x, int n, float *bandwidth);

// Biased (V-statistic) RBF MMD^2 between x (nx, 2) and y (ny, 2); sizes must be equal
// (so that value and floor are comparable):
//   MMD^2 = mean k(x_i, x_j) + mean k(y_i, y_j) - 2 mean k(x_i, y_j)  (all i, j),
//   k(a, b) = exp(-|a - b|^2 / (2 h^2)).
// The squared RKHS distance between the two empirical distributions: always >= 0,
// and even for identical distributions about 2 (1 - E k) / m, hence the floor.
// When n > config->mmd_subsample, the same m = mmd_subsample rows of each set are drawn
// without replacement (seeded) - O(m^2) kernel evaluations instead of O(n^2);
// about 0.06 s at m = 2000. h is config->mmd_bandwidth, or the median heuristic on
// y (the reference) when that is 0; the h used is stored in *bandwidth_used
// (may be NULL).
td_status td_metrics_mmd2(const float *x, int nx, const float *y, int ny,
                          const td_metrics_config *config, double *mmd2, float *bandwidth_used);

// The noise floors: draw two independent sets of n points with `sample` (rng
// seeded from config->seed, streams 101 and 102) and measure SW2 and MMD^2
// between them with the same config. Either output may be NULL.
td_status td_metrics_floor(td_sampler2d sample, void *ctx, int n, const td_metrics_config *config,
                           double *sw2_floor, double *mmd2_floor);

// ---- everything at once (the CLI's `eval`, the page's metrics panel) -------------

typedef struct {
    int n;                    // samples evaluated
    int has_modes;            // the mode metrics below are filled in
    td_mode_metrics modes;
    double ref_log_density;   // mean log-density of a true set of n: what to compare against
    double sw2, sw2_floor;
    double mmd2, mmd2_floor;
    float mmd_bandwidth;
} td_metrics;

// Evaluate x (n, 2) against the true distribution given by `sample` (drawing a
// reference set and the floor's second set), and against `modes` when not NULL.
// `config` may be NULL for the defaults. n must be >= 2.
td_status td_metrics_evaluate(const float *x, int n, td_sampler2d sample, void *ctx,
                              const td_mode_ref *modes, const td_metrics_config *config,
                              td_metrics *out);

// A short text block, one metric per line, e.g.
//   samples           10000
//   modes covered     8 / 8
//   high quality      98.84%  (ceiling 98.89%)
//   ...
// Fails with TD_ERR_LIMIT (and an empty string) when `cap` is too small; 512 is enough.
td_status td_metrics_format(const td_metrics *m, char *buf, size_t cap);

#endif
