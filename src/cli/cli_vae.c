// cli_vae.c - training and opening the VAE, the HVAE and the 1-D map from the CLI.
#define _POSIX_C_SOURCE 200809L

#include "cli/cli_vae.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/hvae.h"
#include "models/map1d.h"
#include "models/train.h"
#include "models/vae.h"

// ---- training through the shared loop (warm-up, cosine, clipping, AdamW, EMA) -----------

typedef struct {
    int is_hvae;
    td_vae *vae;
    td_vae_work *vw;
    td_hvae *hvae;
    td_hvae_work *hw;
    cli_data *data;
    td_rng rng;
    float *x;
    int batch;
} vae_step_ctx;

// Loss -ELBO on a fresh batch; td_train_run has zeroed nothing, so zero here.
static td_status vae_step(void *ctx, td_params *p, double *loss) {
    vae_step_ctx *c = ctx;
    td_params_zero_grad(p);
    td_status st = cli_data_draw(c->data, &c->rng, c->x, c->batch);
    if (st != TD_OK) return st;
    if (c->is_hvae) {
        td_hvae_work *w = c->hw;
        td_hvae_terms t;
        td_rng_fill_normal(&c->rng, w->eps1, (size_t)c->batch * (size_t)c->hvae->cfg.z1_dim);
        td_rng_fill_normal(&c->rng, w->eps2, (size_t)c->batch * (size_t)c->hvae->cfg.z2_dim);
        st = td_hvae_loss(c->hvae, w, c->x, w->eps1, w->eps2, c->batch, 1, &t);
        *loss = -t.elbo;
    } else {
        td_vae_terms t;
        td_rng_fill_normal(&c->rng, c->vw->eps, (size_t)c->batch * (size_t)c->vae->cfg.z_dim);
        st = td_vae_loss(c->vae, c->vw, c->x, c->vw->eps, c->batch, 1, &t);
        *loss = -t.elbo;
    }
    return st;
}

static int train_family(const cli_command *cmd, const cli_train_args *a, int is_hvae) {
    (void)cmd;
    cli_data data;
    if (cli_data_open(&data, a->data) != TD_OK) return cli_fail("%s", td_error_message());
    td_rng init;
    td_rng_seed(&init, a->seed, 0);
    td_vae vae;
    td_hvae hvae;
    td_vae_work vw;
    td_hvae_work hw;
    memset(&vw, 0, sizeof vw);
    memset(&hw, 0, sizeof hw);
    td_status st;
    td_params *p;
    if (is_hvae) {
        td_hvae_config cfg = td_hvae_default_config();
        cfg.hidden = a->width;
        cfg.depth = a->depth;
        st = td_hvae_init(&hvae, &cfg, &init);
        if (st == TD_OK) st = td_hvae_work_init(&hw, &hvae, a->batch);
        p = &hvae.params;
    } else {
        td_vae_config cfg = td_vae_default_config();
        cfg.hidden = a->width;
        cfg.depth = a->depth;
        st = td_vae_init(&vae, &cfg, &init);
        if (st == TD_OK) st = td_vae_work_init(&vw, &vae, a->batch);
        p = &vae.params;
    }
    vae_step_ctx c = {is_hvae, &vae, &vw, &hvae, &hw, &data, {0, 0, 0.0, 0}, NULL, a->batch};
    td_rng_seed(&c.rng, a->seed, 1);
    if (st == TD_OK && !(c.x = malloc((size_t)a->batch * 2 * sizeof(float))))
        st = td_fail(TD_ERR_NOMEM, "out of memory for a batch");
    td_train_config tc = td_train_defaults();
    tc.steps = a->steps;
    tc.lr = (float)a->lr;
    if (tc.warmup >= tc.steps) tc.warmup = tc.steps / 10;
    td_train_progress final;
    memset(&final, 0, sizeof final);
    if (st == TD_OK) st = td_train_run(p, &tc, vae_step, &c, NULL, NULL, &final);

    // The ELBO terms of the final (EMA) weights on 20,000 fresh points, for the metadata.
    static td_meta_list meta;
    char seed[32], line[256];
    enum { N_EVAL = 20000 };
    float *xe = st == TD_OK ? malloc(N_EVAL * 2 * sizeof(float)) : NULL;
    if (st == TD_OK && !xe) st = td_fail(TD_ERR_NOMEM, "out of memory for the evaluation set");
    td_rng er;
    td_rng_seed(&er, a->seed, 2);
    if (st == TD_OK) st = cli_data_draw(&data, &er, xe, N_EVAL);
    td_meta_init(&meta);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)a->seed);
    if (st == TD_OK) st = td_meta_add_string(&meta, "data", a->data);
    if (st == TD_OK) st = td_meta_add_string(&meta, "seed", seed);
    if (st == TD_OK) st = td_meta_add_int(&meta, "train_steps", final.step);
    if (st == TD_OK) st = td_meta_add_int(&meta, "batch", a->batch);
    if (st == TD_OK) st = td_meta_add_double(&meta, "lr", a->lr);
    if (st == TD_OK) st = td_meta_add_double(&meta, "ema_decay", (double)tc.ema_decay);
    if (st == TD_OK) st = td_meta_add_double(&meta, "train_seconds", final.elapsed);
    if (st == TD_OK) st = td_meta_add_string(&meta, "trainer", "thinkdiff " TD_VERSION);
    if (st == TD_OK && is_hvae) {
        td_hvae_terms t;
        st = td_hvae_elbo(&hvae, &hw, xe, N_EVAL, &er, &t);
        if (st == TD_OK) st = td_meta_add_double(&meta, "elbo", t.elbo);
        if (st == TD_OK) st = td_meta_add_double(&meta, "elbo_rec", t.rec);
        if (st == TD_OK) st = td_meta_add_double(&meta, "elbo_kl1", t.kl1);
        if (st == TD_OK) st = td_meta_add_double(&meta, "elbo_kl2", t.kl2);
        snprintf(line, sizeof line, "ELBO %.4f nats = rec %.4f - kl1 %.4f - kl2 %.4f", t.elbo, t.rec,
                 t.kl1, t.kl2);
        if (st == TD_OK) st = td_hvae_save(&hvae, a->out, &meta, TD_DTYPE_F32);
    } else if (st == TD_OK) {
        td_vae_terms t;
        st = td_vae_elbo(&vae, &vw, xe, N_EVAL, &er, &t);
        if (st == TD_OK) st = td_meta_add_double(&meta, "elbo", t.elbo);
        if (st == TD_OK) st = td_meta_add_double(&meta, "elbo_rec", t.rec);
        if (st == TD_OK) st = td_meta_add_double(&meta, "elbo_kl", t.kl);
        snprintf(line, sizeof line, "ELBO %.4f nats = rec %.4f - kl %.4f", t.elbo, t.rec, t.kl);
        if (st == TD_OK) st = td_vae_save(&vae, a->out, &meta, TD_DTYPE_F32);
    }
    int rc = CLI_OK;
    if (st != TD_OK)
        rc = cli_fail("%s", td_error_message());
    else if (!a->quiet)
        fprintf(stderr, "saved %s (%s, %zu parameters, %.1f s, %s on 20000 fresh points)\n", a->out,
                is_hvae ? "hvae" : "vae", p->total, final.elapsed, line);
    free(xe);
    free(c.x);
    if (is_hvae) {
        td_hvae_work_free(&hw);
        td_hvae_free(&hvae);
    } else {
        td_vae_work_free(&vw);
        td_vae_free(&vae);
    }
    cli_data_close(&data);
    return rc;
}

int cli_train_vae(const cli_command *cmd, const cli_train_args *a) { return train_family(cmd, a, 0); }
int cli_train_hvae(const cli_command *cmd, const cli_train_args *a) { return train_family(cmd, a, 1); }

int cli_train_map1d(const cli_command *cmd, const cli_train_args *a) {
    (void)cmd;
    td_rng rng;
    td_rng_seed(&rng, a->seed, 0);
    td_mix1d target = td_mix1d_default();
    td_map1d m;
    if (td_map1d_init(&m, a->width, &rng) != TD_OK) return cli_fail("%s", td_error_message());
    td_map1d_train_config tc = {a->steps, a->batch, (float)a->lr};
    double loss = 0.0, max_err = 0.0, mean_err = 0.0;
    static td_meta_list meta;
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)a->seed);
    td_meta_init(&meta);
    td_status st = td_map1d_train(&m, &target, &tc, &rng, &loss);
    if (st == TD_OK) st = td_map1d_error(&m, &target, -2.5, 2.5, 1001, &max_err, &mean_err);
    if (st == TD_OK) st = td_meta_add_string(&meta, "seed", seed);
    if (st == TD_OK) st = td_meta_add_int(&meta, "train_steps", a->steps);
    if (st == TD_OK) st = td_meta_add_int(&meta, "batch", a->batch);
    if (st == TD_OK) st = td_meta_add_double(&meta, "lr", a->lr);
    if (st == TD_OK) st = td_meta_add_double(&meta, "final_loss", loss);
    if (st == TD_OK) st = td_meta_add_double(&meta, "max_error", max_err);
    if (st == TD_OK) st = td_meta_add_double(&meta, "mean_error", mean_err);
    if (st == TD_OK) st = td_meta_add_string(&meta, "trainer", "thinkdiff " TD_VERSION);
    if (st == TD_OK) st = td_map1d_save(&m, &target, a->out, &meta, TD_DTYPE_F32);
    int rc = st == TD_OK ? CLI_OK : cli_fail("%s", td_error_message());
    if (rc == CLI_OK && !a->quiet)
        fprintf(stderr, "saved %s (map1d, %d units; |f - F^-1(Phi)| on [-2.5, 2.5]: max %.4f, mean %.4f)\n",
                a->out, m.units, max_err, mean_err);
    td_map1d_free(&m);
    return rc;
}

// ---- sampling: prior draws through the decoder -----------------------------------------------

typedef struct {
    int is_hvae;
    td_vae vae;
    td_vae_work vw;
    td_hvae hvae;
    td_hvae_work hw;
} vae_impl;

// The sampler options do not apply: a VAE samples in one decoder pass (decoder means,
// as the page shows them). A trajectory has one step: the prior draw is not kept.
static td_status vae_generate(cli_model *m, const cli_gen_request *req, float *out, float *traj,
                              long *nfe) {
    vae_impl *v = m->impl;
    td_status st = v->is_hvae ? td_hvae_sample(&v->hvae, &v->hw, req->rng, out, req->n, 0, NULL)
                              : td_vae_sample(&v->vae, &v->vw, req->rng, out, req->n, 0);
    if (st == TD_OK && traj)
        for (int s = 0; s <= req->steps; s++)
            memcpy(traj + (size_t)s * (size_t)req->n * 2, out, (size_t)req->n * 2 * sizeof(float));
    if (nfe) *nfe = 1;
    return st;
}

static void vae_close(cli_model *m) {
    vae_impl *v = m->impl;
    if (!v) return;
    if (v->is_hvae) {
        td_hvae_work_free(&v->hw);
        td_hvae_free(&v->hvae);
    } else {
        td_vae_work_free(&v->vw);
        td_vae_free(&v->vae);
    }
    free(v);
}

static td_status open_family(const td_safetensors *st, cli_model *m, int is_hvae) {
    vae_impl *v = calloc(1, sizeof *v);
    if (!v) return td_fail(TD_ERR_NOMEM, "cannot allocate the model");
    v->is_hvae = is_hvae;
    td_status s;
    if (is_hvae) {
        s = td_hvae_load(&v->hvae, st);
        if (s == TD_OK && (s = td_hvae_work_init(&v->hw, &v->hvae, 4096)) != TD_OK) td_hvae_free(&v->hvae);
        m->dim = v->hvae.cfg.x_dim;
    } else {
        s = td_vae_load(&v->vae, st);
        if (s == TD_OK && (s = td_vae_work_init(&v->vw, &v->vae, 4096)) != TD_OK) td_vae_free(&v->vae);
        m->dim = v->vae.cfg.x_dim;
    }
    if (s != TD_OK) {
        free(v);
        return s;
    }
    m->impl = v;
    const char *data = td_safetensors_meta(st, "data");
    snprintf(m->data, sizeof m->data, "%s", data ? data : "");
    m->generate = vae_generate;
    m->close = vae_close;
    return TD_OK;
}

td_status cli_vae_open(const td_safetensors *st, cli_model *m) { return open_family(st, m, 0); }
td_status cli_hvae_open(const td_safetensors *st, cli_model *m) { return open_family(st, m, 1); }
