// mlp.h - multilayer perceptrons built from dense layers: a plain stack and a
// residual stack, with forward and backward side by side.
//
// Plain (cfg.residual = 0), depth = number of hidden layers:
//   h_0 = x (B, d_in)
//   h_{i+1} = act(h_i W_i^T + b_i)   (B, d_hidden)   for i < depth
//   y = h_depth W^T + b              (B, d_out)      linear output
//   depth = 0 is a single linear map x -> y.
//
// Residual (cfg.residual = 1), depth = number of residual blocks, each
// "post-activation" h <- h + act(h W^T + b), so every block is one fused dense
// call plus an add and the identity path carries the gradient straight down:
//   h_0 = x W_in^T + b_in            (B, d_hidden)   linear input projection
//   h_{k+1} = h_k + act(h_k W_k^T + b_k)             for k < depth
//   y = h_depth W_out^T + b_out      (B, d_out)      linear output
//
// Parameter names (prefix "net"): plain "net.0.weight", "net.0.bias", ...,
// "net.<depth>.weight"; residual "net.in.weight", "net.block.<k>.weight",
// "net.out.weight" (and the matching ".bias"). Weights are (out, in) like
// PyTorch's Linear and initialised U(+-1/sqrt(fan_in)), biases likewise.
//
// Usage:
//   td_mlp net;  td_mlp_work work;
//   td_mlp_init(&net, &p, "net", &cfg);  ...declare others...;  td_params_alloc(&p);
//   td_params_init_weights(&p, &rng);  td_mlp_work_init(&work, &net, max_batch);
//   train step: td_params_zero_grad(&p); td_mlp_forward_train(&net, &p, &work, x, y, B);
//               loss -> dy;  td_mlp_backward(&net, &p, &work, dy, NULL);  td_adamw_step(...)
//   inference:  td_mlp_forward(&net, &p, &work, x, y, B);
//   td_mlp_work_free(&work);  td_params_free(&p);   (td_mlp itself owns no memory)
#ifndef TD_MLP_H
#define TD_MLP_H

#include "core/status.h"
#include "nn/dense.h"
#include "nn/params.h"

#define TD_MLP_MAX_LAYERS 16   // dense layers: depth + 1 (plain) or depth + 2 (residual)

typedef struct {
    int d_in, d_hidden, d_out;  // all > 0 (d_hidden is ignored by a plain depth-0 net)
    int depth;                  // plain: hidden layers; residual: residual blocks (>= 0)
    td_act act;                 // hidden activation; the output is always linear
    int residual;               // 0 plain, 1 residual
} td_mlp_config;

// The architecture and where its tensors live in a td_params (no memory owned).
typedef struct {
    td_mlp_config cfg;
    int n_layers;
    int in_dim[TD_MLP_MAX_LAYERS], out_dim[TD_MLP_MAX_LAYERS];
    td_act act[TD_MLP_MAX_LAYERS];
    int skip[TD_MLP_MAX_LAYERS];    // 1: this layer's output is added to its input
    size_t w[TD_MLP_MAX_LAYERS];    // offset of W (out_dim, in_dim)
    size_t b[TD_MLP_MAX_LAYERS];    // offset of b (out_dim)
} td_mlp;

// Activations kept by forward_train for backward, plus gradient scratch.
// Sized for one td_mlp and at most max_batch rows.
typedef struct {
    int max_batch;
    int batch;        // rows of the last forward_train (0: backward not possible)
    int n_layers;
    float *in[TD_MLP_MAX_LAYERS + 1];  // in[i] (B, in_dim[i]) input of layer i; in[n_layers] = y
    float *slope[TD_MLP_MAX_LAYERS];   // slope[i] (B, out_dim[i]) act'(z) of layer i
    float *g[3];                       // gradient scratch, each (B, widest layer)
    float *mem;                        // the one allocation behind all of the above
} td_mlp_work;

// Validate cfg and declare the net's tensors in p under `prefix`. TD_ERR_ARG
// for non-positive sizes, negative depth, too many layers or a bad activation
// (p untouched); errors from td_params_declare (duplicate names, size cap) pass
// through and may leave some of the net's tensors declared: free p then.
td_status td_mlp_init(td_mlp *net, td_params *p, const char *prefix, const td_mlp_config *cfg);

// Allocate a workspace for `net` and batches up to max_batch rows.
td_status td_mlp_work_init(td_mlp_work *work, const td_mlp *net, int max_batch);
void td_mlp_work_free(td_mlp_work *work);

// Inference: x (B, d_in) -> y (B, d_out) with p->data; uses only the gradient
// scratch, so an earlier forward_train's cache survives it. y may not alias x. TD_ERR_ARG for B <= 0, TD_ERR_LIMIT for B > work->max_batch.
td_status td_mlp_forward(const td_mlp *net, const td_params *p, td_mlp_work *work,
                         const float *x, float *y, int B);

// Inference on rows whose last `shared` input columns are one common vector
// (a sampler's batch: one time, one class, one condition for every row):
// x (B, d_in - shared) holds the varying columns, tail (shared) the common ones.
// Layer 0's product with the tail is computed once and added to its bias, so
// layer 0 reads d_in - shared columns per row instead of d_in (the toy score
// net: 2 instead of 34). Equal to td_mlp_forward on the full rows up to
// rounding. TD_ERR_ARG when shared is not in 0 .. d_in - 1 or layer 0 has a
// skip connection; TD_ERR_NOMEM if its small scratch cannot be had.
td_status td_mlp_forward_shared(const td_mlp *net, const td_params *p, td_mlp_work *work,
                                const float *x, const float *tail, int shared, float *y, int B);

// Training forward: as td_mlp_forward, but copies x and keeps every layer's
// input and activation slope in work for td_mlp_backward (x may be reused at once).
td_status td_mlp_forward_train(const td_mlp *net, const td_params *p, td_mlp_work *work,
                               const float *x, float *y, int B);

// Backward of the last forward_train: dy (B, d_out) is dL/dy (not modified).
// ACCUMULATES dL/dW, dL/db into p->grad (zero it first); writes dL/dx (B, d_in)
// to dx unless dx is NULL. TD_ERR_ARG if no forward_train preceded it.
td_status td_mlp_backward(const td_mlp *net, td_params *p, td_mlp_work *work,
                          const float *dy, float *dx);

#endif
