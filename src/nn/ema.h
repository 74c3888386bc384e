// ema.h - exponential moving average of the weights, used for evaluation and
// sampling (DDPM-style: the averaged net samples better than the last one).
//
// The EMA buffer shares the parameters' layout, so an update is one loop and
// "evaluate with EMA weights" is a pointer swap:
//   td_ema ema;  td_ema_init(&ema, &p, 0.999f);    // starts as a copy of p->data
//   after each optimiser step: td_ema_update(&ema, &p);
//   evaluate: td_ema_swap(&ema, &p); ...forward...; td_ema_swap(&ema, &p);
//   or for good (export): td_ema_copy_to(&ema, &p);
#ifndef TD_EMA_H
#define TD_EMA_H

#include "core/status.h"
#include "nn/params.h"

typedef struct {
    float decay;    // in [0, 1): ema = decay * ema + (1 - decay) * weights
    size_t n;       // == params total
    float *w;       // (n) averaged weights
} td_ema;

// Copy p->data as the starting average. TD_ERR_ARG for an unallocated p or a
// decay outside [0, 1); TD_ERR_NOMEM.
td_status td_ema_init(td_ema *ema, const td_params *p, float decay);
void td_ema_free(td_ema *ema);

// ema = decay * ema + (1 - decay) * p->data. TD_ERR_SHAPE if p's size changed.
td_status td_ema_update(td_ema *ema, const td_params *p);

// p->data = ema (the training weights are lost). TD_ERR_SHAPE on size change.
td_status td_ema_copy_to(const td_ema *ema, td_params *p);

// Exchange the EMA and the live weights (O(1), buffers swap owners); calling
// it twice restores both. TD_ERR_SHAPE on size change.
td_status td_ema_swap(td_ema *ema, td_params *p);

#endif
