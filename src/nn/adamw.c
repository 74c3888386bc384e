// adamw.c - the optimiser loop and gradient clipping.
#include "nn/adamw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

td_adamw_config td_adamw_defaults(void) {
    td_adamw_config cfg = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f};
    return cfg;
}

td_status td_adamw_init(td_adamw *opt, const td_params *p, td_adamw_config cfg) {
    memset(opt, 0, sizeof *opt);
    if (!p->data) return td_fail(TD_ERR_ARG, "AdamW needs allocated parameters");
    if (!(cfg.lr > 0.0f) || !(cfg.beta1 >= 0.0f && cfg.beta1 < 1.0f) ||
        !(cfg.beta2 >= 0.0f && cfg.beta2 < 1.0f) || !(cfg.eps > 0.0f) || !(cfg.weight_decay >= 0.0f))
        return td_fail(TD_ERR_ARG, "AdamW config out of range: lr %g, betas (%g, %g), eps %g, weight decay %g",
                       (double)cfg.lr, (double)cfg.beta1, (double)cfg.beta2, (double)cfg.eps,
                       (double)cfg.weight_decay);
    opt->m = calloc(p->total, sizeof(float));
    opt->v = calloc(p->total, sizeof(float));
    if (!opt->m || !opt->v) {
        td_adamw_free(opt);
        return td_fail(TD_ERR_NOMEM, "out of memory allocating AdamW moments for %zu parameters", p->total);
    }
    opt->cfg = cfg;
    opt->n = p->total;
    return TD_OK;
}

void td_adamw_free(td_adamw *opt) {
    free(opt->m);
    free(opt->v);
    memset(opt, 0, sizeof *opt);
}

td_status td_adamw_step(td_adamw *opt, td_params *p) {
    if (!opt->m || opt->n != p->total || !p->data)
        return td_fail(TD_ERR_SHAPE, "AdamW was made for %zu parameters, the model has %zu", opt->n, p->total);
    opt->step++;
    const td_adamw_config c = opt->cfg;
    // Bias corrections in double: b^t underflows gracefully and 1 - b2^t is
    // tiny early on, where float would lose digits.
    double t = (double)opt->step;
    float corr1 = (float)(1.0 - pow((double)c.beta1, t));
    float corr2 = (float)(1.0 - pow((double)c.beta2, t));
    for (int ti = 0; ti < p->n_tensors; ti++) {
        const td_param_tensor *tensor = &p->tensors[ti];
        float decay = tensor->ndim >= 2 ? c.lr * c.weight_decay : 0.0f;
        for (size_t i = tensor->offset; i < tensor->offset + tensor->count; i++) {
            float g = p->grad[i];
            float m = opt->m[i] = c.beta1 * opt->m[i] + (1.0f - c.beta1) * g;
            float v = opt->v[i] = c.beta2 * opt->v[i] + (1.0f - c.beta2) * g * g;
            float mhat = m / corr1, vhat = v / corr2;
            p->data[i] -= decay * p->data[i] + c.lr * mhat / (sqrtf(vhat) + c.eps);
        }
    }
    return TD_OK;
}

float td_grad_clip(td_params *p, float max_norm) {
    double sum = 0.0;
    for (size_t i = 0; i < p->total; i++) sum += (double)p->grad[i] * (double)p->grad[i];
    double norm = sqrt(sum);
    if (max_norm > 0.0f && isfinite(norm) && norm > (double)max_norm) {
        float scale = (float)((double)max_norm / norm);
        for (size_t i = 0; i < p->total; i++) p->grad[i] *= scale;
    }
    return (float)norm;
}
