// mixture.h - Gaussian mixtures with isotropic components: sampling, log-density,
// and the exact noised marginal and its score.
//
//   p(x) = sum_k w_k N(x; mu_k, s_k^2 I)            x in R^D
//
// Pushed through x_t = alpha x_0 + sigma eps the marginal is again a mixture, with
// means alpha mu_k and variances alpha^2 s_k^2 + sigma^2, so its score is exact:
//
//   grad log p_t(x) = sum_k r_k(x) (alpha mu_k - x) / (alpha^2 s_k^2 + sigma^2),
//
// r_k the posterior responsibilities (a softmax of the component log-densities).
// Offered as a td_denoiser of kind TD_PRED_SCORE, the exact score is the perfect
// network: samplers driven by it show discretisation error and nothing else.
#ifndef TD_MIXTURE_H
#define TD_MIXTURE_H

#include "core/status.h"
#include "diffusion/denoiser.h"
#include "diffusion/sde.h"
#include "prob/rng.h"

enum { TD_MIXTURE_MAX_COMPONENTS = 4096, TD_MIXTURE_MAX_DIM = 65536 };

typedef struct {
    int k, dim;
    double *weights;  // (k), normalised to sum 1
    double *means;    // (k, dim)
    double *stds;     // (k)
} td_mixture;

// Copy the parameters in; weights need not be normalised (non-negative, positive sum).
// TD_ERR_ARG for bad values, TD_ERR_LIMIT past the caps, TD_ERR_NOMEM.
td_status td_mixture_init(td_mixture *m, int k, int dim, const double *weights,
                          const double *means, const double *stds);

// `modes` equal-weight components at angles 2 pi k / modes on a circle of `radius`
// in 2-D (the toy data set: 8 modes, radius 2, std 0.02).
td_status td_mixture_init_ring(td_mixture *m, int modes, double radius, double std);

void td_mixture_free(td_mixture *m);

// x (n, dim) <- n independent draws.
td_status td_mixture_sample(const td_mixture *m, td_rng *rng, float *x, int n);

// log p(x) of the clean mixture at one point x (dim).
double td_mixture_log_density(const td_mixture *m, const double *x);

// log p_t(x) and its gradient for the mixture pushed through (alpha, sigma); sigma may
// be 0 (the clean mixture). `score` (dim) may be NULL; the log-density is returned.
double td_mixture_noised(const td_mixture *m, double alpha, double sigma, const double *x,
                         double *score);

// The exact score as a denoiser: ctx holds the mixture and the SDE whose alpha(t),
// sigma(t) noise it. Both must outlive the denoiser.
typedef struct {
    const td_mixture *mixture;
    const td_sde *sde;
} td_mixture_score;

td_denoiser td_mixture_score_denoiser(td_mixture_score *ctx);

#endif
