// mixture.c - isotropic Gaussian mixtures and their exact noised score.
#include "prob/mixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double PI = 3.14159265358979323846;
static const double LOG_2PI = 1.8378770664093454836;

td_status td_mixture_init(td_mixture *m, int k, int dim, const double *weights,
                          const double *means, const double *stds) {
    if (!m) return td_fail(TD_ERR_ARG, "mixture must not be NULL");
    memset(m, 0, sizeof *m);
    if (k < 1 || dim < 1) return td_fail(TD_ERR_ARG, "mixture needs k >= 1 and dim >= 1, got %d and %d", k, dim);
    if (k > TD_MIXTURE_MAX_COMPONENTS || dim > TD_MIXTURE_MAX_DIM)
        return td_fail(TD_ERR_LIMIT, "mixture of %d components in %d dims exceeds the caps (%d, %d)",
                       k, dim, TD_MIXTURE_MAX_COMPONENTS, TD_MIXTURE_MAX_DIM);
    if (!weights || !means || !stds) return td_fail(TD_ERR_ARG, "mixture parameters must not be NULL");
    size_t nk = (size_t)k, nd = (size_t)dim, nmeans;
    if (td_mul_size(nk, nd, &nmeans) != 0) return td_fail(TD_ERR_LIMIT, "mixture size overflows");
    double total = 0.0;
    for (size_t i = 0; i < nk; i++) {
        if (!(weights[i] >= 0.0 && isfinite(weights[i])))
            return td_fail(TD_ERR_ARG, "weight %zu must be finite and non-negative, got %g", i, weights[i]);
        if (!(stds[i] > 0.0 && isfinite(stds[i])))
            return td_fail(TD_ERR_ARG, "std %zu must be positive and finite, got %g", i, stds[i]);
        total += weights[i];
    }
    if (!(total > 0.0)) return td_fail(TD_ERR_ARG, "mixture weights must not all be zero");
    for (size_t i = 0; i < nmeans; i++)
        if (!isfinite(means[i])) return td_fail(TD_ERR_ARG, "mean entry %zu is not finite", i);
    m->weights = malloc(nk * sizeof *m->weights);
    m->stds = malloc(nk * sizeof *m->stds);
    m->means = malloc(nmeans * sizeof *m->means);
    if (!m->weights || !m->stds || !m->means) {
        td_mixture_free(m);
        return td_fail(TD_ERR_NOMEM, "out of memory for a %d-component mixture", k);
    }
    for (size_t i = 0; i < nk; i++) {
        m->weights[i] = weights[i] / total;
        m->stds[i] = stds[i];
    }
    memcpy(m->means, means, nmeans * sizeof *m->means);
    m->k = k;
    m->dim = dim;
    return TD_OK;
}

td_status td_mixture_init_ring(td_mixture *m, int modes, double radius, double std) {
    if (modes < 1 || modes > TD_MIXTURE_MAX_COMPONENTS)
        return td_fail(TD_ERR_ARG, "ring needs 1..%d modes, got %d", TD_MIXTURE_MAX_COMPONENTS, modes);
    if (!(radius >= 0.0 && isfinite(radius)))
        return td_fail(TD_ERR_ARG, "ring radius must be finite and non-negative, got %g", radius);
    size_t nk = (size_t)modes;
    double *buf = malloc(4 * nk * sizeof *buf);
    if (!buf) return td_fail(TD_ERR_NOMEM, "out of memory for a %d-mode ring", modes);
    double *w = buf, *s = buf + nk, *mu = buf + 2 * nk;
    for (size_t i = 0; i < nk; i++) {
        double angle = 2.0 * PI * (double)i / (double)nk;
        w[i] = 1.0;
        s[i] = std;
        mu[2 * i] = radius * cos(angle);
        mu[2 * i + 1] = radius * sin(angle);
    }
    td_status st = td_mixture_init(m, modes, 2, w, mu, s);
    free(buf);
    return st;
}

void td_mixture_free(td_mixture *m) {
    if (!m) return;
    free(m->weights);
    free(m->means);
    free(m->stds);
    memset(m, 0, sizeof *m);
}

td_status td_mixture_sample(const td_mixture *m, td_rng *rng, float *x, int n) {
    if (!m || !m->weights || !rng) return td_fail(TD_ERR_ARG, "mixture and rng must not be NULL");
    if (n < 0) return td_fail(TD_ERR_ARG, "sample count must not be negative, got %d", n);
    if (n > 0 && !x) return td_fail(TD_ERR_ARG, "sample buffer must not be NULL");
    size_t nk = (size_t)m->k, nd = (size_t)m->dim, nn = (size_t)n, total;
    if (td_mul_size(nn, nd, &total) != 0) return td_fail(TD_ERR_LIMIT, "sample buffer size overflows");
    for (size_t i = 0; i < nn; i++) {
        // Pick a component by inverting the cumulative weights.
        double u = td_rng_uniform(rng), cum = 0.0;
        size_t c = nk - 1;
        for (size_t j = 0; j < nk; j++) {
            cum += m->weights[j];
            if (u < cum) { c = j; break; }
        }
        for (size_t d = 0; d < nd; d++)
            x[i * nd + d] = (float)(m->means[c * nd + d] + m->stds[c] * td_rng_normal(rng));
    }
    return TD_OK;
}

// Per-component constants at one noise level: the log of weight times normaliser, and
// the inverse variance alpha^2 s_k^2 + sigma^2 (a component of weight 0 gets -inf).
static void component_constants(const td_mixture *m, double alpha, double sigma, size_t j,
                                double *log_norm, double *inv_var) {
    double var = alpha * alpha * m->stds[j] * m->stds[j] + sigma * sigma;
    *log_norm = log(m->weights[j]) - 0.5 * (double)m->dim * (LOG_2PI + log(var));
    *inv_var = 1.0 / var;
}

// log p_t(x) and optionally its score at one point. `log_norm` and `inv_var` (k) hold the
// component constants when a caller evaluates many points; NULL computes them here.
static double noised_point(const td_mixture *m, double alpha, double sigma,
                           const double *log_norm, const double *inv_var, const double *x,
                           double *score) {
    size_t nk = (size_t)m->k, nd = (size_t)m->dim;
    // Online log-sum-exp: keep the running max logit `top`, the sum of exp(logit - top)
    // and (for the score) the matching weighted sum of per-component scores, rescaling
    // both whenever a new max appears. No scratch memory, no overflow.
    double top = -(double)INFINITY, sum = 0.0;
    if (score) memset(score, 0, nd * sizeof *score);
    for (size_t j = 0; j < nk; j++) {
        if (m->weights[j] <= 0.0) continue;
        double ln, iv;
        if (log_norm) {
            ln = log_norm[j];
            iv = inv_var[j];
        } else {
            component_constants(m, alpha, sigma, j, &ln, &iv);
        }
        const double *mu = m->means + j * nd;
        double sq = 0.0;
        for (size_t d = 0; d < nd; d++) {
            double r = x[d] - alpha * mu[d];
            sq += r * r;
        }
        double logit = ln - 0.5 * sq * iv;
        if (logit > top) {
            double shrink = exp(top - logit);  // 0 on the first component
            sum *= shrink;
            if (score)
                for (size_t d = 0; d < nd; d++) score[d] *= shrink;
            top = logit;
        }
        double w = exp(logit - top);
        sum += w;
        if (score) {
            double c = w * iv;
            for (size_t d = 0; d < nd; d++) score[d] += c * (alpha * mu[d] - x[d]);
        }
    }
    if (score)
        for (size_t d = 0; d < nd; d++) score[d] /= sum;
    return top + log(sum);
}

double td_mixture_noised(const td_mixture *m, double alpha, double sigma, const double *x,
                         double *score) {
    return noised_point(m, alpha, sigma, NULL, NULL, x, score);
}

double td_mixture_log_density(const td_mixture *m, const double *x) {
    return td_mixture_noised(m, 1.0, 0.0, x, NULL);
}

// x (n, dim) at time t -> out (n, dim) = grad log p_t(x), row by row in double.
static td_status mixture_predict(void *ctx, const float *x, int n, int dim, double t, float *out) {
    const td_mixture_score *ms = ctx;
    if (!ms || !ms->mixture || !ms->sde || !ms->mixture->weights)
        return td_fail(TD_ERR_ARG, "mixture score denoiser has an empty context");
    const td_mixture *m = ms->mixture;
    if (dim != m->dim) return td_fail(TD_ERR_SHAPE, "mixture has dim %d, samples have dim %d", m->dim, dim);
    if (n < 0) return td_fail(TD_ERR_ARG, "sample count must not be negative, got %d", n);
    size_t nd = (size_t)dim, nn = (size_t)n, nk = (size_t)m->k;
    double *buf = malloc((2 * nd + 2 * nk) * sizeof *buf);  // sizes capped by td_mixture_init
    if (!buf) return td_fail(TD_ERR_NOMEM, "out of memory for a %d-dim score", dim);
    double *row = buf, *score = buf + nd, *log_norm = buf + 2 * nd, *inv_var = log_norm + nk;
    double alpha = td_sde_alpha(ms->sde, t), sigma = td_sde_sigma(ms->sde, t);
    for (size_t j = 0; j < nk; j++)
        if (m->weights[j] > 0.0) component_constants(m, alpha, sigma, j, &log_norm[j], &inv_var[j]);
    for (size_t i = 0; i < nn; i++) {
        for (size_t d = 0; d < nd; d++) row[d] = (double)x[i * nd + d];
        noised_point(m, alpha, sigma, log_norm, inv_var, row, score);
        for (size_t d = 0; d < nd; d++) out[i * nd + d] = (float)score[d];
    }
    free(buf);
    return TD_OK;
}

td_denoiser td_mixture_score_denoiser(td_mixture_score *ctx) {
    td_denoiser den = {TD_PRED_SCORE, mixture_predict, ctx};
    return den;
}
