// adamw.h - AdamW (Loshchilov & Hutter) over a whole td_params in one loop,
// and global gradient-norm clipping.
//
// The moments m and v share the parameters' layout (offset for offset), so a
// step is one pass over the buffer. Per step t (1-based), for each element:
//   theta -= lr * wd * theta                 decoupled decay, before the Adam update
//   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
//   theta -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// Weight decay applies only to tensors with ndim >= 2 (weights, embedding
// tables), never to biases: the nanoGPT rule. This matches PyTorch's AdamW.
//
//   td_adamw opt;  td_adamw_init(&opt, &p, td_adamw_defaults());
//   loop: zero_grad, forward, backward, td_grad_clip(&p, 1.0f), td_adamw_step(&opt, &p)
//   td_adamw_free(&opt);
// opt.cfg.lr may be changed between steps (warm-up, cosine decay).
#ifndef TD_ADAMW_H
#define TD_ADAMW_H

#include "core/status.h"
#include "nn/params.h"

typedef struct {
    float lr;            // > 0
    float beta1, beta2;  // in [0, 1)
    float eps;           // > 0
    float weight_decay;  // >= 0, decoupled (multiplied by lr)
} td_adamw_config;

typedef struct {
    td_adamw_config cfg;
    size_t n;       // == params total at init
    float *m, *v;   // (n) first and second moments, zero at init
    long step;      // steps taken so far
} td_adamw;

// lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01 (PyTorch's defaults).
td_adamw_config td_adamw_defaults(void);

// Moments for every parameter of p (declared and allocated). TD_ERR_ARG for an
// unallocated p or a config outside the ranges above; TD_ERR_NOMEM.
td_status td_adamw_init(td_adamw *opt, const td_params *p, td_adamw_config cfg);
void td_adamw_free(td_adamw *opt);

// One update of p->data from p->grad (grads are read, not cleared).
// TD_ERR_SHAPE if p's size changed since init.
td_status td_adamw_step(td_adamw *opt, td_params *p);

// Global L2 norm of p->grad (accumulated in double). If it exceeds max_norm
// (> 0) every gradient is scaled by max_norm / norm, so the norm becomes
// max_norm. Returns the norm BEFORE clipping; a non-finite norm is returned
// and nothing is scaled (callers should skip that step). max_norm <= 0 only
// measures.
float td_grad_clip(td_params *p, float max_norm);

#endif
