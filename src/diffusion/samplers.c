// samplers.c - the name table, option checks, the shared helpers and the dispatch.
#include "diffusion/samplers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diffusion/parameterization.h"
#include "diffusion/samplers_internal.h"

static const td_sampler_info TABLE[TD_SAMPLER_COUNT] = {
    {TD_SAMPLER_DDPM, "ddpm", "DDPM ancestral sampling, posterior variance beta-tilde"},
    {TD_SAMPLER_DDPM_BETA, "ddpm-beta", "DDPM ancestral sampling, variance beta"},
    {TD_SAMPLER_DDIM, "ddim", "DDIM, eta 0 (deterministic) to 1 (as ddpm)"},
    {TD_SAMPLER_EM, "em", "reverse-time SDE, Euler-Maruyama"},
    {TD_SAMPLER_ODE_EULER, "ode-euler", "probability-flow ODE, Euler"},
    {TD_SAMPLER_ODE_HEUN, "ode-heun", "probability-flow ODE, Heun (2 evaluations per step)"},
    {TD_SAMPLER_PC, "pc", "predictor-corrector: reverse diffusion + Langevin"},
    {TD_SAMPLER_PC_EM, "pc-em", "predictor-corrector: Euler-Maruyama + Langevin"},
};

const td_sampler_info *td_sampler_table(void) { return TABLE; }

const char *td_sampler_name(td_sampler_kind kind) {
    return kind >= 0 && kind < TD_SAMPLER_COUNT ? TABLE[kind].name : "unknown";
}

const char *td_sampler_names(void) {
    return "ddpm, ddpm-beta, ddim, em, ode-euler, ode-heun, pc, pc-em";
}

td_sampler_kind td_sampler_from_name(const char *name) {
    for (int k = 0; name && k < TD_SAMPLER_COUNT; k++)
        if (strcmp(name, TABLE[k].name) == 0) return TABLE[k].kind;
    td_fail(TD_ERR_ARG, "unknown sampler \"%s\" (expected one of: %s)", name ? name : "(null)",
            td_sampler_names());
    return TD_SAMPLER_INVALID;
}

td_sampler_options td_sampler_options_default(void) {
    td_sampler_options o = {0.0, 0.16, 1, TD_GRID_LOG_SNR};
    return o;
}

long td_sampler_nfe(td_sampler_kind kind, int steps, const td_sampler_options *opts) {
    td_sampler_options o = opts ? *opts : td_sampler_options_default();
    if (steps < 1) return -1;
    switch (kind) {
    case TD_SAMPLER_DDPM:
    case TD_SAMPLER_DDPM_BETA:
    case TD_SAMPLER_DDIM:
    case TD_SAMPLER_EM:
    case TD_SAMPLER_ODE_EULER: return steps;
    case TD_SAMPLER_ODE_HEUN: return 2L * (steps - 1) + 1;
    case TD_SAMPLER_PC:
    case TD_SAMPLER_PC_EM: return (long)steps * (1 + o.corrector_steps);
    default: return -1;
    }
}

static td_status check_options(const td_sampler_options *o) {
    if (!(isfinite(o->eta) && o->eta >= 0.0 && o->eta <= 1.0))
        return td_fail(TD_ERR_ARG, "DDIM eta must lie in [0, 1], got %g", o->eta);
    if (!(isfinite(o->snr) && o->snr > 0.0))
        return td_fail(TD_ERR_ARG, "corrector snr must be positive and finite, got %g", o->snr);
    if (o->corrector_steps < 0 || o->corrector_steps > TD_SAMPLER_MAX_CORRECTOR_STEPS)
        return td_fail(TD_ERR_ARG, "corrector steps must lie in 0..%d, got %d",
                       TD_SAMPLER_MAX_CORRECTOR_STEPS, o->corrector_steps);
    if (o->grid != TD_GRID_UNIFORM && o->grid != TD_GRID_LOG_SNR)
        return td_fail(TD_ERR_ARG, "unknown time grid kind %d", (int)o->grid);
    return TD_OK;
}

td_status td_sampler_init_prior(const td_sde *sde, td_rng *rng, float *x, int n, int dim) {
    td_status st = td_sde_validate(sde);
    if (st != TD_OK) return st;
    if (!rng || !x) return td_fail(TD_ERR_ARG, "rng and sample buffer must not be NULL");
    if (n < 1 || dim < 1) return td_fail(TD_ERR_ARG, "need n >= 1 and dim >= 1, got %d and %d", n, dim);
    size_t count;
    if (td_mul_size((size_t)n, (size_t)dim, &count) != 0)
        return td_fail(TD_ERR_LIMIT, "sample buffer size overflows");
    float std = (float)td_sde_prior_std(sde);
    td_rng_fill_normal(rng, x, count);
    for (size_t i = 0; i < count; i++) x[i] *= std;
    return TD_OK;
}

// ---- helpers shared by the sampler files -----------------------------------

td_status td_sampling_predict(td_sampling *s, const float *x, double t, td_prediction to,
                              float *out) {
    td_status st = s->denoiser->predict(s->denoiser->ctx, x, s->n, s->dim, t, out);
    s->nfe++;
    if (st != TD_OK) return st;
    if (s->denoiser->kind == to) return TD_OK;
    return td_param_convert(s->denoiser->kind, to, x, out, s->count, td_sde_alpha(s->sde, t),
                            td_sde_sigma(s->sde, t), out);
}

td_status td_sampling_predict_x0_eps(td_sampling *s, const float *x, double t, float *x0,
                                     float *eps) {
    td_status st = s->denoiser->predict(s->denoiser->ctx, x, s->n, s->dim, t, x0);
    s->nfe++;
    if (st != TD_OK) return st;
    double alpha = td_sde_alpha(s->sde, t), sigma = td_sde_sigma(s->sde, t);
    // eps first: x0 still holds the raw prediction, converted in place after.
    st = td_param_convert(s->denoiser->kind, TD_PRED_EPS, x, x0, s->count, alpha, sigma, eps);
    if (st != TD_OK) return st;
    return td_param_convert(s->denoiser->kind, TD_PRED_X0, x, x0, s->count, alpha, sigma, x0);
}

td_status td_sampling_denoise(td_sampling *s, double t) {
    float *x0 = s->scratch[0];
    td_status st = td_sampling_predict(s, s->x, t, TD_PRED_X0, x0);
    if (st != TD_OK) return st;
    memcpy(s->x, x0, s->count * sizeof *x0);
    return TD_OK;
}

void td_sampling_record(td_sampling *s, int slice) {
    if (s->trajectory)
        memcpy(s->trajectory + (size_t)slice * s->count, s->x, s->count * sizeof *s->x);
}

void td_sampling_noise(td_sampling *s, float *z) { td_rng_fill_normal(s->rng, z, s->count); }

// ---- the entry point -------------------------------------------------------

td_status td_sampler_run(td_sampler_kind kind, const td_sde *sde, const td_denoiser *denoiser,
                         td_rng *rng, float *x, int n, int dim, int steps,
                         const td_sampler_options *opts, float *trajectory, long *nfe) {
    if (nfe) *nfe = 0;
    if (kind < 0 || kind >= TD_SAMPLER_COUNT)
        return td_fail(TD_ERR_ARG, "unknown sampler kind %d", (int)kind);
    td_status st = td_sde_validate(sde);
    if (st != TD_OK) return st;
    if (!denoiser || !denoiser->predict || (unsigned)denoiser->kind > TD_PRED_V)
        return td_fail(TD_ERR_ARG, "denoiser must have a predict function and a known kind");
    if (!rng || !x) return td_fail(TD_ERR_ARG, "rng and sample buffer must not be NULL");
    if (n < 1 || dim < 1) return td_fail(TD_ERR_ARG, "need n >= 1 and dim >= 1, got %d and %d", n, dim);
    if (steps < 1) return td_fail(TD_ERR_ARG, "steps must be positive, got %d", steps);
    if (steps > TD_SAMPLER_MAX_STEPS)
        return td_fail(TD_ERR_LIMIT, "%d steps exceed the cap of %d", steps, TD_SAMPLER_MAX_STEPS);
    td_sampler_options o = opts ? *opts : td_sampler_options_default();
    if ((st = check_options(&o)) != TD_OK) return st;
    size_t count, traj_count, scratch_bytes;
    if (td_mul_size((size_t)n, (size_t)dim, &count) != 0 ||
        td_mul_size(count, (size_t)steps + 1, &traj_count) != 0 ||
        td_mul_size(count, 3 * sizeof(float), &scratch_bytes) != 0)
        return td_fail(TD_ERR_LIMIT, "sampling buffers for %d x %d over %d steps overflow", n, dim, steps);

    double *t = malloc((size_t)steps * sizeof *t);
    float *scratch = malloc(scratch_bytes);
    if (!t || !scratch) {
        free(t);
        free(scratch);
        return td_fail(TD_ERR_NOMEM, "out of memory for sampling %d x %d", n, dim);
    }
    td_sampling s = {sde, denoiser, rng, x, n, dim, count, steps, t, o, trajectory, 0,
                     {scratch, scratch + count, scratch + 2 * count}};
    st = td_sde_time_grid(sde, steps, o.grid, t);
    if (st == TD_OK) {
        td_sampling_record(&s, 0);
        if (kind == TD_SAMPLER_DDPM || kind == TD_SAMPLER_DDPM_BETA || kind == TD_SAMPLER_DDIM)
            st = td_sampling_run_ancestral(&s, kind);
        else
            st = td_sampling_run_sde(&s, kind);
    }
    if (nfe) *nfe = s.nfe;
    free(t);
    free(scratch);
    return st;
}
