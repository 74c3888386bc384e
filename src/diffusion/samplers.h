// samplers.h - from the prior to data: every sampler takes an SDE, a denoiser and an RNG.
//
// Samplers never touch network code: they call td_denoiser.predict and convert its
// output with diffusion/parameterization.h. They share one time grid (sde.h):
//
//   t[0] = 1 > t[1] > ... > t[steps-1] = t_eps, then a final step to t = 0
//
// Each of the first steps-1 updates moves x from t[k] to t[k+1] by the sampler's rule;
// the last update is Tweedie's denoising step x0 = E[x_0 | x_{t_eps}] = (x - sigma eps)/alpha
// from the prediction at t_eps, with no noise added. That is exactly DDPM's last step
// (from i = 1, z = 0) and the "denoise" of Song et al. (2021); it matters for sharp
// data such as the 8-mode ring (std 0.02), whose score grows like 1/sigma^2 near t = 0.
//
//   ddpm       ancestral sampling, posterior variance beta-tilde (Ho et al. 2020), using
//              the exact transition x_t | x_s ~ N(alpha_t/alpha_s x_s, sigma_{t|s}^2 I)
//              between grid points, so it also runs on VP, sub-VP and VE SDEs
//   ddpm-beta  the same with variance sigma_{t|s}^2 (beta_t on a DDPM schedule)
//   ddim       DDIM (Song, Meng, Ermon 2021) with eta in [0, 1]: 0 deterministic,
//              1 equals ddpm
//   em         reverse-time SDE, Euler-Maruyama
//   ode-euler  probability-flow ODE, Euler
//   ode-heun   probability-flow ODE, Heun (2nd order, two evaluations per step)
//   pc         predictor-corrector (Song et al. 2021): reverse-diffusion predictor and
//              `corrector_steps` Langevin corrector steps at each grid point, step size
//              set by `snr`
//   pc-em      the same with an Euler-Maruyama predictor
//
// On a DDPM schedule (sde kind TD_SDE_DDPM) the grid is integer steps; steps == N is
// the original DDPM, fewer steps stride through the schedule. On continuous SDEs the
// same rules use alpha(t), sigma(t) at the grid times.
//
// The default grid is uniform in log SNR, not in t: on VP with the sharp ring, uniform t
// leaves the last step spanning sigma 0.047 -> 0.0105, and at 100 steps the stochastic
// samplers (ddpm-beta, em, pc) then put only 58-71% of samples within 3 std of a mode,
// against 99% on the log-SNR grid (test_samplers prints both). TD_GRID_UNIFORM gives
// the papers' grids.
#ifndef TD_SAMPLERS_H
#define TD_SAMPLERS_H

#include "core/status.h"
#include "diffusion/denoiser.h"
#include "diffusion/sde.h"
#include "prob/rng.h"

typedef enum {
    TD_SAMPLER_INVALID = -1,
    TD_SAMPLER_DDPM = 0,
    TD_SAMPLER_DDPM_BETA,
    TD_SAMPLER_DDIM,
    TD_SAMPLER_EM,
    TD_SAMPLER_ODE_EULER,
    TD_SAMPLER_ODE_HEUN,
    TD_SAMPLER_PC,
    TD_SAMPLER_PC_EM,
    TD_SAMPLER_COUNT
} td_sampler_kind;

enum { TD_SAMPLER_MAX_STEPS = 100000, TD_SAMPLER_MAX_CORRECTOR_STEPS = 100 };

typedef struct {
    double eta;           // ddim: noise scale in [0, 1] (default 0)
    double snr;           // pc, pc-em: Langevin signal-to-noise ratio > 0 (default 0.16)
    int corrector_steps;  // pc, pc-em: Langevin steps per grid point, 0..100 (default 1)
    td_time_grid grid;    // spacing of the grid (default TD_GRID_LOG_SNR, see sde.h)
} td_sampler_options;

td_sampler_options td_sampler_options_default(void);

// One row of the name table, for --help and the page's menu.
typedef struct {
    td_sampler_kind kind;
    const char *name;
    const char *summary;
} td_sampler_info;

// The whole table (TD_SAMPLER_COUNT rows, in enum order).
const td_sampler_info *td_sampler_table(void);

// The kind called `name`, or TD_SAMPLER_INVALID with a reason listing the names.
td_sampler_kind td_sampler_from_name(const char *name);
const char *td_sampler_name(td_sampler_kind kind);

// All names separated by ", " (a static string), for usage messages.
const char *td_sampler_names(void);

// Network evaluations one run costs: steps for ddpm, ddpm-beta, ddim, em, ode-euler;
// 2 (steps - 1) + 1 for ode-heun; steps (1 + corrector_steps) for pc and pc-em.
// -1 for an invalid kind or steps < 1.
long td_sampler_nfe(td_sampler_kind kind, int steps, const td_sampler_options *opts);

// x (n, dim) <- n draws from the SDE's prior N(0, prior_std^2 I).
td_status td_sampler_init_prior(const td_sde *sde, td_rng *rng, float *x, int n, int dim);

// Run `kind` for `steps` grid points on x (n, dim), which holds prior draws on entry
// (td_sampler_init_prior) and the samples on return. `opts` NULL means the defaults.
// `trajectory` (steps + 1, n, dim), when not NULL, receives x before the first update
// and after each update (its last slice equals the samples). `nfe`, when not NULL,
// receives the number of denoiser calls made. The denoiser's own failure is passed on.
td_status td_sampler_run(td_sampler_kind kind, const td_sde *sde, const td_denoiser *denoiser,
                         td_rng *rng, float *x, int n, int dim, int steps,
                         const td_sampler_options *opts, float *trajectory, long *nfe);

#endif
