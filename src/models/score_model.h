// score_model.h - a diffusion model as one object: the SDE, the score net and its
// parameters, built fresh for training or rebuilt from a checkpoint's bytes.
//
// Checkpoint layout ("model" = "diffusion", see models/checkpoint.h): the net's tensors
// and, as metadata, everything needed to rebuild it:
//   sde            vp | subvp | ve | ddpm-linear | ddpm-cosine, with its parameters
//                  (beta_min, beta_max | sigma_min, sigma_max | num_steps, beta_start,
//                  beta_end, cosine_offset) and t_eps
//   net sizes      data_dim, time_dim, time_scale, width, depth, activation, residual,
//                  prediction, scale_input, n_classes, class_dim, cond_dim, cond_proj_dim
// Training metadata (data set, seed, steps, loss) is added by the caller and ignored
// by the loader.
#ifndef TD_SCORE_MODEL_H
#define TD_SCORE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "io/safetensors.h"
#include "models/checkpoint.h"
#include "models/score_net.h"

#define TD_SCORE_MODEL_KIND "diffusion"

typedef struct {
    td_sde sde;
    td_score_net net;
    td_params params;    // owned
} td_score_model;

// Declare, allocate and initialise a fresh model from `rng`. On failure m is empty.
td_status td_score_model_init(td_score_model *m, const td_score_net_config *cfg, const td_sde *sde,
                              td_rng *rng);

// Rebuild a model from a parsed checkpoint: family and version, SDE, sizes, then every
// tensor with its shape. On failure m is empty and the message names the key or tensor.
td_status td_score_model_load(td_score_model *m, const td_safetensors *st);

// The same for a family built on the score model (latent diffusion: "digit-latent"),
// whose files carry this model's metadata under another "model" name.
td_status td_score_model_load_as(td_score_model *m, const td_safetensors *st, const char *kind);

// The same from bytes (borrowed only during the call) - the page's entry point.
td_status td_score_model_load_mem(td_score_model *m, const uint8_t *bytes, size_t len);

// The model's own metadata (SDE and sizes) added to `meta`.
td_status td_score_model_describe(const td_score_model *m, td_meta_list *meta);

// Write the model with its own metadata plus `extra` (may be NULL) to `path`.
td_status td_score_model_save(const td_score_model *m, const char *path, const td_meta_list *extra,
                              td_dtype dtype);

void td_score_model_free(td_score_model *m);

#endif
