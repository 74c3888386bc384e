// score_model.c - SDE + score net + parameters: fresh, saved, and rebuilt from a checkpoint.
#include "models/score_model.h"

#include <stdio.h>
#include <string.h>

#include "diffusion/parameterization.h"

td_status td_score_model_init(td_score_model *m, const td_score_net_config *cfg, const td_sde *sde,
                              td_rng *rng) {
    memset(m, 0, sizeof *m);
    td_params_init(&m->params);
    td_status st = td_score_net_init(&m->net, &m->params, cfg, sde);
    if (st == TD_OK) st = td_params_alloc(&m->params);
    if (st == TD_OK && rng) st = td_params_init_weights(&m->params, rng);
    if (st != TD_OK) {
        td_score_model_free(m);
        return st;
    }
    m->sde = *sde;
    return TD_OK;
}

void td_score_model_free(td_score_model *m) {
    td_params_free(&m->params);
    memset(m, 0, sizeof *m);
    td_params_init(&m->params);
}

// ---- metadata ----------------------------------------------------------------------------

td_status td_score_model_describe(const td_score_model *m, td_meta_list *meta) {
    const td_sde *s = &m->sde;
    const td_score_net_config *c = &m->net.cfg;
    td_status st = td_meta_add_string(meta, "sde", td_sde_name(s));
    switch (s->kind) {
    case TD_SDE_VP:
    case TD_SDE_SUBVP:
        if (st == TD_OK) st = td_meta_add_double(meta, "beta_min", s->beta_min);
        if (st == TD_OK) st = td_meta_add_double(meta, "beta_max", s->beta_max);
        break;
    case TD_SDE_VE:
        if (st == TD_OK) st = td_meta_add_double(meta, "sigma_min", s->sigma_min);
        if (st == TD_OK) st = td_meta_add_double(meta, "sigma_max", s->sigma_max);
        break;
    case TD_SDE_DDPM:
        if (st == TD_OK) st = td_meta_add_int(meta, "num_steps", s->num_steps);
        if (st == TD_OK) st = td_meta_add_double(meta, "beta_start", s->beta_start);
        if (st == TD_OK) st = td_meta_add_double(meta, "beta_end", s->beta_end);
        if (st == TD_OK) st = td_meta_add_double(meta, "cosine_offset", s->cosine_offset);
        break;
    }
    if (st == TD_OK) st = td_meta_add_double(meta, "t_eps", s->t_eps);
    if (st == TD_OK) st = td_meta_add_int(meta, "data_dim", c->data_dim);
    if (st == TD_OK) st = td_meta_add_int(meta, "time_dim", c->time_dim);
    if (st == TD_OK) st = td_meta_add_double(meta, "time_scale", (double)c->time_scale);
    if (st == TD_OK) st = td_meta_add_int(meta, "width", c->width);
    if (st == TD_OK) st = td_meta_add_int(meta, "depth", c->depth);
    if (st == TD_OK) st = td_meta_add_string(meta, "activation", td_act_name(c->act));
    if (st == TD_OK) st = td_meta_add_int(meta, "residual", c->residual);
    if (st == TD_OK) st = td_meta_add_string(meta, "prediction", td_prediction_name(c->pred));
    if (st == TD_OK) st = td_meta_add_int(meta, "scale_input", c->scale_input);
    if (st == TD_OK) st = td_meta_add_int(meta, "n_classes", c->n_classes);
    if (st == TD_OK) st = td_meta_add_int(meta, "class_dim", c->class_dim);
    if (st == TD_OK) st = td_meta_add_int(meta, "cond_dim", c->cond_dim);
    if (st == TD_OK) st = td_meta_add_int(meta, "cond_proj_dim", c->cond_proj_dim);
    return st;
}

td_status td_score_model_save(const td_score_model *m, const char *path, const td_meta_list *extra,
                              td_dtype dtype) {
    static td_meta_list meta;  // 32 KiB: too big for a wasm stack
    td_meta_init(&meta);
    td_status st = td_score_model_describe(m, &meta);
    if (st == TD_OK) st = td_meta_add_all(&meta, extra);
    if (st != TD_OK) return st;
    return td_checkpoint_save(path, &m->params, TD_SCORE_MODEL_KIND, &meta, dtype);
}

// ---- loading -------------------------------------------------------------------------------

// A validator's reason, prefixed and turned into a format error (copied first: the
// message buffer is the one td_fail writes).
static td_status reword(const char *prefix) {
    char why[256];
    snprintf(why, sizeof why, "%s", td_error_message());
    return td_fail(TD_ERR_FORMAT, "%s: %s", prefix, why);
}

static td_status read_sde(const td_safetensors *f, td_sde *s) {
    const char *name;
    td_status st = td_checkpoint_meta_string(f, "sde", &name);
    if (st != TD_OK) return st;
    if (td_sde_from_name(name, s) != TD_OK)
        return td_fail(TD_ERR_FORMAT, "checkpoint metadata 'sde' = '%.40s' is not an SDE this build knows", name);
    switch (s->kind) {
    case TD_SDE_VP:
    case TD_SDE_SUBVP:
        st = td_checkpoint_meta_double(f, "beta_min", 0.0, 1e6, &s->beta_min);
        if (st == TD_OK) st = td_checkpoint_meta_double(f, "beta_max", 0.0, 1e6, &s->beta_max);
        break;
    case TD_SDE_VE:
        st = td_checkpoint_meta_double(f, "sigma_min", 0.0, 1e6, &s->sigma_min);
        if (st == TD_OK) st = td_checkpoint_meta_double(f, "sigma_max", 0.0, 1e6, &s->sigma_max);
        break;
    case TD_SDE_DDPM:
        st = td_checkpoint_meta_int(f, "num_steps", 1, TD_SDE_MAX_STEPS, &s->num_steps);
        if (st == TD_OK) st = td_checkpoint_meta_double(f, "beta_start", 0.0, 1.0, &s->beta_start);
        if (st == TD_OK) st = td_checkpoint_meta_double(f, "beta_end", 0.0, 1.0, &s->beta_end);
        if (st == TD_OK) st = td_checkpoint_meta_double(f, "cosine_offset", 0.0, 1.0, &s->cosine_offset);
        break;
    }
    if (st == TD_OK) st = td_checkpoint_meta_double(f, "t_eps", 0.0, 1.0, &s->t_eps);
    if (st == TD_OK && td_sde_validate(s) != TD_OK) return reword("checkpoint SDE parameters are invalid");
    return st;
}

static td_status parse_act(const char *name, td_act *out) {
    static const td_act acts[] = {TD_ACT_NONE, TD_ACT_RELU, TD_ACT_SILU, TD_ACT_GELU, TD_ACT_TANH};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (strcmp(name, td_act_name(acts[i])) == 0) {
            *out = acts[i];
            return TD_OK;
        }
    return td_fail(TD_ERR_FORMAT, "checkpoint metadata 'activation' = '%.40s' is unknown", name);
}

static td_status read_config(const td_safetensors *f, td_score_net_config *c) {
    enum { BIG = TD_SCORE_NET_MAX_DIM };
    const char *act, *pred;
    double scale = 1000.0;
    memset(c, 0, sizeof *c);
    td_status st = td_checkpoint_meta_int(f, "data_dim", 1, BIG, &c->data_dim);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "time_dim", 2, BIG, &c->time_dim);
    if (st == TD_OK) st = td_checkpoint_meta_double(f, "time_scale", 1e-6, 1e9, &scale);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "width", 1, BIG, &c->width);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "depth", 0, TD_MLP_MAX_LAYERS - 2, &c->depth);
    if (st == TD_OK) st = td_checkpoint_meta_string(f, "activation", &act);
    if (st == TD_OK) st = parse_act(act, &c->act);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "residual", 0, 1, &c->residual);
    if (st == TD_OK) st = td_checkpoint_meta_string(f, "prediction", &pred);
    if (st == TD_OK && td_prediction_from_name(pred, &c->pred) != TD_OK)
        st = td_fail(TD_ERR_FORMAT, "checkpoint metadata 'prediction' = '%.40s' is unknown", pred);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "scale_input", 0, 1, &c->scale_input);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "n_classes", 0, TD_SCORE_NET_MAX_CLASSES, &c->n_classes);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "class_dim", 0, BIG, &c->class_dim);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "cond_dim", 0, BIG, &c->cond_dim);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "cond_proj_dim", 0, BIG, &c->cond_proj_dim);
    c->time_scale = (float)scale;
    if (st == TD_OK && td_score_net_validate(c) != TD_OK) return reword("checkpoint sizes are invalid");
    return st;
}

td_status td_score_model_load(td_score_model *m, const td_safetensors *f) {
    return td_score_model_load_as(m, f, TD_SCORE_MODEL_KIND);
}

td_status td_score_model_load_as(td_score_model *m, const td_safetensors *f, const char *kind) {
    memset(m, 0, sizeof *m);
    td_params_init(&m->params);
    td_score_net_config cfg;
    td_sde sde;
    td_status st = td_checkpoint_check(f, kind);
    if (st == TD_OK) st = read_sde(f, &sde);
    if (st == TD_OK) st = read_config(f, &cfg);
    if (st == TD_OK) st = td_score_model_init(m, &cfg, &sde, NULL);
    if (st == TD_OK && (st = td_checkpoint_read_params(f, &m->params)) != TD_OK) td_score_model_free(m);
    return st;
}

td_status td_score_model_load_mem(td_score_model *m, const uint8_t *bytes, size_t len) {
    td_safetensors f;
    memset(m, 0, sizeof *m);
    td_params_init(&m->params);
    td_status st = td_safetensors_parse(bytes, len, &f);
    if (st != TD_OK) return st;
    st = td_score_model_load(m, &f);
    td_safetensors_free(&f);
    return st;
}
