// map1d.h - the blog's opening picture: sampling is a learned transformation.
// A small monotone map f carries N(0, 1) onto a bimodal 1-D target, learned
// from samples alone, and is compared with the exact map F_target^-1(Phi(x)).
//
// The target is a two-component Gaussian mixture (default 0.5 N(-2, 0.5^2) +
// 0.5 N(2, 0.5^2)); its CDF is a weighted sum of normal CDFs and its inverse is
// found by bisection (the CDF is continuous and strictly increasing).
//
// The map is monotone by construction, a positive combination of tanh ramps
//   f(x) = b + sum_k softplus(a_k) tanh(softplus(u_k) x + c_k),   k < K,
// so f'(x) = sum_k softplus(a_k) softplus(u_k) (1 - tanh^2(.)) > 0 for every
// weight value: it is always a bijection onto its range, as a transport map
// must be, and a sum of tanh ramps can make the steep step between two modes.
//
// Training is 1-D optimal transport from samples: draw B z ~ N(0, 1) and B y
// from the target, sort both, and regress f(z_(i)) onto y_(i) (mean squared
// error). In 1-D the monotone coupling of sorted samples is the optimal one and
// its population limit is exactly F^-1(Phi(z)), so the loss's minimiser is the
// true map. Parameters live in a td_params ("map.a", "map.u", "map.c", "map.b")
// and are trained with AdamW like every other model.
#ifndef TD_MAP1D_H
#define TD_MAP1D_H

#include "core/status.h"
#include "io/safetensors.h"
#include "models/checkpoint.h"
#include "nn/adamw.h"
#include "nn/params.h"
#include "prob/rng.h"

// ---- the target ---------------------------------------------------------------------

typedef struct {
    double weight[2];   // non-negative, sum 1
    double mean[2];
    double std[2];      // > 0
} td_mix1d;

// 0.5 N(-2, 0.5^2) + 0.5 N(2, 0.5^2).
td_mix1d td_mix1d_default(void);

// TD_ERR_ARG unless weights are finite, non-negative and sum to 1 (within 1e-9),
// means finite and stds finite and positive.
td_status td_mix1d_check(const td_mix1d *m);

double td_mix1d_pdf(const td_mix1d *m, double y);
double td_mix1d_cdf(const td_mix1d *m, double y);

// F^-1(p) by bisection to double precision; -inf / +inf at p = 0 / 1, NaN outside [0, 1].
double td_mix1d_icdf(const td_mix1d *m, double p);

// y (n) <- n draws (a component by its weight, then a normal draw).
void td_mix1d_sample(const td_mix1d *m, td_rng *rng, float *y, int n);

// The exact transport map from N(0, 1): T(x) = F^-1(Phi(x)).
double td_mix1d_transport(const td_mix1d *m, double x);

// ---- the learned map ----------------------------------------------------------------

enum { TD_MAP1D_MAX_UNITS = 4096 };

typedef struct {
    int units;           // K
    td_params params;    // owned
    size_t a, u, c, b;   // offsets: a (K), u (K), c (K), b (1)
} td_map1d;

// K units (1..TD_MAP1D_MAX_UNITS); a, u, c drawn N(0, 1) from rng, b = 0.
td_status td_map1d_init(td_map1d *m, int units, td_rng *rng);
void td_map1d_free(td_map1d *m);

// y (n) = f(x (n)). y may alias x.
void td_map1d_eval(const td_map1d *m, const float *x, float *y, int n);

// Mean squared error of f(x) against target (both (n)); when `backward`,
// ACCUMULATES its gradient into m->params.grad. TD_ERR_ARG for n <= 0.
td_status td_map1d_loss(td_map1d *m, const float *x, const float *target, int n, int backward,
                        double *loss);

typedef struct {
    int steps;        // optimiser steps (default 2000)
    int batch;        // sorted pairs per step (default 1024)
    float lr;         // peak AdamW learning rate, cosine-decayed to 0 (default 2e-2)
} td_map1d_train_config;

td_map1d_train_config td_map1d_train_defaults(void);

// Train from samples of `target` (the sort-and-regress scheme above), drawing
// from rng. *final_loss (may be NULL) receives the mean loss of the last 10% of
// steps. TD_ERR_ARG for a bad config or target; TD_ERR_NOMEM.
td_status td_map1d_train(td_map1d *m, const td_mix1d *target, const td_map1d_train_config *cfg,
                         td_rng *rng, double *final_loss);

// The page's plot: x (n) evenly spaced on [lo, hi] (endpoints included, n >= 2),
// learned (n) = f(x) and exact (n) = T(x); either output may be NULL.
td_status td_map1d_curves(const td_map1d *m, const td_mix1d *target, double lo, double hi, int n,
                          float *x, float *learned, float *exact);

// Max and mean of |f(x) - T(x)| over n evenly spaced x in [lo, hi].
td_status td_map1d_error(const td_map1d *m, const td_mix1d *target, double lo, double hi, int n,
                         double *max_err, double *mean_err);

// ---- checkpoints: kind "map1d", metadata "units" and the target's weight0/1, mean0/1, std0/1 --

#define TD_MAP1D_KIND "map1d"

td_status td_map1d_save(const td_map1d *m, const td_mix1d *target, const char *path,
                        const td_meta_list *extra, td_dtype dtype);
// Rebuild the map and its target (both checked) from a parsed checkpoint.
td_status td_map1d_load(td_map1d *m, td_mix1d *target, const td_safetensors *st);

#endif
