// ema.c - the weight average and its swap with the live weights.
#include "nn/ema.h"

#include <stdlib.h>
#include <string.h>

td_status td_ema_init(td_ema *ema, const td_params *p, float decay) {
    memset(ema, 0, sizeof *ema);
    if (!p->data) return td_fail(TD_ERR_ARG, "EMA needs allocated parameters");
    if (!(decay >= 0.0f && decay < 1.0f)) return td_fail(TD_ERR_ARG, "EMA decay must be in [0, 1), got %g", (double)decay);
    ema->w = malloc(p->total * sizeof(float));  // total is capped, the product cannot overflow
    if (!ema->w) return td_fail(TD_ERR_NOMEM, "out of memory allocating an EMA of %zu parameters", p->total);
    memcpy(ema->w, p->data, p->total * sizeof(float));
    ema->decay = decay;
    ema->n = p->total;
    return TD_OK;
}

void td_ema_free(td_ema *ema) {
    free(ema->w);
    memset(ema, 0, sizeof *ema);
}

static td_status check_size(const td_ema *ema, const td_params *p) {
    if (!ema->w || !p->data || ema->n != p->total)
        return td_fail(TD_ERR_SHAPE, "EMA was made for %zu parameters, the model has %zu", ema->n, p->total);
    return TD_OK;
}

td_status td_ema_update(td_ema *ema, const td_params *p) {
    td_status s = check_size(ema, p);
    if (s != TD_OK) return s;
    float d = ema->decay, keep = 1.0f - ema->decay;
    for (size_t i = 0; i < ema->n; i++) ema->w[i] = d * ema->w[i] + keep * p->data[i];
    return TD_OK;
}

td_status td_ema_copy_to(const td_ema *ema, td_params *p) {
    td_status s = check_size(ema, p);
    if (s != TD_OK) return s;
    memcpy(p->data, ema->w, ema->n * sizeof(float));
    return TD_OK;
}

td_status td_ema_swap(td_ema *ema, td_params *p) {
    td_status s = check_size(ema, p);
    if (s != TD_OK) return s;
    float *live = p->data;
    p->data = ema->w;
    ema->w = live;
    return TD_OK;
}
