// loss.c - training examples and the per-parameterisation targets and weights.
#include "diffusion/loss.h"

#include <math.h>

double td_loss_draw_t(const td_sde *sde, td_rng *rng) {
    if (sde->kind == TD_SDE_DDPM) {
        uint32_t n = sde->num_steps > 0 ? (uint32_t)sde->num_steps : 1u;
        return (double)(td_rng_below(rng, n) + 1u) / (double)n;
    }
    return sde->t_eps + (1.0 - sde->t_eps) * td_rng_uniform(rng);
}

double td_loss_target(td_prediction param, double x0, double eps, double alpha, double sigma) {
    switch (param) {
    case TD_PRED_EPS: return eps;
    case TD_PRED_X0: return x0;
    case TD_PRED_SCORE: return -eps / sigma;
    case TD_PRED_V: return alpha * eps - sigma * x0;
    }
    return eps;
}

double td_loss_weight(td_prediction param, double alpha, double sigma) {
    double norm = alpha * alpha + sigma * sigma;
    switch (param) {
    case TD_PRED_EPS: return 1.0;
    case TD_PRED_X0: return alpha * alpha / (sigma * sigma);
    case TD_PRED_SCORE: return sigma * sigma;
    case TD_PRED_V: return alpha * alpha / (norm * norm);
    }
    return 1.0;
}

td_status td_loss_make_batch(const td_sde *sde, td_prediction param, td_rng *rng,
                             const float *x0, int n, int dim, float *t, float *eps,
                             float *x_t, float *target, float *weight) {
    td_status st = td_sde_validate(sde);
    if (st != TD_OK) return st;
    if ((unsigned)param > TD_PRED_V) return td_fail(TD_ERR_ARG, "unknown prediction kind %d", (int)param);
    if (!rng || !x0 || !t || !x_t || !target || !weight)
        return td_fail(TD_ERR_ARG, "batch buffers and rng must not be NULL (only eps may be)");
    if (n < 1 || dim < 1) return td_fail(TD_ERR_ARG, "need n >= 1 and dim >= 1, got %d and %d", n, dim);
    size_t rows = (size_t)n, cols = (size_t)dim, count;
    if (td_mul_size(rows, cols, &count) != 0) return td_fail(TD_ERR_LIMIT, "batch size overflows");
    for (size_t r = 0; r < rows; r++) {
        t[r] = (float)td_loss_draw_t(sde, rng);
        // Coefficients at the float t the network reads, so x_t and t agree exactly.
        double alpha = td_sde_alpha(sde, (double)t[r]), sigma = td_sde_sigma(sde, (double)t[r]);
        weight[r] = (float)td_loss_weight(param, alpha, sigma);
        for (size_t d = 0; d < cols; d++) {
            size_t i = r * cols + d;
            double e = td_rng_normal(rng), x = (double)x0[i];
            if (eps) eps[i] = (float)e;
            x_t[i] = (float)(alpha * x + sigma * e);
            target[i] = (float)td_loss_target(param, x, e, alpha, sigma);
        }
    }
    return TD_OK;
}

double td_loss_weighted_mse(const float *pred, const float *target, const float *weight,
                            int n, int dim, float *grad) {
    if (n < 1 || dim < 1) return 0.0;
    size_t rows = (size_t)n, cols = (size_t)dim;
    double scale = 1.0 / ((double)rows * (double)cols), total = 0.0;
    for (size_t r = 0; r < rows; r++) {
        double w = weight ? (double)weight[r] : 1.0, row = 0.0;
        for (size_t d = 0; d < cols; d++) {
            size_t i = r * cols + d;
            double diff = (double)pred[i] - (double)target[i];
            row += diff * diff;
            if (grad) grad[i] = (float)(2.0 * scale * w * diff);
        }
        total += w * row;
    }
    return total * scale;
}
