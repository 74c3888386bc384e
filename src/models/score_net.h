// score_net.h - the noise / score network: [x_t, time embedding, condition] -> MLP -> prediction.
//
//   x_t (B, D) --(optional input scaling c_in(t))--+
//   t (B) -> sinusoidal embedding (B, Dt) ---------+-> concat (B, D + Dt + Dc + Dp)
//   labels (B) -> class table (B, Dc)  [optional] -+       -> MLP (width W, depth L, SiLU)
//   cond (B, C) -> linear projection (B, Dp) [opt] +       -> out (B, D) in form `pred`
//
// One network serves the 2-D toys (D = 2, unconditional) and, later, latent diffusion on
// digits (D = latent size, a class table with its "no class" row for classifier-free
// guidance, a colour projection). Time is continuous in [0, 1] for every SDE kind; a
// DDPM step i is read as t = i / N, and `time_scale` (1000) spreads the embedding's
// frequencies as over 1000 steps.
//
// Input scaling (cfg.scale_input): the net reads c_in(t) x_t with c_in = 1/sqrt(alpha^2 +
// sigma^2), so its input stays O(1) on every SDE (EDM's preconditioning with unit data
// scale). On VP and DDPM alpha^2 + sigma^2 = 1 and it changes nothing; on VE (sigma up
// to 10) it keeps the first layer out of saturation. The net keeps its td_sde for this.
//
// Tensor names: "net.*" (the MLP, see nn/mlp.h), "cls.weight" (n_classes + 1, Dc),
// "cond.weight" (Dp, C), "cond.bias" (Dp).
//
//   td_score_net net;  td_score_net_init(&net, &p, &cfg, &sde);  td_params_alloc(&p); ...
//   td_score_net_work w;  td_score_net_work_init(&w, &net, max_batch);
//   train: forward_train -> loss gradient -> backward;   sample: td_score_net_denoiser.
#ifndef TD_SCORE_NET_H
#define TD_SCORE_NET_H

#include "core/status.h"
#include "diffusion/denoiser.h"
#include "diffusion/sde.h"
#include "nn/embed.h"
#include "nn/mlp.h"
#include "nn/params.h"

enum {
    TD_SCORE_NET_MAX_DIM = 65536,    // data_dim, time_dim, class/cond dims, width
    TD_SCORE_NET_MAX_CLASSES = 65536,
};

typedef struct {
    int data_dim;         // D > 0
    int time_dim;         // Dt > 0, even
    float time_scale;     // > 0, the embedding reads time_scale * t (1000)
    int n_classes;        // 0: no class input; else a table (n_classes + 1, class_dim)
    int class_dim;        // Dc (ignored when n_classes == 0)
    int cond_dim;         // C: 0 no continuous condition; else projected to cond_proj_dim
    int cond_proj_dim;    // Dp (ignored when cond_dim == 0)
    int width, depth;     // MLP hidden width and hidden layers (residual: blocks)
    td_act act;           // hidden activation (SiLU)
    int residual;         // 0 plain MLP, 1 residual MLP
    td_prediction pred;   // what the output means (TD_PRED_EPS for every shipped model)
    int scale_input;      // 1: read c_in(t) x_t (see above)
} td_score_net_config;

// The toy defaults: D = 2, Dt = 32 (scale 1000), width 128, depth 3, SiLU, plain,
// eps prediction, input scaling on, no conditions.
td_score_net_config td_score_net_defaults(void);

// TD_OK, or TD_ERR_ARG naming the first field out of range.
td_status td_score_net_validate(const td_score_net_config *cfg);

typedef struct {
    td_score_net_config cfg;
    td_sde sde;           // the noising process the net was trained for (input scaling)
    int d_in;             // D + Dt + Dc + Dp: the MLP's input width
    td_mlp mlp;
    td_class_embed cls;   // used when n_classes > 0
    td_cond_proj cond;    // used when cond_dim > 0
} td_score_net;

// Validate cfg and sde, and declare the net's tensors in p (not yet allocated).
// On failure some tensors may be declared: free p.
td_status td_score_net_init(td_score_net *net, td_params *p, const td_score_net_config *cfg,
                            const td_sde *sde);

// Buffers for batches of up to max_batch rows (activations for backward included).
typedef struct {
    int max_batch;
    int batch;            // rows of the last forward_train (0: none)
    td_mlp_work mlp;
    float *in, *din;      // (max_batch, d_in) MLP input and its gradient
    float *temb;          // (max_batch, Dt)
    float *cemb, *dcemb;  // (max_batch, Dc)
    float *cproj, *dcproj;// (max_batch, Dp)
    float *cond;          // (max_batch, C) the last forward_train's condition
    float *t;             // (max_batch) scratch for the denoiser adapter
    int *labels;          // (max_batch) the last forward_train's labels
    void *mem;            // the one allocation behind the float and int buffers
} td_score_net_work;

td_status td_score_net_work_init(td_score_net_work *w, const td_score_net *net, int max_batch);
void td_score_net_work_free(td_score_net_work *w);

// Inference: x (B, D), t (B), labels (B) or NULL (= "no class" for every row), cond
// (B, C) or NULL (= zeros) -> out (B, D). TD_ERR_ARG for B <= 0 or a label out of
// range; TD_ERR_LIMIT for B > max_batch.
td_status td_score_net_forward(const td_score_net *net, const td_params *p, td_score_net_work *w,
                               const float *x, const float *t, const int *labels,
                               const float *cond, float *out, int B);

// The same, keeping what td_score_net_backward needs.
td_status td_score_net_forward_train(const td_score_net *net, const td_params *p,
                                     td_score_net_work *w, const float *x, const float *t,
                                     const int *labels, const float *cond, float *out, int B);

// dout (B, D) = dL/dout of the last forward_train -> p->grad += dL/dtheta (zero it first).
td_status td_score_net_backward(const td_score_net *net, td_params *p, td_score_net_work *w,
                                const float *dout);

// ---- the net as a td_denoiser ------------------------------------------------------

// What the adapter needs; every pointer must outlive the denoiser. One label (or -1 for
// "no class") and one condition (cond_dim floats, or NULL) apply to every row.
typedef struct {
    const td_score_net *net;
    const td_params *params;
    td_score_net_work *work;   // any max_batch: larger requests are split into chunks
    int label;
    const float *cond;
} td_score_net_ctx;

// A denoiser of kind net->cfg.pred that evaluates the net on x (n, D) at time t.
td_denoiser td_score_net_denoiser(td_score_net_ctx *ctx);

#endif
