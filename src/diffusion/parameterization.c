// parameterization.c - every conversion goes through the pair (x0, eps).
#include "diffusion/parameterization.h"

#include <math.h>
#include <string.h>

static const char *const NAMES[] = {"eps", "x0", "score", "v"};

const char *td_prediction_name(td_prediction kind) {
    return (unsigned)kind < 4u ? NAMES[kind] : "unknown";
}

td_status td_prediction_from_name(const char *name, td_prediction *out) {
    for (int k = 0; name && k < 4; k++) {
        if (strcmp(name, NAMES[k]) == 0) {
            *out = (td_prediction)k;
            return TD_OK;
        }
    }
    return td_fail(TD_ERR_ARG, "unknown prediction \"%s\" (expected eps, x0, score or v)",
                   name ? name : "(null)");
}

td_status td_param_convert(td_prediction from, td_prediction to, const float *x_t,
                           const float *pred, size_t count, double alpha, double sigma,
                           float *out) {
    if ((unsigned)from > TD_PRED_V || (unsigned)to > TD_PRED_V)
        return td_fail(TD_ERR_ARG, "unknown prediction kind %d -> %d", (int)from, (int)to);
    if (!(alpha > 0.0 && sigma > 0.0 && isfinite(alpha) && isfinite(sigma)))
        return td_fail(TD_ERR_ARG, "alpha and sigma must be positive and finite, got %g and %g",
                       alpha, sigma);
    if (count > 0 && (!x_t || !pred || !out))
        return td_fail(TD_ERR_ARG, "conversion buffers must not be NULL");
    // Solve x = a x0 + s eps together with the source form for (x0, eps) in double,
    // then write the target form. The v inversion uses det = a^2 + s^2 so it holds for
    // VE (a = 1, s large) as well as VP (a^2 + s^2 = 1).
    double a = alpha, s = sigma, det = a * a + s * s;
    for (size_t i = 0; i < count; i++) {
        double x = (double)x_t[i], p = (double)pred[i], x0 = 0.0, eps = 0.0;
        switch (from) {
        case TD_PRED_EPS: eps = p; x0 = (x - s * eps) / a; break;
        case TD_PRED_X0: x0 = p; eps = (x - a * x0) / s; break;
        case TD_PRED_SCORE: eps = -s * p; x0 = (x + s * s * p) / a; break;
        case TD_PRED_V: x0 = (a * x - s * p) / det; eps = (s * x + a * p) / det; break;
        }
        double r = 0.0;
        switch (to) {
        case TD_PRED_EPS: r = eps; break;
        case TD_PRED_X0: r = x0; break;
        case TD_PRED_SCORE: r = -eps / s; break;
        case TD_PRED_V: r = a * eps - s * x0; break;
        }
        out[i] = (float)r;
    }
    return TD_OK;
}
