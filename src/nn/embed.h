// embed.h - what a conditional network adds to its input: a sinusoidal time
// embedding (fixed), a learned class table with a "no class" row for
// classifier-free guidance, a linear projection of continuous conditions
// (an RGB colour, a style vector), and column concat/split helpers that
// build the MLP input [x, time_emb, cond_emb] and route its gradient back.
//
// A conditional denoiser's forward and backward, for instance:
//   td_time_embed(t, B, Dt, 1000.0f, temb);
//   td_class_embed_forward(&cls, &p, labels, B, cemb);
//   td_concat_cols(in, B, 3, (const float *[]){x, temb, cemb}, (int[]){D, Dt, Dc});
//   td_mlp_forward_train(&net, &p, &work, in, out, B);   ...loss -> dout...
//   td_mlp_backward(&net, &p, &work, dout, din);
//   td_split_cols(din, B, 3, (float *[]){NULL, NULL, dcemb}, (int[]){D, Dt, Dc});
//   td_class_embed_backward(&cls, &p, labels, B, dcemb);
#ifndef TD_EMBED_H
#define TD_EMBED_H

#include "core/status.h"
#include "nn/params.h"
#include "prob/rng.h"

// ---- sinusoidal time embedding (no parameters, no gradient) ------------------

// t (B) -> out (B, D), D even, half = D / 2, like the Transformer / DDPM:
//   out[:, j]        = sin(scale * t * f_j),   f_j = 10000^(-j / half), j < half
//   out[:, half + j] = cos(scale * t * f_j)
// Integer DDPM steps: pass t = step, scale = 1. Continuous t in [0, 1]: a
// scale of ~1000 spreads the frequencies as over 1000 steps. Computed in
// double so native and wasm agree. TD_ERR_ARG for B <= 0 or D odd / <= 0.
td_status td_time_embed(const float *t, int B, int D, float scale, float *out);

// ---- learned class embedding -------------------------------------------------

// A table (n_classes + 1, dim); row n_classes is the learned "no class"
// embedding used for unconditional passes in classifier-free guidance.
typedef struct {
    int n_classes, dim;
    size_t table;   // offset of "<name>.weight" (n_classes + 1, dim), init N(0, 1)
} td_class_embed;

// Declare "<name>.weight" in p. TD_ERR_ARG for n_classes or dim <= 0.
td_status td_class_embed_init(td_class_embed *e, td_params *p, const char *name, int n_classes,
                              int dim);

// labels (B), each in 0 .. n_classes (n_classes = no class) -> out (B, dim),
// copied rows of the table. TD_ERR_ARG for B <= 0 or a label out of range.
td_status td_class_embed_forward(const td_class_embed *e, const td_params *p, const int *labels,
                                 int B, float *out);

// dout (B, dim) -> grad of the table rows += dout (rows of repeated labels
// add up). Same checks as forward.
td_status td_class_embed_backward(const td_class_embed *e, td_params *p, const int *labels, int B,
                                  const float *dout);

// Classifier-free guidance training: replace each label by n_classes ("no
// class") with probability p_uncond, in place, drawing one uniform per row.
void td_labels_drop(int *labels, int B, int n_classes, double p_uncond, td_rng *rng);

// ---- projection of a continuous condition ------------------------------------

// out = c W^T + b: a dense layer without activation, named for what it does.
// (For a nonlinear condition encoder use a small td_mlp.)
typedef struct {
    int d_in, d_out;
    size_t w, b;   // offsets of "<name>.weight" (d_out, d_in) and "<name>.bias" (d_out)
} td_cond_proj;

// Declare the tensors (init U(+-1/sqrt(d_in))). TD_ERR_ARG for sizes <= 0.
td_status td_cond_proj_init(td_cond_proj *pr, td_params *p, const char *name, int d_in, int d_out);

// c (B, d_in) -> out (B, d_out). TD_ERR_ARG for B <= 0.
td_status td_cond_proj_forward(const td_cond_proj *pr, const td_params *p, const float *c, int B,
                               float *out);

// dout (B, d_out) (not modified) -> grad W, b += ...; dc (B, d_in) = dout W
// unless dc is NULL. c is the forward's input.
td_status td_cond_proj_backward(const td_cond_proj *pr, td_params *p, const float *c, int B,
                                const float *dout, float *dc);

// ---- concatenation along columns ------------------------------------------

// parts[k] (B, widths[k]) -> out (B, sum widths): row i of out is row i of
// every part, side by side. TD_ERR_ARG for B, n_parts or a width <= 0, or a
// NULL part.
td_status td_concat_cols(float *out, int B, int n_parts, const float *const *parts,
                         const int *widths);

// The gradient's way back: in (B, sum widths) -> parts[k] (B, widths[k]);
// a NULL part is skipped (e.g. the time embedding, which has no parameters).
td_status td_split_cols(const float *in, int B, int n_parts, float *const *parts,
                        const int *widths);

#endif
