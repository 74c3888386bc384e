// params.h - every parameter of a model in ONE float buffer, with named tensors.
//
// The idea is llm.c's: weights, gradients, AdamW moments and the EMA copy all
// share one layout, so the optimiser is a single loop, zero_grad is a memset
// and a checkpoint is one walk over the tensor registry.
//
// Two phases:
//   td_params p;  td_params_init(&p);
//   td_mlp_init(&net, &p, "net", &cfg);          // layers DECLARE named tensors
//   td_class_embed_init(&cls, &p, "cls", 10, 16); //   (several modules may share p)
//   td_params_alloc(&p);                          // ONE allocation for data and grad
//   td_params_init_weights(&p, &rng);             // deterministic: same seed, same weights
//   ...
//   td_params_free(&p);
// Layers keep offsets (in floats) into the buffer, never pointers, so the
// buffer can be swapped (td_ema_swap) or refilled by a loader without
// re-binding anything.
//
// Checkpoints: walk p.tensors[0 .. p.n_tensors) and write (name, ndim, shape,
// p.data + offset) for each; a loader finds a tensor with td_params_find(),
// checks its shape and copies `count` floats to p.data + offset.
#ifndef TD_PARAMS_H
#define TD_PARAMS_H

#include <stddef.h>

#include "core/status.h"
#include "prob/rng.h"

#define TD_PARAM_MAX_DIMS 4
#define TD_PARAM_NAME_MAX 64              // bytes including the terminating NUL
#define TD_PARAMS_MAX_COUNT ((size_t)1 << 28)  // 256 M floats (1 GiB): a toy-model cap

// How td_params_init_weights fills a tensor.
typedef enum {
    TD_INIT_ZERO = 0,
    TD_INIT_UNIFORM,   // U(-scale, +scale); dense layers use scale = 1/sqrt(fan_in) (PyTorch)
    TD_INIT_NORMAL,    // N(0, scale^2); embedding tables use scale = 1
} td_init;

typedef struct {
    char name[TD_PARAM_NAME_MAX];  // e.g. "net.0.weight"
    int ndim;                      // 1 .. TD_PARAM_MAX_DIMS
    int shape[TD_PARAM_MAX_DIMS];  // row-major; unused dims are 0
    size_t offset;                 // first float in data/grad (and every buffer sharing the layout)
    size_t count;                  // product of the shape
    td_init init;
    float init_scale;
} td_param_tensor;

typedef struct {
    td_param_tensor *tensors;  // registry, in declaration order
    int n_tensors;
    int cap_tensors;
    size_t total;              // floats over all tensors
    float *data;               // (total) weights; NULL until td_params_alloc
    float *grad;               // (total) gradients, same layout; zeroed by alloc
} td_params;

// An empty store (cannot fail, allocates nothing).
void td_params_init(td_params *p);

// Declare a tensor; its offset is written to *offset (may be NULL). Fails with
// TD_ERR_ARG for an empty/too-long/duplicate name, ndim outside 1..4 or a
// non-positive dim, or when the store is already allocated; TD_ERR_LIMIT when
// the total would exceed TD_PARAMS_MAX_COUNT; TD_ERR_NOMEM if the registry
// cannot grow. On failure the store is unchanged.
td_status td_params_declare(td_params *p, const char *name, int ndim, const int *shape,
                            td_init init, float init_scale, size_t *offset);

// Allocate data and grad (both zeroed) for everything declared so far.
// TD_ERR_ARG if nothing was declared or already allocated; TD_ERR_NOMEM.
td_status td_params_alloc(td_params *p);

// Fill every tensor by its init rule, in declaration order, drawing from rng.
// TD_ERR_ARG if the store is not allocated.
td_status td_params_init_weights(td_params *p, td_rng *rng);

// grad[0 .. total) = 0 (call before each forward/backward: backward accumulates).
void td_params_zero_grad(td_params *p);

// The tensor called `name`, or NULL (no error is recorded: absence is an answer).
const td_param_tensor *td_params_find(const td_params *p, const char *name);

// Release everything and return to the empty state (safe on an empty store).
void td_params_free(td_params *p);

#endif
