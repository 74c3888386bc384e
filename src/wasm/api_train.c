// api_train.c - the page's trainer: a 2-D diffusion model (or a VAE / HVAE) trained in the
// worker, a slice of steps per call, so the reader can pause, resume, watch and keep it.
//
// A trainer handle (TD_H_TRAINER) owns the data (a toy set or the reader's points), the
// model, the diffusion objective (models/train.h's td_score_trainer) and the optimiser
// state (td_train_session). It is the CLI's `thinkdiff train toy` cut into slices: the
// same step function, schedule, EMA and checkpoint metadata. Model "vae" or "hvae" swaps the
// objective for the negative ELBO (cli_vae.c's step) in the same loop. The page looks at the
// current model by exporting it (the EMA weights, as the CLI ships them) to .safetensors
// bytes and loading those as an ordinary model handle (api_models.c): what it samples is
// exactly what a download holds.
//
// Same rules as api.c: handles, negative status codes with td_wasm_last_error(),
// caller-owned buffers with their counts checked first.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "data/csv_points.h"
#include "data/toy2d.h"
#include "models/checkpoint.h"
#include "models/hvae.h"
#include "models/score_model.h"
#include "models/train.h"
#include "models/vae.h"
#include "prob/metrics.h"
#include "wasm/api_util.h"
#include "wasm/handles.h"

enum {
    MIN_POINTS = 10,           // fewer painted points than this is not a distribution
    MAX_WIDTH = 1024,          // the page's caps: memory is at most 512 MiB
    MAX_DEPTH = 8,
    MAX_BATCH = 4096,
    MAX_SLICE = 100000,
    MAX_CHECKPOINT = 64 << 20,
};

static const char *const SDE_NAMES[] = {"ddpm-linear", "ddpm-cosine", "vp", "subvp", "ve", "vae", "hvae"};

typedef enum { KIND_DIFFUSION, KIND_VAE, KIND_HVAE } model_kind;

typedef struct {
    // what to build (kept for reset)
    td_toy_kind toy;
    int is_toy;
    td_points points;              // the reader's points (n, 2), owned, when !is_toy
    char sde_name[16];
    int width, depth, batch;
    double lr;
    uint64_t seed;
    td_train_config cfg;
    uint8_t *init;                 // a checkpoint to start from (owned copy), or NULL
    size_t init_len;
    // what was built
    int built;
    model_kind kind;
    td_params *params;             // the trained weights: model.params, vae.params or hvae.params
    td_score_model model;          // KIND_DIFFUSION
    td_score_trainer tr;
    td_vae vae;                    // KIND_VAE
    td_vae_work vw;
    td_hvae hvae;                  // KIND_HVAE
    td_hvae_work hw;
    td_rng vrng;                   // the VAE step's draws: data and noise
    float *vx;                     // (batch, 2) the VAE step's batch
    td_train_session session;
    uint8_t *export_bytes;         // the last export (td_wasm_trainer_bytes)
    size_t export_len;
} trainer_obj;

// ---- data: a toy set, or the reader's points resampled with replacement ---------------------

// A td_data_fn: ctx is the trainer.
static td_status draw_data(void *ctx, td_rng *rng, float *out, int n) {
    const trainer_obj *t = ctx;
    if (t->is_toy) return td_toy_sample(t->toy, rng, out, n);
    // A finite point set: its empirical distribution, as `thinkdiff train --data FILE.csv`.
    for (size_t i = 0; i < (size_t)n; i++) {
        size_t r = td_rng_below(rng, (uint32_t)t->points.n);
        out[2 * i] = t->points.xy[2 * r];
        out[2 * i + 1] = t->points.xy[2 * r + 1];
    }
    return TD_OK;
}

// ---- the VAE objective: cli_vae.c's step, the page's data -----------------------------------

// A td_train_step_fn: -ELBO of a fresh batch with one reparameterised draw; ctx is the trainer.
static td_status vae_step(void *ctx, td_params *p, double *loss) {
    trainer_obj *t = ctx;
    td_params_zero_grad(p);
    td_status st = draw_data(t, &t->vrng, t->vx, t->batch);
    if (st != TD_OK) return st;
    if (t->kind == KIND_HVAE) {
        td_hvae_terms terms;
        td_rng_fill_normal(&t->vrng, t->hw.eps1, (size_t)t->batch * (size_t)t->hvae.cfg.z1_dim);
        td_rng_fill_normal(&t->vrng, t->hw.eps2, (size_t)t->batch * (size_t)t->hvae.cfg.z2_dim);
        st = td_hvae_loss(&t->hvae, &t->hw, t->vx, t->hw.eps1, t->hw.eps2, t->batch, 1, &terms);
        *loss = -terms.elbo;
    } else {
        td_vae_terms terms;
        td_rng_fill_normal(&t->vrng, t->vw.eps, (size_t)t->batch * (size_t)t->vae.cfg.z_dim);
        st = td_vae_loss(&t->vae, &t->vw, t->vx, t->vw.eps, t->batch, 1, &terms);
        *loss = -terms.elbo;
    }
    return st;
}

// ---- building and tearing down --------------------------------------------------------------

// Free whichever model, objective and scratch are built (all are zeroed or valid).
static void free_model(trainer_obj *t) {
    if (t->kind == KIND_DIFFUSION) {
        td_score_trainer_free(&t->tr);
        td_score_model_free(&t->model);
    } else if (t->kind == KIND_VAE) {
        td_vae_work_free(&t->vw);
        td_vae_free(&t->vae);
    } else {
        td_hvae_work_free(&t->hw);
        td_hvae_free(&t->hvae);
    }
    free(t->vx);
    t->vx = NULL;
}

// A VAE or HVAE from the starting checkpoint (kind from its "model" key) or from the seed,
// its scratch for one batch, and the step's draws on stream 1 (as `thinkdiff train`).
static td_status build_vae(trainer_obj *t, const td_safetensors *init) {
    td_status st;
    td_rng init_rng;
    td_rng_seed(&init_rng, t->seed, 0);   // stream 0: the weights, as the CLI seeds them
    int x_dim;
    memset(&t->vw, 0, sizeof t->vw);
    memset(&t->hw, 0, sizeof t->hw);
    if (t->kind == KIND_VAE) {
        td_vae_config cfg = td_vae_default_config();
        cfg.hidden = t->width;
        cfg.depth = t->depth;
        if ((st = init ? td_vae_load(&t->vae, init) : td_vae_init(&t->vae, &cfg, &init_rng))) return st;
        t->params = &t->vae.params;
        x_dim = t->vae.cfg.x_dim;
        st = td_vae_work_init(&t->vw, &t->vae, t->batch);
    } else {
        td_hvae_config cfg = td_hvae_default_config();
        cfg.hidden = t->width;
        cfg.depth = t->depth;
        if ((st = init ? td_hvae_load(&t->hvae, init) : td_hvae_init(&t->hvae, &cfg, &init_rng))) return st;
        t->params = &t->hvae.params;
        x_dim = t->hvae.cfg.x_dim;
        st = td_hvae_work_init(&t->hw, &t->hvae, t->batch);
    }
    if (st == TD_OK && x_dim != 2)
        st = td_fail(TD_ERR_SHAPE, "the page trains models of 2-D points; this %s is %d-D",
                     t->kind == KIND_VAE ? "VAE" : "HVAE", x_dim);
    if (st == TD_OK && !(t->vx = malloc((size_t)t->batch * 2 * sizeof(float))))
        st = td_fail(TD_ERR_NOMEM, "out of memory for a batch");
    td_rng_seed(&t->vrng, t->seed, 1);
    if (st != TD_OK) free_model(t);
    return st;
}

static void unbuild(trainer_obj *t) {
    if (!t->built) return;
    td_train_end(&t->session);
    free_model(t);
    t->built = 0;
}

// Fresh weights from the seed (or the starting checkpoint's), a fresh objective and optimiser.
static td_status build(trainer_obj *t) {
    td_status st;
    if (t->kind != KIND_DIFFUSION) {
        td_safetensors f;
        memset(&f, 0, sizeof f);
        if (t->init && (st = td_safetensors_parse(t->init, t->init_len, &f))) return st;
        st = build_vae(t, t->init ? &f : NULL);
        if (t->init) td_safetensors_free(&f);
        if (st == TD_OK && (st = td_train_begin(&t->session, t->params, &t->cfg, vae_step, t))) free_model(t);
        t->built = st == TD_OK;
        return st;
    }
    t->params = &t->model.params;
    if (t->init) {
        if ((st = td_score_model_load_mem(&t->model, t->init, t->init_len))) return st;
        const td_score_net_config *c = &t->model.net.cfg;
        if (c->data_dim != 2 || c->n_classes || c->cond_dim) {
            td_score_model_free(&t->model);
            return td_fail(TD_ERR_SHAPE, "the page trains unconditional 2-D models; this one is %d-D%s", c->data_dim,
                           c->n_classes || c->cond_dim ? " and conditional" : "");
        }
    } else {
        td_sde sde;
        if ((st = td_sde_from_name(t->sde_name, &sde))) return st;
        td_score_net_config cfg = td_score_net_defaults();
        cfg.width = t->width;
        cfg.depth = t->depth;
        td_rng init_rng;
        td_rng_seed(&init_rng, t->seed, 0);   // stream 0: the weights, as the CLI seeds them
        if ((st = td_score_model_init(&t->model, &cfg, &sde, &init_rng))) return st;
    }
    if ((st = td_score_trainer_init(&t->tr, &t->model, t->batch, draw_data, t, t->seed))) {
        td_score_model_free(&t->model);
        return st;
    }
    if ((st = td_train_begin(&t->session, &t->model.params, &t->cfg, td_score_trainer_step, &t->tr))) {
        td_score_trainer_free(&t->tr);
        td_score_model_free(&t->model);
        return st;
    }
    t->built = 1;
    return TD_OK;
}

static void trainer_destroy(void *p) {
    trainer_obj *t = p;
    unbuild(t);
    td_points_free(&t->points);
    free(t->init);
    free(t->export_bytes);
    free(t);
}

static td_status check_settings(const char *sde_name, int width, int depth, int batch, int steps, double lr,
                                double ema_decay, double seed) {
    int known = 0;
    for (size_t i = 0; i < sizeof SDE_NAMES / sizeof SDE_NAMES[0]; i++)
        known |= sde_name && strcmp(sde_name, SDE_NAMES[i]) == 0;
    if (!known)
        return td_fail(TD_ERR_ARG, "unknown model '%.32s' (choose ddpm-linear, ddpm-cosine, vp, subvp, ve, vae or hvae)",
                       sde_name ? sde_name : "(null)");
    td_status st = td_wasm_check_count(width, MAX_WIDTH, "width");
    if (st || (st = td_wasm_check_count(depth, MAX_DEPTH, "depth")) ||
        (st = td_wasm_check_count(batch, MAX_BATCH, "batch size")) ||
        (st = td_wasm_check_count(steps, TD_TRAIN_MAX_STEPS, "training steps")))
        return st;
    if (!(lr > 0.0 && lr <= 1.0)) return td_fail(TD_ERR_ARG, "the learning rate must lie in (0, 1], got %g", lr);
    if (!(ema_decay >= 0.0 && ema_decay < 1.0))
        return td_fail(TD_ERR_ARG, "the EMA decay must lie in [0, 1), got %g", ema_decay);
    if (!(seed >= 0.0 && seed < 9007199254740992.0) || seed != floor(seed))
        return td_fail(TD_ERR_ARG, "seed must be an integer in [0, 2^53), got %g", seed);
    return TD_OK;
}

// A trainer for `sde_name` (ddpm-linear, ddpm-cosine, vp, subvp, ve) with an eps-prediction
// MLP of `width` x `depth` (the CLI's net), or for "vae" / "hvae" (MLPs of `width` x `depth`,
// loss -ELBO), on toy set `toy` (0 ring8, 1 moons, 2 swissroll,
// 3 checkerboard) or, when toy < 0, on `points` (n_points, 2), copied. AdamW at peak `lr`
// with the CLI's warm-up and cosine decay over `steps`, EMA `ema_decay`, everything drawn
// from `seed`. When `init` (init_len bytes) is given, training starts from that checkpoint's
// weights and architecture (sde_name, width and depth are then ignored). Returns a handle.
int td_wasm_trainer_create(const char *sde_name, int toy, const float *points, int n_points, int width, int depth,
                           int batch, int steps, double lr, double ema_decay, double seed, const uint8_t *init,
                           int init_len) {
    int rc = check_settings(init ? "vp" : sde_name, init ? 1 : width, init ? 1 : depth, batch, steps, lr, ema_decay,
                            seed);
    if (rc) return rc;
    if (toy >= (int)TD_TOY_COUNT) return td_fail(TD_ERR_ARG, "unknown toy data set %d", toy);
    if (toy < 0) {
        if ((rc = td_wasm_check_buffer(points, "points"))) return rc;
        if (n_points < MIN_POINTS)
            return td_fail(TD_ERR_ARG, "too few points to learn from: %d (draw or load at least %d)",
                           n_points < 0 ? 0 : n_points, MIN_POINTS);
        if (n_points > TD_CSV_MAX_POINTS)
            return td_fail(TD_ERR_LIMIT, "%d points exceed the page's cap of %d", n_points, TD_CSV_MAX_POINTS);
        for (size_t i = 0; i < 2 * (size_t)n_points; i++)
            if (!isfinite(points[i])) return td_fail(TD_ERR_ARG, "point %zu is not finite", i / 2 + 1);
    }
    if (init && (init_len <= 0 || init_len > MAX_CHECKPOINT))
        return td_fail(TD_ERR_FORMAT, "the starting checkpoint has %d bytes (1 .. %d)", init_len, MAX_CHECKPOINT);

    trainer_obj *t = calloc(1, sizeof *t);
    if (!t) return td_fail(TD_ERR_NOMEM, "out of memory for a trainer");
    t->is_toy = toy >= 0;
    t->toy = t->is_toy ? (td_toy_kind)toy : TD_TOY_RING8;
    if (!t->is_toy) {
        size_t bytes = 2 * (size_t)n_points * sizeof(float);
        t->points.xy = malloc(bytes);
        if (!t->points.xy) {
            free(t);
            return td_fail(TD_ERR_NOMEM, "out of memory for %d points", n_points);
        }
        memcpy(t->points.xy, points, bytes);
        t->points.n = n_points;
    }
    if (init) {
        t->init = malloc((size_t)init_len);
        if (!t->init) {
            trainer_destroy(t);
            return td_fail(TD_ERR_NOMEM, "out of memory for the starting checkpoint");
        }
        memcpy(t->init, init, (size_t)init_len);
        t->init_len = (size_t)init_len;
        // The checkpoint's family picks the objective; a bad file is refused by its loader.
        td_safetensors f;
        if (td_safetensors_parse(t->init, t->init_len, &f) == TD_OK) {
            const char *kind = td_checkpoint_kind(&f);
            t->kind = kind && strcmp(kind, TD_VAE_KIND) == 0    ? KIND_VAE
                      : kind && strcmp(kind, TD_HVAE_KIND) == 0 ? KIND_HVAE
                                                                : KIND_DIFFUSION;
            td_safetensors_free(&f);
        }
    } else {
        snprintf(t->sde_name, sizeof t->sde_name, "%s", sde_name);
        t->kind = strcmp(sde_name, "vae") == 0 ? KIND_VAE : strcmp(sde_name, "hvae") == 0 ? KIND_HVAE : KIND_DIFFUSION;
    }
    t->width = width;
    t->depth = depth;
    t->batch = batch;
    t->lr = lr;
    t->seed = (uint64_t)seed;
    t->cfg = td_train_defaults();   // the CLI's schedule: warm-up 200 (or a tenth), cosine to 1%
    t->cfg.steps = steps;
    t->cfg.lr = (float)lr;
    t->cfg.ema_decay = (float)ema_decay;
    if (t->cfg.warmup >= steps) t->cfg.warmup = steps / 10;
    if ((rc = build(t))) {
        trainer_destroy(t);
        return rc;
    }
    return td_handle_put(TD_H_TRAINER, t, trainer_destroy);
}

int td_wasm_trainer_free(int h) { return td_handle_free(h, TD_H_TRAINER); }

// Up to k more steps (never past the run's end); losses (k) receives each step's loss.
// Returns the steps taken: 0 once the run is complete.
int td_wasm_trainer_run(int h, int k, float *losses) {
    trainer_obj *t = td_handle_get(h, TD_H_TRAINER);
    if (!t) return TD_ERR_ARG;
    int rc = td_wasm_check_count(k, MAX_SLICE, "steps per slice");
    if (rc || (rc = td_wasm_check_buffer(losses, "losses"))) return rc;
    int done = 0;
    if ((rc = td_train_advance(&t->session, k, losses, &done))) return rc;
    return done;
}

// out (6): steps done, steps in the run, smoothed loss, learning rate, seconds spent
// training, parameters. Returns the steps done.
int td_wasm_trainer_progress(int h, double *out) {
    const trainer_obj *t = td_handle_get(h, TD_H_TRAINER);
    if (!t) return TD_ERR_ARG;
    int rc = td_wasm_check_buffer(out, "output");
    if (rc) return rc;
    const td_train_progress *pr = &t->session.pr;
    double v[6] = {pr->step, pr->steps, pr->loss_smooth, pr->lr, pr->elapsed, (double)t->params->total};
    memcpy(out, v, sizeof v);
    return pr->step;
}

// Start again from step 0 with the same settings and data: the seed's weights (or the
// starting checkpoint's), a fresh optimiser and EMA.
int td_wasm_trainer_reset(int h) {
    trainer_obj *t = td_handle_get(h, TD_H_TRAINER);
    if (!t) return TD_ERR_ARG;
    unbuild(t);
    return build(t);   // on failure the trainer stays unbuilt and refuses further calls
}

// The current model - the EMA weights, as `thinkdiff train` saves them - as .safetensors
// bytes with the CLI's metadata, kept by the trainer until the next export (read them with
// td_wasm_trainer_bytes). Returns the byte count.
int td_wasm_trainer_export(int h) {
    trainer_obj *t = td_handle_get(h, TD_H_TRAINER);
    if (!t) return TD_ERR_ARG;
    if (!t->built) return td_fail(TD_ERR_ARG, "the trainer failed to reset; create a new one");
    td_meta_list *meta = malloc(sizeof *meta);   // 32 KiB: too big for a wasm stack
    if (!meta) return td_fail(TD_ERR_NOMEM, "out of memory for the checkpoint's metadata");
    const td_train_progress *pr = &t->session.pr;
    char seed[32], data[48];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)t->seed);
    if (t->is_toy) snprintf(data, sizeof data, "%s", td_toy_name(t->toy));
    else snprintf(data, sizeof data, "points (%d drawn or loaded in the page)", t->points.n);
    td_meta_init(meta);
    td_status st = TD_OK;
    const char *kind = TD_SCORE_MODEL_KIND;
    if (t->kind == KIND_DIFFUSION) {
        st = td_score_model_describe(&t->model, meta);
    } else {   // the architecture keys td_vae_save / td_hvae_save write, so their loaders read it
        int is_vae = t->kind == KIND_VAE;
        kind = is_vae ? TD_VAE_KIND : TD_HVAE_KIND;
        st = td_meta_add_int(meta, "x_dim", is_vae ? t->vae.cfg.x_dim : t->hvae.cfg.x_dim);
        if (st == TD_OK && is_vae) st = td_meta_add_int(meta, "z_dim", t->vae.cfg.z_dim);
        if (st == TD_OK && !is_vae) st = td_meta_add_int(meta, "z1_dim", t->hvae.cfg.z1_dim);
        if (st == TD_OK && !is_vae) st = td_meta_add_int(meta, "z2_dim", t->hvae.cfg.z2_dim);
        if (st == TD_OK) st = td_meta_add_int(meta, "hidden", is_vae ? t->vae.cfg.hidden : t->hvae.cfg.hidden);
        if (st == TD_OK) st = td_meta_add_int(meta, "depth", is_vae ? t->vae.cfg.depth : t->hvae.cfg.depth);
        if (st == TD_OK) st = td_meta_add_string(meta, "act", td_act_name(is_vae ? t->vae.cfg.act : t->hvae.cfg.act));
    }
    if (st == TD_OK) st = td_meta_add_string(meta, "data", data);
    if (st == TD_OK) st = td_meta_add_string(meta, "seed", seed);
    if (st == TD_OK) st = td_meta_add_int(meta, "train_steps", pr->step);
    if (st == TD_OK) st = td_meta_add_int(meta, "batch", t->batch);
    if (st == TD_OK) st = td_meta_add_double(meta, "lr", t->lr);
    if (st == TD_OK) st = td_meta_add_double(meta, "ema_decay", (double)t->cfg.ema_decay);
    if (st == TD_OK) st = td_meta_add_double(meta, "final_loss", pr->loss_smooth);
    if (st == TD_OK) st = td_meta_add_string(meta, "trainer", "thinkdiff page");
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (st == TD_OK && (st = td_train_swap_average(&t->session)) == TD_OK) {
        st = td_checkpoint_write_mem(t->params, kind, meta, TD_DTYPE_F32, &bytes, &len);
        td_status back = td_train_swap_average(&t->session);
        if (st == TD_OK) st = back;
    }
    free(meta);
    if (st == TD_OK && len > (size_t)MAX_CHECKPOINT) st = td_fail(TD_ERR_LIMIT, "the checkpoint exceeds 64 MiB");
    if (st != TD_OK) {
        free(bytes);
        return st;
    }
    free(t->export_bytes);
    t->export_bytes = bytes;
    t->export_len = len;
    return (int)len;
}

// The bytes of the last export (NULL before the first).
const uint8_t *td_wasm_trainer_bytes(int h) {
    const trainer_obj *t = td_handle_get(h, TD_H_TRAINER);
    return t ? t->export_bytes : NULL;
}

// Metrics of samples x (n, 2) against the trainer's data: sliced W2 and MMD^2 with their
// noise floors for any data, and the mode metrics when the data are the ring. out (12) as
// td_wasm_metrics_ring; text (cap) the formatted block.
int td_wasm_trainer_metrics(int h, const float *x, int n, double seed, double *out, char *text, int cap) {
    trainer_obj *t = td_handle_get(h, TD_H_TRAINER);
    if (!t) return TD_ERR_ARG;
    int rc = td_wasm_check_count(n, 1 << 20, "sample count");
    if (rc || (rc = td_wasm_check_buffer(x, "samples")) || (rc = td_wasm_check_buffer(out, "output")) ||
        (rc = td_wasm_check_buffer(text, "text")) || (rc = td_wasm_check_count(cap, 1 << 16, "text capacity")))
        return rc;
    if (!(seed >= 0.0 && seed < 9007199254740992.0) || seed != floor(seed))
        return td_fail(TD_ERR_ARG, "seed must be an integer in [0, 2^53), got %g", seed);
    td_ring8 ring = td_ring8_default();
    float centres[2 * TD_RING8_MODES];
    td_ring8_centres(&ring, centres);
    td_mode_ref modes = {centres, TD_RING8_MODES, ring.std};
    td_metrics_config config = td_metrics_config_default();
    config.seed = (uint64_t)seed;
    td_metrics m;
    const td_mode_ref *ref = t->is_toy && t->toy == TD_TOY_RING8 ? &modes : NULL;
    if ((rc = td_metrics_evaluate(x, n, draw_data, t, ref, &config, &m))) return rc;
    double v[12] = {m.n, ref ? m.modes.modes_covered : 0, ref ? m.modes.n_modes : 0,
                    ref ? m.modes.hq_fraction : (double)NAN, ref ? m.modes.mode_kl : (double)NAN,
                    ref ? m.modes.mean_log_density : (double)NAN, ref ? m.ref_log_density : (double)NAN,
                    m.sw2, m.sw2_floor, m.mmd2,
                    m.mmd2_floor, (double)m.mmd_bandwidth};
    memcpy(out, v, sizeof v);
    return td_metrics_format(&m, text, (size_t)cap);
}

// n draws (n, 2) of the trainer's data from `rng_h` (the picture of what it learns from).
int td_wasm_trainer_data(int h, int rng_h, int n, float *out) {
    trainer_obj *t = td_handle_get(h, TD_H_TRAINER);
    if (!t) return TD_ERR_ARG;
    td_rng *rng = td_handle_get(rng_h, TD_H_RNG);
    if (!rng) return TD_ERR_ARG;
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES / 2, "count");
    if (rc || (rc = td_wasm_check_buffer(out, "output"))) return rc;
    return (rc = draw_data(t, rng, out, n)) ? rc : n;
}

// Points from CSV text (len bytes, see data/csv_points.h: one "x,y" per line, an optional
// header, '#' comments) into out (cap, 2). Garbage is refused with the line it is on.
// Returns the number of points.
int td_wasm_csv_points(const char *text, int len, float *out, int cap) {
    int rc = td_wasm_check_buffer(text, "text");
    if (rc || (rc = td_wasm_check_buffer(out, "output"))) return rc;
    if (len <= 0) return td_fail(TD_ERR_FORMAT, "the CSV file is empty");
    td_points pts;
    if ((rc = td_points_parse_csv(&pts, text, (size_t)len))) return rc;
    if (pts.n > cap) {
        td_points_free(&pts);
        return td_fail(TD_ERR_LIMIT, "%d points do not fit the %d-point buffer", pts.n, cap);
    }
    memcpy(out, pts.xy, 2 * (size_t)pts.n * sizeof(float));
    int n = pts.n;
    td_points_free(&pts);
    return n;
}
