// sde.c - VP, sub-VP, VE and discrete DDPM schedules behind one set of coefficients.
#include "diffusion/sde.h"

#include <math.h>
#include <string.h>

static const double PI = 3.14159265358979323846;
static const double COSINE_BETA_CAP = 0.999;  // Nichol & Dhariwal clip the last betas

// ---- constructors ----------------------------------------------------------

static td_sde sde_blank(td_sde_kind kind, double t_eps) {
    td_sde sde;
    memset(&sde, 0, sizeof sde);
    sde.kind = kind;
    sde.t_eps = t_eps;
    return sde;
}

td_sde td_sde_vp(double beta_min, double beta_max) {
    td_sde sde = sde_blank(TD_SDE_VP, 1e-3);
    sde.beta_min = beta_min;
    sde.beta_max = beta_max;
    return sde;
}

td_sde td_sde_subvp(double beta_min, double beta_max) {
    td_sde sde = td_sde_vp(beta_min, beta_max);
    sde.kind = TD_SDE_SUBVP;
    return sde;
}

td_sde td_sde_ve(double sigma_min, double sigma_max) {
    td_sde sde = sde_blank(TD_SDE_VE, 1e-5);
    sde.sigma_min = sigma_min;
    sde.sigma_max = sigma_max;
    return sde;
}

td_sde td_sde_ddpm_linear(int num_steps, double beta_start, double beta_end) {
    td_sde sde = sde_blank(TD_SDE_DDPM, num_steps > 0 ? 1.0 / num_steps : 0.0);
    sde.schedule = TD_SCHEDULE_LINEAR;
    sde.num_steps = num_steps;
    sde.beta_start = beta_start;
    sde.beta_end = beta_end;
    return sde;
}

td_sde td_sde_ddpm_cosine(int num_steps) {
    td_sde sde = sde_blank(TD_SDE_DDPM, num_steps > 0 ? 1.0 / num_steps : 0.0);
    sde.schedule = TD_SCHEDULE_COSINE;
    sde.num_steps = num_steps;
    sde.cosine_offset = 0.008;
    return sde;
}

td_status td_sde_from_name(const char *name, td_sde *out) {
    if (!name || !out) return td_fail(TD_ERR_ARG, "SDE name and output must not be NULL");
    if (strcmp(name, "vp") == 0) *out = td_sde_vp(0.1, 20.0);
    else if (strcmp(name, "subvp") == 0) *out = td_sde_subvp(0.1, 20.0);
    else if (strcmp(name, "ve") == 0) *out = td_sde_ve(0.01, 10.0);
    else if (strcmp(name, "ddpm-linear") == 0) *out = td_sde_ddpm_linear(1000, 1e-4, 0.02);
    else if (strcmp(name, "ddpm-cosine") == 0) *out = td_sde_ddpm_cosine(1000);
    else
        return td_fail(TD_ERR_ARG,
                       "unknown SDE \"%s\" (expected vp, subvp, ve, ddpm-linear or ddpm-cosine)",
                       name);
    return TD_OK;
}

const char *td_sde_name(const td_sde *sde) {
    switch (sde->kind) {
    case TD_SDE_VP: return "vp";
    case TD_SDE_SUBVP: return "subvp";
    case TD_SDE_VE: return "ve";
    case TD_SDE_DDPM: return sde->schedule == TD_SCHEDULE_COSINE ? "ddpm-cosine" : "ddpm-linear";
    }
    return "unknown";
}

static td_status validate_kind(const td_sde *sde);

td_status td_sde_validate(const td_sde *sde) {
    if (!sde) return td_fail(TD_ERR_ARG, "SDE must not be NULL");
    td_status st = validate_kind(sde);
    if (st != TD_OK) return st;
    if (!(sde->t_eps > 0.0 && sde->t_eps < 1.0))
        return td_fail(TD_ERR_ARG, "t_eps must lie in (0, 1), got %g", sde->t_eps);
    return TD_OK;
}

static td_status validate_kind(const td_sde *sde) {
    switch (sde->kind) {
    case TD_SDE_VP:
    case TD_SDE_SUBVP:
        if (!(sde->beta_min >= 0.0 && sde->beta_max > 0.0 && sde->beta_min <= sde->beta_max &&
              isfinite(sde->beta_max)))
            return td_fail(TD_ERR_ARG, "need 0 <= beta_min <= beta_max, finite and beta_max > 0, "
                           "got %g and %g", sde->beta_min, sde->beta_max);
        return TD_OK;
    case TD_SDE_VE:
        if (!(sde->sigma_min > 0.0 && sde->sigma_min < sde->sigma_max && isfinite(sde->sigma_max)))
            return td_fail(TD_ERR_ARG, "need 0 < sigma_min < sigma_max, finite, got %g and %g",
                           sde->sigma_min, sde->sigma_max);
        return TD_OK;
    case TD_SDE_DDPM:
        if (sde->num_steps < 2 || sde->num_steps > TD_SDE_MAX_STEPS)
            return td_fail(TD_ERR_ARG, "a discrete schedule needs 2..%d steps, got %d",
                           TD_SDE_MAX_STEPS, sde->num_steps);
        if (sde->schedule == TD_SCHEDULE_LINEAR) {
            if (!(sde->beta_start > 0.0 && sde->beta_start <= sde->beta_end && sde->beta_end < 1.0))
                return td_fail(TD_ERR_ARG, "need 0 < beta_start <= beta_end < 1, got %g and %g",
                               sde->beta_start, sde->beta_end);
        } else if (sde->schedule == TD_SCHEDULE_COSINE) {
            if (!(sde->cosine_offset > 0.0 && sde->cosine_offset < 1.0))
                return td_fail(TD_ERR_ARG, "cosine offset s must lie in (0, 1), got %g",
                               sde->cosine_offset);
        } else {
            return td_fail(TD_ERR_ARG, "unknown schedule kind %d", (int)sde->schedule);
        }
        return TD_OK;
    }
    return td_fail(TD_ERR_ARG, "unknown SDE kind %d", (int)sde->kind);
}

// ---- the discrete schedule -------------------------------------------------

static double cosine_f(const td_sde *sde, double t) {
    double s = sde->cosine_offset, c = cos((t + s) / (1.0 + s) * 0.5 * PI);
    return c * c;
}

double td_sde_discrete_beta(const td_sde *sde, int i) {
    int n = sde->num_steps;
    if (i <= 0) return 0.0;
    if (i > n) i = n;
    if (sde->schedule == TD_SCHEDULE_LINEAR)
        return sde->beta_start + (sde->beta_end - sde->beta_start) * (i - 1) / (n - 1);
    double beta = 1.0 - cosine_f(sde, (double)i / n) / cosine_f(sde, (double)(i - 1) / n);
    return beta < COSINE_BETA_CAP ? beta : COSINE_BETA_CAP;
}

// log alpha_bar at continuous t: whole steps below t, then a fraction of the next
// step (beta(t) is constant within a step, so log alpha_bar is piecewise linear).
static double discrete_log_alpha_bar(const td_sde *sde, double t) {
    double u = t * sde->num_steps, acc = 0.0;
    int whole = (int)floor(u);
    for (int i = 1; i <= whole; i++) acc += log1p(-td_sde_discrete_beta(sde, i));
    if (whole < sde->num_steps && u > whole)
        acc += (u - whole) * log1p(-td_sde_discrete_beta(sde, whole + 1));
    return acc;
}

double td_sde_discrete_alpha_bar(const td_sde *sde, int i) {
    if (i <= 0) return 1.0;
    if (i > sde->num_steps) i = sde->num_steps;
    return exp(discrete_log_alpha_bar(sde, (double)i / sde->num_steps));
}

// beta(t) of the piecewise-constant VP the schedule is: -N log(1 - beta_i).
static double discrete_beta_of_t(const td_sde *sde, double t) {
    int i = (int)ceil(t * sde->num_steps);
    if (i < 1) i = 1;
    return -sde->num_steps * log1p(-td_sde_discrete_beta(sde, i));
}

td_status td_sde_continuous_limit(const td_sde *ddpm, td_sde *out) {
    if (!ddpm || !out) return td_fail(TD_ERR_ARG, "SDE and output must not be NULL");
    if (ddpm->kind != TD_SDE_DDPM || ddpm->schedule != TD_SCHEDULE_LINEAR)
        return td_fail(TD_ERR_ARG, "only a linear DDPM schedule has a linear continuous VP limit");
    *out = td_sde_vp(ddpm->num_steps * ddpm->beta_start, ddpm->num_steps * ddpm->beta_end);
    return TD_OK;
}

// ---- coefficients ----------------------------------------------------------

static double clamp01(double t) { return t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t; }

static double vp_beta(const td_sde *sde, double t) {
    return sde->beta_min + t * (sde->beta_max - sde->beta_min);
}

static double vp_integral(const td_sde *sde, double t) {  // B(t)
    return sde->beta_min * t + 0.5 * t * t * (sde->beta_max - sde->beta_min);
}

static double ve_log_ratio(const td_sde *sde) { return log(sde->sigma_max / sde->sigma_min); }

double td_sde_drift(const td_sde *sde, double t) {
    t = clamp01(t);
    switch (sde->kind) {
    case TD_SDE_VP:
    case TD_SDE_SUBVP: return -0.5 * vp_beta(sde, t);
    case TD_SDE_VE: return 0.0;
    case TD_SDE_DDPM: return -0.5 * discrete_beta_of_t(sde, t);
    }
    return 0.0;
}

double td_sde_diffusion(const td_sde *sde, double t) {
    t = clamp01(t);
    switch (sde->kind) {
    case TD_SDE_VP: return sqrt(vp_beta(sde, t));
    case TD_SDE_SUBVP: return sqrt(-vp_beta(sde, t) * expm1(-2.0 * vp_integral(sde, t)));
    case TD_SDE_VE: return td_sde_sigma(sde, t) * sqrt(2.0 * ve_log_ratio(sde));
    case TD_SDE_DDPM: return sqrt(discrete_beta_of_t(sde, t));
    }
    return 0.0;
}

double td_sde_alpha(const td_sde *sde, double t) {
    t = clamp01(t);
    switch (sde->kind) {
    case TD_SDE_VP:
    case TD_SDE_SUBVP: return exp(-0.5 * vp_integral(sde, t));
    case TD_SDE_VE: return 1.0;
    case TD_SDE_DDPM: return exp(0.5 * discrete_log_alpha_bar(sde, t));
    }
    return 1.0;
}

double td_sde_sigma(const td_sde *sde, double t) {
    t = clamp01(t);
    switch (sde->kind) {
    case TD_SDE_VP: return sqrt(-expm1(-vp_integral(sde, t)));
    case TD_SDE_SUBVP: return -expm1(-vp_integral(sde, t));
    case TD_SDE_VE: return sde->sigma_min * exp(t * ve_log_ratio(sde));
    case TD_SDE_DDPM: return sqrt(-expm1(discrete_log_alpha_bar(sde, t)));
    }
    return 1.0;
}

double td_sde_snr(const td_sde *sde, double t) {
    double a = td_sde_alpha(sde, t), s = td_sde_sigma(sde, t);
    return a * a / (s * s);
}

double td_sde_prior_std(const td_sde *sde) {
    return sde->kind == TD_SDE_VE ? sde->sigma_max : 1.0;
}

// ---- the sampling grid -----------------------------------------------------

static double log_snr(const td_sde *sde, double t) { return log(td_sde_snr(sde, t)); }

// The t in [lo, hi] where log SNR (decreasing in t) equals `target`, by bisection.
static double time_of_log_snr(const td_sde *sde, double target, double lo, double hi) {
    for (int it = 0; it < 100 && hi - lo > 1e-15; it++) {
        double mid = 0.5 * (lo + hi);
        if (log_snr(sde, mid) > target) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
}

// DDPM schedule: integer steps idx[k] from n down to `last`, then made strictly decreasing
// (bottom-up: at least one above the next; top-down: at most one below the previous).
// Feasible because steps <= n - last + 1.
static void integer_grid(const td_sde *sde, int steps, td_time_grid grid, int last, double *t) {
    int n = sde->num_steps;
    if (grid == TD_GRID_UNIFORM) {
        for (int k = 0; k < steps; k++)
            t[k] = (double)lround(n + (double)(last - n) * k / (steps - 1));
    } else {
        // One sweep up the schedule: log SNR_i from the running log alpha_bar_i; grid point
        // k takes the first step whose log SNR is at or below its target.
        double acc = log(td_sde_discrete_alpha_bar(sde, last));
        double hi = acc - log(-expm1(acc)), lo = log(td_sde_snr(sde, 1.0));
        int i = last;
        for (int k = steps - 1; k >= 0; k--) {
            double target = lo + (hi - lo) * k / (steps - 1);
            while (i < n && acc - log(-expm1(acc)) > target) {
                i++;
                acc += log1p(-td_sde_discrete_beta(sde, i));
            }
            t[k] = i;
        }
    }
    t[steps - 1] = last;
    for (int k = steps - 2; k >= 0; k--)
        if (t[k] < t[k + 1] + 1) t[k] = t[k + 1] + 1;
    t[0] = n;
    for (int k = 1; k < steps; k++)
        if (t[k] > t[k - 1] - 1) t[k] = t[k - 1] - 1;
    for (int k = 0; k < steps; k++) t[k] /= n;
}

td_status td_sde_time_grid(const td_sde *sde, int steps, td_time_grid grid, double *t) {
    td_status st = td_sde_validate(sde);
    if (st != TD_OK) return st;
    if (!t) return td_fail(TD_ERR_ARG, "time grid output must not be NULL");
    if (grid != TD_GRID_UNIFORM && grid != TD_GRID_LOG_SNR)
        return td_fail(TD_ERR_ARG, "unknown time grid kind %d", (int)grid);
    if (steps < 1) return td_fail(TD_ERR_ARG, "steps must be positive, got %d", steps);
    if (steps == 1) {
        t[0] = 1.0;
        return TD_OK;
    }
    if (sde->kind == TD_SDE_DDPM) {
        int n = sde->num_steps, last = (int)lround(sde->t_eps * n);
        if (last < 1) last = 1;
        if (steps > n - last + 1)
            return td_fail(TD_ERR_ARG, "%d steps exceed the %d steps of the discrete schedule",
                           steps, n - last + 1);
        integer_grid(sde, steps, grid, last, t);
        return TD_OK;
    }
    double lo = log_snr(sde, 1.0), hi = log_snr(sde, sde->t_eps);
    for (int k = 0; k < steps; k++) {
        double u = (double)k / (steps - 1);
        if (grid == TD_GRID_UNIFORM)
            t[k] = 1.0 + (sde->t_eps - 1.0) * u;
        else
            t[k] = time_of_log_snr(sde, lo + (hi - lo) * u, sde->t_eps, 1.0);
    }
    t[0] = 1.0;
    t[steps - 1] = sde->t_eps;
    return TD_OK;
}
