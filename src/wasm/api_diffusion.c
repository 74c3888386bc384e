// api_diffusion.c - the page's binding for SDEs, Gaussian mixtures, samplers and metrics.
// Same rules as api.c: handles, negative status codes, caller-owned buffers.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "data/toy2d.h"
#include "diffusion/samplers.h"
#include "diffusion/sde.h"
#include "prob/metrics.h"
#include "prob/mixture.h"
#include "prob/rng.h"
#include "wasm/api_util.h"
#include "wasm/handles.h"

// ---- SDEs -----------------------------------------------------------------------------------

// name: "vp", "subvp", "ve", "ddpm-linear", "ddpm-cosine" (sde.h's defaults).
int td_wasm_sde_create(const char *name) {
    if (!name) return td_fail(TD_ERR_ARG, "sde name is NULL");
    td_sde *sde = malloc(sizeof *sde);
    if (!sde) return td_fail(TD_ERR_NOMEM, "out of memory for an sde");
    td_status rc = td_sde_from_name(name, sde);
    if (!rc) rc = td_sde_validate(sde);
    if (rc) {
        free(sde);
        return rc;
    }
    return td_handle_put(TD_H_SDE, sde, free);
}

int td_wasm_sde_free(int h) { return td_handle_free(h, TD_H_SDE); }

// t (n) -> out (n, 5): f(t), g(t), alpha(t), sigma(t), snr(t) per row.
int td_wasm_sde_coefficients(int h, const float *t, int n, float *out) {
    const td_sde *sde = td_handle_get(h, TD_H_SDE);
    if (!sde) return TD_ERR_ARG;
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES / 5, "time points");
    if (rc || (rc = td_wasm_check_buffer(t, "time")) || (rc = td_wasm_check_buffer(out, "output")))
        return rc;
    for (size_t i = 0; i < (size_t)n; i++) {
        double ti = (double)t[i];
        if (!(ti >= 0.0 && ti <= 1.0))
            return td_fail(TD_ERR_ARG, "time point %zu is %g, outside [0, 1]", i, ti);
        out[5 * i + 0] = (float)td_sde_drift(sde, ti);
        out[5 * i + 1] = (float)td_sde_diffusion(sde, ti);
        out[5 * i + 2] = (float)td_sde_alpha(sde, ti);
        out[5 * i + 3] = (float)td_sde_sigma(sde, ti);
        out[5 * i + 4] = (float)td_sde_snr(sde, ti);
    }
    return n;
}

// out (3): t_eps, prior std, N (the discrete schedule's steps; 0 for continuous kinds).
int td_wasm_sde_info(int h, double *out) {
    const td_sde *sde = td_handle_get(h, TD_H_SDE);
    if (!sde) return TD_ERR_ARG;
    int rc = td_wasm_check_buffer(out, "output");
    if (rc) return rc;
    out[0] = sde->t_eps;
    out[1] = td_sde_prior_std(sde);
    out[2] = sde->kind == TD_SDE_DDPM ? sde->num_steps : 0;
    return TD_OK;
}

// A DDPM schedule's beta_i and alpha_bar_i for i = 0..N into (cap) buffers; returns N.
int td_wasm_sde_discrete(int h, float *beta, float *alpha_bar, int cap) {
    const td_sde *sde = td_handle_get(h, TD_H_SDE);
    if (!sde) return TD_ERR_ARG;
    if (sde->kind != TD_SDE_DDPM)
        return td_fail(TD_ERR_ARG, "the %s sde has no discrete schedule", td_sde_name(sde));
    int rc = td_wasm_check_buffer(beta, "beta");
    if (rc || (rc = td_wasm_check_buffer(alpha_bar, "alpha_bar"))) return rc;
    if (cap < sde->num_steps + 1)
        return td_fail(TD_ERR_ARG, "buffers hold %d values, the schedule needs %d", cap,
                       sde->num_steps + 1);
    for (int i = 0; i <= sde->num_steps; i++) {
        beta[i] = (float)td_sde_discrete_beta(sde, i);
        alpha_bar[i] = (float)td_sde_discrete_alpha_bar(sde, i);
    }
    return sde->num_steps;
}

static td_status check_grid(int grid) {
    if (grid == TD_GRID_UNIFORM || grid == TD_GRID_LOG_SNR) return TD_OK;
    return td_fail(TD_ERR_ARG, "time grid %d is not 0 (uniform in t) or 1 (uniform in log SNR)", grid);
}

td_status td_wasm_sampler_setup(int sampler, double eta, double snr, int corrector_steps, int grid,
                                td_sampler_options *opts) {
    if (sampler < 0 || sampler >= TD_SAMPLER_COUNT)
        return td_fail(TD_ERR_ARG, "sampler %d is not one of 0..%d (%s)", sampler,
                       TD_SAMPLER_COUNT - 1, td_sampler_names());
    *opts = td_sampler_options_default();
    if (!isnan(eta)) opts->eta = eta;
    if (!isnan(snr)) opts->snr = snr;
    if (corrector_steps >= 0) opts->corrector_steps = corrector_steps;
    if (grid >= 0) {
        td_status rc = check_grid(grid);
        if (rc) return rc;
        opts->grid = (td_time_grid)grid;
    }
    return TD_OK;
}

td_status td_wasm_check_sampling(int n, int dim, int steps, const float *x, const float *trajectory) {
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES / dim, "count");
    if (rc || (rc = td_wasm_check_count(steps, TD_SAMPLER_MAX_STEPS, "steps"))) return rc;
    if ((rc = td_wasm_check_buffer(x, "output"))) return rc;
    size_t traj_values;
    if (trajectory && (td_mul_size((size_t)steps + 1, (size_t)n * (size_t)dim, &traj_values) ||
                       traj_values > (size_t)TD_WASM_MAX_VALUES * 2))
        return td_fail(TD_ERR_LIMIT, "a trajectory of %d steps x %d points is too large", steps, n);
    return TD_OK;
}

// The samplers' time grid t (steps): 1 = t[0] > ... > t[steps-1] = t_eps, spaced by
// `grid` (0 uniform in t, 1 uniform in log SNR; sde.h).
int td_wasm_sde_time_grid(int h, int steps, int grid, double *t) {
    const td_sde *sde = td_handle_get(h, TD_H_SDE);
    if (!sde) return TD_ERR_ARG;
    int rc = td_wasm_check_count(steps, TD_SAMPLER_MAX_STEPS, "steps");
    if (rc || (rc = td_wasm_check_buffer(t, "output")) || (rc = check_grid(grid))) return rc;
    rc = td_sde_time_grid(sde, steps, (td_time_grid)grid, t);
    return rc ? rc : steps;
}

// x0 (n, dim) -> xt (n, dim) = alpha(t) x0 + sigma(t) eps, eps ~ N(0, I) from the rng.
int td_wasm_sde_perturb(int h, int rng_h, const float *x0, int n, int dim, double t, float *xt) {
    const td_sde *sde = td_handle_get(h, TD_H_SDE);
    if (!sde) return TD_ERR_ARG;
    td_rng *rng = td_handle_get(rng_h, TD_H_RNG);
    if (!rng) return TD_ERR_ARG;
    int rc = td_wasm_check_count(dim, TD_WASM_MAX_WIDTH, "dim");
    if (rc || (rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES / dim, "count"))) return rc;
    if ((rc = td_wasm_check_buffer(x0, "input")) || (rc = td_wasm_check_buffer(xt, "output")))
        return rc;
    if (!(t >= 0.0 && t <= 1.0)) return td_fail(TD_ERR_ARG, "t must be in [0, 1], got %g", t);
    double alpha = td_sde_alpha(sde, t), sigma = td_sde_sigma(sde, t);
    size_t total = (size_t)n * (size_t)dim;
    for (size_t i = 0; i < total; i++)
        xt[i] = (float)(alpha * (double)x0[i] + sigma * td_rng_normal(rng));
    return n;
}

// ---- Gaussian mixtures ----------------------------------------------------------------------

static void mixture_destroy(void *p) {
    td_mixture_free(p);
    free(p);
}

// `modes` equal Gaussians of std `std` on a circle of `radius` (the toy ring: 8, 2, 0.02).
int td_wasm_ring_create(int modes, double radius, double std) {
    td_mixture *m = malloc(sizeof *m);
    if (!m) return td_fail(TD_ERR_NOMEM, "out of memory for a mixture");
    td_status rc = td_mixture_init_ring(m, modes, radius, std);
    if (rc) {
        free(m);
        return rc;
    }
    return td_handle_put(TD_H_MIXTURE, m, mixture_destroy);
}

int td_wasm_mixture_free(int h) { return td_handle_free(h, TD_H_MIXTURE); }

// x (n, dim) <- n draws of the clean mixture.
int td_wasm_mixture_sample(int h, int rng_h, float *x, int n) {
    const td_mixture *m = td_handle_get(h, TD_H_MIXTURE);
    if (!m) return TD_ERR_ARG;
    td_rng *rng = td_handle_get(rng_h, TD_H_RNG);
    if (!rng) return TD_ERR_ARG;
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES / m->dim, "count");
    if (rc || (rc = td_wasm_check_buffer(x, "output"))) return rc;
    rc = td_mixture_sample(m, rng, x, n);
    return rc ? rc : n;
}

// The exact log-density of the noised 2-D marginal p_t on a (h, w) grid over
// [x0, x1] x [y0, y1]: out[r * w + c] at the cell centre (x0 + (c + 1/2) dx,
// y0 + (r + 1/2) dy), row 0 at the bottom.
int td_wasm_mixture_log_density_grid(int mix_h, int sde_h, double t, double x0, double x1,
                                     double y0, double y1, int w, int h, float *out) {
    const td_mixture *m = td_handle_get(mix_h, TD_H_MIXTURE);
    if (!m) return TD_ERR_ARG;
    const td_sde *sde = td_handle_get(sde_h, TD_H_SDE);
    if (!sde) return TD_ERR_ARG;
    if (m->dim != 2) return td_fail(TD_ERR_SHAPE, "a density grid needs a 2-D mixture, not %d-D", m->dim);
    int rc = td_wasm_check_count(w, 4096, "grid width");
    if (rc || (rc = td_wasm_check_count(h, 4096, "grid height"))) return rc;
    if ((rc = td_wasm_check_buffer(out, "output"))) return rc;
    if (!(t >= 0.0 && t <= 1.0)) return td_fail(TD_ERR_ARG, "t must be in [0, 1], got %g", t);
    if (!(isfinite(x0) && isfinite(x1) && isfinite(y0) && isfinite(y1) && x1 > x0 && y1 > y0))
        return td_fail(TD_ERR_ARG, "the grid box [%g, %g] x [%g, %g] is empty or not finite",
                       x0, x1, y0, y1);
    double alpha = td_sde_alpha(sde, t), sigma = td_sde_sigma(sde, t);
    double dx = (x1 - x0) / w, dy = (y1 - y0) / h;
    for (int r = 0; r < h; r++) {
        for (int c = 0; c < w; c++) {
            double p[2] = {x0 + (c + 0.5) * dx, y0 + (r + 0.5) * dy};
            out[(size_t)r * (size_t)w + (size_t)c] = (float)td_mixture_noised(m, alpha, sigma, p, NULL);
        }
    }
    return w * h;
}

// ---- samplers -------------------------------------------------------------------------------

int td_wasm_sampler_count(void) { return TD_SAMPLER_COUNT; }

const char *td_wasm_sampler_name(int i) {
    return i >= 0 && i < TD_SAMPLER_COUNT ? td_sampler_table()[i].name : "";
}

const char *td_wasm_sampler_summary(int i) {
    return i >= 0 && i < TD_SAMPLER_COUNT ? td_sampler_table()[i].summary : "";
}

// Sample n points from the prior to the data with the mixture's EXACT score as the
// denoiser. x (n, dim) receives the samples; trajectory (steps + 1, n, dim) may be NULL.
// Options: eta (ddim), snr and corrector_steps (pc), grid (0 uniform in t, 1 uniform in
// log SNR); NaN / negative keep the defaults. Returns the number of denoiser evaluations.
int td_wasm_sample_exact(int sampler, int sde_h, int mix_h, int rng_h, int n, int steps,
                         double eta, double snr, int corrector_steps, int grid, float *x,
                         float *trajectory) {
    const td_sde *sde = td_handle_get(sde_h, TD_H_SDE);
    if (!sde) return TD_ERR_ARG;
    const td_mixture *m = td_handle_get(mix_h, TD_H_MIXTURE);
    if (!m) return TD_ERR_ARG;
    td_rng *rng = td_handle_get(rng_h, TD_H_RNG);
    if (!rng) return TD_ERR_ARG;
    td_sampler_options opts;
    int rc = td_wasm_sampler_setup(sampler, eta, snr, corrector_steps, grid, &opts);
    if (rc || (rc = td_wasm_check_sampling(n, m->dim, steps, x, trajectory))) return rc;
    td_mixture_score ctx = {m, sde};
    td_denoiser denoiser = td_mixture_score_denoiser(&ctx);
    long nfe = 0;
    if ((rc = td_sampler_init_prior(sde, rng, x, n, m->dim))) return rc;
    rc = td_sampler_run((td_sampler_kind)sampler, sde, &denoiser, rng, x, n, m->dim, steps, &opts,
                        trajectory, &nfe);
    if (rc) return rc;
    return nfe > 0x7fffffffL ? 0x7fffffff : (int)nfe;
}

// ---- metrics for the 8-Gaussian ring --------------------------------------------------------

// Evaluate x (n, 2) against the toy ring (radius, std), with reference and floor sets
// drawn from `seed`. out (12): n, modes covered, modes, high-quality fraction, mode KL,
// mean log-density, reference log-density, SW2, SW2 floor, MMD^2, MMD^2 floor,
// MMD bandwidth. text (cap) receives td_metrics_format's block.
int td_wasm_metrics_ring(const float *x, int n, double radius, double std, double seed,
                         double *out, char *text, int cap) {
    int rc = td_wasm_check_count(n, 1 << 20, "sample count");
    if (rc || (rc = td_wasm_check_buffer(x, "samples")) || (rc = td_wasm_check_buffer(out, "output")) ||
        (rc = td_wasm_check_buffer(text, "text")) || (rc = td_wasm_check_count(cap, 1 << 16, "text capacity")))
        return rc;
    if (!(seed >= 0.0 && seed < 9007199254740992.0) || seed != floor(seed))
        return td_fail(TD_ERR_ARG, "seed must be an integer in [0, 2^53), got %g", seed);
    td_ring8 ring = {(float)radius, (float)std};
    float centres[2 * TD_RING8_MODES];
    td_ring8_centres(&ring, centres);
    td_mode_ref modes = {centres, TD_RING8_MODES, ring.std};
    td_metrics_config config = td_metrics_config_default();
    config.seed = (uint64_t)seed;
    td_metrics m;
    if ((rc = td_metrics_evaluate(x, n, td_ring8_sampler, &ring, &modes, &config, &m))) return rc;
    double v[12] = {m.n, m.modes.modes_covered, m.modes.n_modes, m.modes.hq_fraction,
                    m.modes.mode_kl, m.modes.mean_log_density, m.ref_log_density, m.sw2,
                    m.sw2_floor, m.mmd2, m.mmd2_floor, (double)m.mmd_bandwidth};
    for (int i = 0; i < 12; i++) out[i] = v[i];
    return td_metrics_format(&m, text, (size_t)cap);
}
