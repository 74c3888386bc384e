// parameterization.h - eps, x0, score and v predictions are one quantity in four forms.
//
// With x_t = alpha x_0 + sigma eps (eps ~ N(0, I)), a model predicting any one of
//   eps,   x0,   score = grad log p_t(x_t) = -E[eps | x_t] / sigma,   v = alpha eps - sigma x0
// determines the others given (x_t, alpha, sigma). This is the only place that knows
// the formulas; samplers and losses call it. A score model and an eps model differ by
// the known scale -1/sigma.
#ifndef TD_PARAMETERIZATION_H
#define TD_PARAMETERIZATION_H

#include <stddef.h>

#include "core/status.h"
#include "diffusion/denoiser.h"

// Convert `count` elements of a prediction in form `from` at x_t (same layout) into
// form `to`. alpha and sigma must be positive and finite (alpha > 0 is needed to reach
// x0 or v from eps or score; sigma > 0 to reach eps or score from x0). `out` may alias
// `pred`. TD_ERR_ARG on bad input, with a reason.
td_status td_param_convert(td_prediction from, td_prediction to, const float *x_t,
                           const float *pred, size_t count, double alpha, double sigma,
                           float *out);

// "eps", "x0", "score", "v" and back (TD_ERR_ARG for an unknown name).
const char *td_prediction_name(td_prediction kind);
td_status td_prediction_from_name(const char *name, td_prediction *out);

#endif
