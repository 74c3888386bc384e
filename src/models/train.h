// train.h - the training loop every model shares, and the diffusion objective's step.
//
// td_train_run owns the optimiser side: learning-rate warm-up and cosine decay, AdamW,
// gradient clipping, the EMA of the weights, a smoothed loss and timing. What a step
// computes is a callback (fill p->grad, return the loss), so the VAE and the diffusion
// models share the loop. The library never prints: progress goes to a callback, and the
// CLI draws the progress line.
//
//   lr(k) = lr * k / warmup                                            k < warmup
//         = lr_min + (lr - lr_min) (1 + cos(pi (k - warmup) / (steps - warmup))) / 2
//   with lr_min = lr * lr_min_ratio. At the end p holds the EMA weights (when
//   ema_decay > 0): those sample better and are what we ship.
#ifndef TD_TRAIN_H
#define TD_TRAIN_H

#include <stdint.h>

#include "core/status.h"
#include "models/score_model.h"
#include "nn/adamw.h"
#include "nn/ema.h"
#include "nn/params.h"
#include "prob/rng.h"

enum { TD_TRAIN_MAX_STEPS = 100000, TD_TRAIN_MAX_BATCH = 65536 };

typedef struct {
    int steps;            // optimiser steps, 1 .. TD_TRAIN_MAX_STEPS
    float lr;             // peak learning rate, > 0
    float lr_min_ratio;   // cosine floor as a fraction of lr, in [0, 1]
    int warmup;           // linear warm-up steps, 0 .. steps - 1
    float weight_decay;   // AdamW decoupled decay, >= 0
    float clip;           // global gradient-norm cap; <= 0 disables clipping
    float ema_decay;      // in [0, 1); 0 disables the EMA
    int progress_every;   // progress callback period in steps, >= 1
} td_train_config;

// lr 2e-3, floor 1%, warm-up 200, decay 0, clip 1, EMA 0.999, progress every 100 steps.
td_train_config td_train_defaults(void);

typedef struct {
    int step, steps;      // steps done so far, of `steps`
    double loss;          // the last step's loss
    double loss_smooth;   // exponential average of the loss (bias-corrected, 200-step scale)
    double lr;            // the last step's learning rate
    double elapsed;       // wall seconds since the start
    double steps_per_s;
    double eta;           // estimated seconds left
} td_train_progress;

// Zero p->grad, compute the gradient of the loss on a fresh batch into p->grad and
// store the loss. Called once per optimiser step.
typedef td_status (*td_train_step_fn)(void *ctx, td_params *p, double *loss);

// Progress report; return nonzero to stop early (the loop then ends as if finished).
typedef int (*td_train_progress_fn)(void *ctx, const td_train_progress *progress);

// Run cfg->steps steps on p (allocated and initialised). `progress` may be NULL; it is
// also called once after the last step. `final` (may be NULL) receives the last
// report. A non-finite loss or gradient stops training with TD_ERR_ARG ("diverged").
// This is td_train_begin, td_train_advance one step at a time, td_train_finish.
td_status td_train_run(td_params *p, const td_train_config *cfg, td_train_step_fn step, void *step_ctx,
                       td_train_progress_fn progress, void *progress_ctx, td_train_progress *final);

// ---- the same loop a slice at a time (the page trains between UI messages) ------------

// A training run in progress: the optimiser's moments, the EMA and the counters. The
// schedule still spans cfg.steps, so a run paused and resumed in slices takes the very
// same steps as td_train_run.
typedef struct {
    td_train_config cfg;
    td_params *p;                  // borrowed: the live (trained) weights
    td_train_step_fn step;
    void *step_ctx;
    td_adamw opt;
    td_ema ema;
    int use_ema;
    td_train_progress pr;          // elapsed counts time spent inside td_train_advance only
    double smooth, smooth_w;
} td_train_session;

// Validate cfg and allocate the optimiser and EMA state for p. On failure s is empty.
td_status td_train_begin(td_train_session *s, td_params *p, const td_train_config *cfg, td_train_step_fn step,
                         void *step_ctx);

// Run up to k (>= 1) more steps, never past cfg.steps. losses (k, may be NULL) receives
// each step's loss; *done (may be NULL) the steps taken (0 once the run is complete).
// On failure (a diverged step) the steps before it count and the session stays usable
// only for td_train_swap_average and td_train_end.
td_status td_train_advance(td_train_session *s, int k, float *losses, int *done);

// Exchange the live weights in p with the EMA's (O(1)); twice restores them. Between the
// two calls p holds what td_train_finish would leave there, e.g. to export or sample the
// current model; do not advance in between. No-op without an EMA.
td_status td_train_swap_average(td_train_session *s);

// Leave the EMA weights in p (when ema_decay > 0) and free the session's state.
td_status td_train_finish(td_train_session *s);

// Free the session's state, leaving p as it is (the live weights).
void td_train_end(td_train_session *s);

// ---- the diffusion objective ---------------------------------------------------------

// Draws n clean rows into out (n, dim) (td_toy_sampler has this signature for dim 2).
typedef td_status (*td_data_fn)(void *ctx, td_rng *rng, float *out, int n);

// Denoising score matching in the net's own form (eps for the shipped models): each step
// draws `batch` clean rows, a time per row (uniform on [t_eps, 1], or a uniform DDPM
// step), the noise, and regresses the net's output on the target with the weights of
// diffusion/loss.h. For an eps net the weight is 1: the "simple" DDPM loss, equal to
// score matching with Song et al.'s lambda(t) = sigma(t)^2.
typedef struct {
    td_score_model *model;   // borrowed
    td_data_fn data;
    void *data_ctx;
    td_rng rng;              // the step's draws: data, t, noise
    int batch;
    td_score_net_work work;
    float *x0, *t, *xt, *target, *weight, *pred;   // (batch, D) or (batch)
    double *alpha_tab, *sigma_tab;                 // DDPM only: (N + 1) at t = i / N
} td_score_trainer;

td_status td_score_trainer_init(td_score_trainer *tr, td_score_model *model, int batch,
                                td_data_fn data, void *data_ctx, uint64_t seed);
void td_score_trainer_free(td_score_trainer *tr);

// A td_train_step_fn: ctx is a td_score_trainer * whose model owns p.
td_status td_score_trainer_step(void *ctx, td_params *p, double *loss);

#endif
