// loss.h - the training side of diffusion: draw t, noise x_0 into x_t, and the
// regression target and loss weight for each parameterisation.
//
//   x_t = alpha(t) x_0 + sigma(t) eps,  eps ~ N(0, I)
//   targets:  eps | x0 | score = -eps / sigma | v = alpha eps - sigma x0
//
// The weights make every parameterisation's squared error equal to the eps error
// (Ho et al.'s "simple" loss) for the same implied eps prediction:
//   eps: 1,   x0: alpha^2 / sigma^2 (the SNR),   score: sigma^2,
//   v: alpha^2 / (alpha^2 + sigma^2)^2   (alpha^2 on VP, where alpha^2 + sigma^2 = 1).
// So a score net with weight sigma^2 (Song et al.'s lambda) and an eps net train the same
// objective: the two models differ by the known scale -1/sigma.
#ifndef TD_LOSS_H
#define TD_LOSS_H

#include "core/status.h"
#include "diffusion/denoiser.h"
#include "diffusion/sde.h"
#include "prob/rng.h"

// A training time: uniform on [t_eps, 1], or on a DDPM schedule a uniform step i in
// 1..N returned as t = i / N (the network sees t; i = t N).
double td_loss_draw_t(const td_sde *sde, td_rng *rng);

// The target in form `param` for one element, given x0, eps, alpha and sigma.
double td_loss_target(td_prediction param, double x0, double eps, double alpha, double sigma);

// The weight above for form `param` at (alpha, sigma).
double td_loss_weight(td_prediction param, double alpha, double sigma);

// One training batch from clean rows x0 (n, dim):
//   t (n)          per-row time from td_loss_draw_t, as the network will read it
//   eps (n, dim)   the noise drawn (may be NULL when the caller does not need it)
//   x_t (n, dim)   alpha(t) x0 + sigma(t) eps, with alpha and sigma taken at the float t
//   target (n, dim), weight (n)   as above for `param`
// Draws per row: t first, then its dim normals, so the same seed gives the same batch.
td_status td_loss_make_batch(const td_sde *sde, td_prediction param, td_rng *rng,
                             const float *x0, int n, int dim, float *t, float *eps,
                             float *x_t, float *target, float *weight);

// L = (1 / (n dim)) sum_i weight_i |pred_i - target_i|^2 over pred, target (n, dim);
// weight (n) NULL means 1. grad (n, dim) = dL/dpred when not NULL.
double td_loss_weighted_mse(const float *pred, const float *target, const float *weight,
                            int n, int dim, float *grad);

#endif
