// denoiser.h - the one interface between samplers and whatever predicts noise.
//
// A sampler never touches network code: it asks a td_denoiser for a prediction
// at (x_t, t) and converts it to what it needs with the functions in
// diffusion/parameterization.h. A trained network, the exact score of a
// Gaussian mixture, and a guided mix of conditional predictions are all
// denoisers.
#ifndef TD_DENOISER_H
#define TD_DENOISER_H

#include "core/status.h"

typedef enum {
    TD_PRED_EPS = 0,  // the noise eps in x_t = alpha x_0 + sigma eps
    TD_PRED_X0,       // the clean sample x_0
    TD_PRED_SCORE,    // grad_x log p_t(x)
    TD_PRED_V,        // v = alpha eps - sigma x_0
} td_prediction;

typedef struct {
    td_prediction kind;
    // x (n, dim) at time t (every row shares t) -> out (n, dim), in `kind` form.
    td_status (*predict)(void *ctx, const float *x, int n, int dim, double t, float *out);
    void *ctx;
} td_denoiser;

#endif
