// sde.h - the forward noising process: dx = f(t) x dt + g(t) dW for t in [0, 1].
//
// Every kind has a Gaussian marginal x_t | x_0 ~ N(alpha(t) x_0, sigma(t)^2 I),
// so one struct serves training (make x_t), samplers (f, g, alpha, sigma) and the
// exact score of a noised mixture. With B(t) = int_0^t beta(u) du:
//
//   VP      beta(t) = beta_min + t (beta_max - beta_min)   (defaults 0.1, 20)
//           f = -beta/2, g = sqrt(beta), alpha = exp(-B/2), sigma^2 = 1 - exp(-B)
//   sub-VP  f = -beta/2, g^2 = beta (1 - exp(-2B)), alpha = exp(-B/2), sigma = 1 - exp(-B)
//   VE      f = 0, alpha = 1, sigma(t) = sigma_min (sigma_max / sigma_min)^t,
//           g = sigma(t) sqrt(2 ln(sigma_max / sigma_min)). sigma(0) = sigma_min, so the
//           VE "data" carry sigma_min of noise at t = 0, as in Song et al. (2021).
//   DDPM    a discrete schedule beta_1..beta_N (Ho et al. linear, Nichol-Dhariwal cosine)
//           is the VP kind with a piecewise-constant beta:
//               beta(t) = -N log(1 - beta_i)   for t in ((i-1)/N, i/N].
//           Then alpha(i/N)^2 = prod_{j<=i} (1 - beta_j) = alpha_bar_i exactly, and since
//           -N log(1 - beta_i) -> N beta_i as N grows, the linear schedule's limit is the
//           continuous VP with beta_min = N beta_1, beta_max = N beta_N (0.1 and 20 for
//           DDPM's 1e-4 .. 0.02 at N = 1000): DDPM is a discretisation of the VP SDE.
//
// Samplers run from t = 1 down to t_eps (never exactly 0, where the score of sharp data
// blows up) and finish with one denoising step. Defaults: t_eps = 1e-3 for VP and
// sub-VP (sigma(t_eps) ~ 0.0105), 1e-5 for VE (sigma ~ sigma_min), 1/N for DDPM
// (the schedule's first step).
#ifndef TD_SDE_H
#define TD_SDE_H

#include "core/status.h"
#include "prob/rng.h"

typedef enum {
    TD_SDE_VP = 0,
    TD_SDE_SUBVP,
    TD_SDE_VE,
    TD_SDE_DDPM,  // discrete schedule, see above
} td_sde_kind;

typedef enum {
    TD_SCHEDULE_LINEAR = 0,  // beta_i linear from beta_start (i = 1) to beta_end (i = N)
    TD_SCHEDULE_COSINE,      // alpha_bar_i = f(i/N) / f(0), f(t) = cos^2((t + s)/(1 + s) pi/2)
} td_schedule_kind;

enum { TD_SDE_MAX_STEPS = 100000 };  // cap on a discrete schedule's N

typedef struct {
    td_sde_kind kind;
    double beta_min, beta_max;    // VP, sub-VP
    double sigma_min, sigma_max;  // VE
    td_schedule_kind schedule;    // DDPM
    int num_steps;                // DDPM: N
    double beta_start, beta_end;  // DDPM linear: beta_1, beta_N
    double cosine_offset;         // DDPM cosine: s (0.008)
    double t_eps;                 // samplers stop here, then denoise
} td_sde;

// Constructors with the defaults above (check the result with td_sde_validate).
td_sde td_sde_vp(double beta_min, double beta_max);
td_sde td_sde_subvp(double beta_min, double beta_max);
td_sde td_sde_ve(double sigma_min, double sigma_max);
td_sde td_sde_ddpm_linear(int num_steps, double beta_start, double beta_end);
td_sde td_sde_ddpm_cosine(int num_steps);

// "vp", "subvp", "ve" (sigma_max 10), "ddpm-linear" (N 1000), "ddpm-cosine" (N 1000).
td_status td_sde_from_name(const char *name, td_sde *out);
const char *td_sde_name(const td_sde *sde);

// TD_OK, or TD_ERR_ARG with a reason for out-of-range parameters.
td_status td_sde_validate(const td_sde *sde);

// Coefficients at time t in [0, 1] (t is clamped into that range).
double td_sde_drift(const td_sde *sde, double t);      // f(t): the drift is f(t) x
double td_sde_diffusion(const td_sde *sde, double t);  // g(t)
double td_sde_alpha(const td_sde *sde, double t);      // mean scale
double td_sde_sigma(const td_sde *sde, double t);      // marginal std
double td_sde_snr(const td_sde *sde, double t);        // alpha^2 / sigma^2

// Std of the prior samplers start from: 1 for VP, sub-VP and DDPM, sigma_max for VE.
double td_sde_prior_std(const td_sde *sde);

// DDPM kind only: beta_i and alpha_bar_i = prod_{j<=i} (1 - beta_j), i in [0, N]
// (beta_0 = 0, alpha_bar_0 = 1).
double td_sde_discrete_beta(const td_sde *sde, int i);
double td_sde_discrete_alpha_bar(const td_sde *sde, int i);

// The continuous VP that a linear DDPM schedule discretises: beta_min = N beta_1,
// beta_max = N beta_N. TD_ERR_ARG for other kinds.
td_status td_sde_continuous_limit(const td_sde *ddpm, td_sde *out);

// How a sampling grid spaces its points between t = 1 and t_eps.
typedef enum {
    TD_GRID_UNIFORM = 0,  // uniform in t (Ho et al., Song et al.; DDIM's strided steps)
    TD_GRID_LOG_SNR,      // uniform in log SNR(t) (as DPM-Solver): on VP it puts far more
                          // points near t = 0, where sharp data need them; on VE it is
                          // the same as uniform (log SNR is linear in t there)
} td_time_grid;

// The sampling grid: t[0] = 1 > t[1] > ... > t[steps-1] = t_eps (one point, t = 1,
// when steps == 1). On a DDPM schedule the points are integer steps i/N from N down to
// the step nearest t_eps, so fewer steps than N stride through the schedule and
// steps == N visits every step. TD_ERR_ARG when steps < 1, or when steps exceed the
// schedule's steps.
td_status td_sde_time_grid(const td_sde *sde, int steps, td_time_grid grid, double *t);

#endif
