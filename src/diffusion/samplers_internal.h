// samplers_internal.h - the state one sampling run shares between the sampler files.
// Not part of the public API: include diffusion/samplers.h instead.
#ifndef TD_SAMPLERS_INTERNAL_H
#define TD_SAMPLERS_INTERNAL_H

#include <stddef.h>

#include "diffusion/samplers.h"

typedef struct {
    const td_sde *sde;
    const td_denoiser *denoiser;
    td_rng *rng;
    float *x;              // (n, dim), updated in place
    int n, dim;
    size_t count;          // n * dim
    int steps;
    const double *t;       // the grid (steps)
    td_sampler_options opts;
    float *trajectory;     // (steps + 1, n, dim) or NULL
    long nfe;
    float *scratch[3];     // (n, dim) each
} td_sampling;

// One denoiser call on `x` at time t, written to out in form `to` (out may not alias x).
td_status td_sampling_predict(td_sampling *s, const float *x, double t, td_prediction to,
                              float *out);

// One call giving both x0 and eps at (x, t).
td_status td_sampling_predict_x0_eps(td_sampling *s, const float *x, double t, float *x0,
                                     float *eps);

// Tweedie's final step at t: x <- E[x_0 | x_t], from one denoiser call.
td_status td_sampling_denoise(td_sampling *s, double t);

// Copy s->x into trajectory slice `slice` (no-op without a trajectory).
void td_sampling_record(td_sampling *s, int slice);

// z (count) <- N(0, 1) draws.
void td_sampling_noise(td_sampling *s, float *z);

// The family runners (samplers_ddpm.c, samplers_sde.c); s->x holds the prior on entry.
td_status td_sampling_run_ancestral(td_sampling *s, td_sampler_kind kind);
td_status td_sampling_run_sde(td_sampling *s, td_sampler_kind kind);

#endif
