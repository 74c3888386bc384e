// vae.c - the VAE: encoder, reparameterised draw, decoder, ELBO and its gradient.
#include "models/vae.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define TD_LOG_2PI 1.8378770664093453

// ---- Gaussian building blocks -------------------------------------------------------

// KL(N(mu, s^2) || N(0, 1)) = 0.5 (mu^2 + s^2 - log s^2 - 1) per coordinate;
// d/dmu = mu, d/dlogvar = 0.5 (e^logvar - 1).
double td_gauss_kl_std(const float *mu, const float *logvar, int n, float scale, float *dmu,
                       float *dlogvar) {
    double kl = 0.0;
    for (int j = 0; j < n; j++) {
        float var = expf(logvar[j]);
        kl += 0.5 * ((double)mu[j] * (double)mu[j] + (double)var - (double)logvar[j] - 1.0);
        if (dmu) dmu[j] += scale * mu[j];
        if (dlogvar) dlogvar[j] += scale * 0.5f * (var - 1.0f);
    }
    return kl;
}

// -log N(x; m, e^lv) = 0.5 ((x - m)^2 e^-lv + lv + log 2 pi) per coordinate;
// d/dx = (x - m) e^-lv = -d/dm, d/dlv = 0.5 (1 - (x - m)^2 e^-lv).
double td_gauss_log_pdf(const float *x, const float *mean, const float *logvar,
                        int logvar_stride, int n, float scale, float *dx, float *dmean,
                        float *dlogvar) {
    double logp = 0.0;
    for (int j = 0; j < n; j++) {
        float lv = logvar[j * logvar_stride];
        float inv_var = expf(-lv);
        float r = x[j] - mean[j];
        logp -= 0.5 * ((double)r * (double)r * (double)inv_var + (double)lv + TD_LOG_2PI);
        if (dx) dx[j] += scale * r * inv_var;
        if (dmean) dmean[j] -= scale * r * inv_var;
        if (dlogvar) dlogvar[j * logvar_stride] += scale * 0.5f * (1.0f - r * r * inv_var);
    }
    return logp;
}

// ---- construction ---------------------------------------------------------------------

td_vae_config td_vae_default_config(void) {
    td_vae_config cfg = {.x_dim = 2, .z_dim = 2, .hidden = 64, .depth = 2, .act = TD_ACT_SILU};
    return cfg;
}

td_status td_vae_init(td_vae *vae, const td_vae_config *cfg, td_rng *rng) {
    memset(vae, 0, sizeof *vae);
    td_params_init(&vae->params);
    if (!cfg || !rng) return td_fail(TD_ERR_ARG, "td_vae_init needs a config and an rng");
    if (cfg->x_dim < 1 || cfg->x_dim > TD_VAE_MAX_DIM || cfg->z_dim < 1 ||
        cfg->z_dim > TD_VAE_MAX_DIM)
        return td_fail(TD_ERR_ARG, "VAE dimensions must be in 1..%d, got x_dim %d, z_dim %d",
                       TD_VAE_MAX_DIM, cfg->x_dim, cfg->z_dim);
    vae->cfg = *cfg;
    td_mlp_config enc = {cfg->x_dim, cfg->hidden, 2 * cfg->z_dim, cfg->depth, cfg->act, 0};
    td_mlp_config dec = {cfg->z_dim, cfg->hidden, cfg->x_dim, cfg->depth, cfg->act, 0};
    const int one = 1;
    td_status st = td_mlp_init(&vae->enc, &vae->params, "enc", &enc);
    if (st == TD_OK) st = td_mlp_init(&vae->dec, &vae->params, "dec", &dec);
    if (st == TD_OK)
        st = td_params_declare(&vae->params, "dec.log_var", 1, &one, TD_INIT_ZERO, 0.0f,
                               &vae->log_var_x);
    if (st == TD_OK) st = td_params_alloc(&vae->params);
    if (st == TD_OK) st = td_params_init_weights(&vae->params, rng);
    if (st != TD_OK) td_params_free(&vae->params);
    return st;
}

void td_vae_free(td_vae *vae) {
    if (vae) td_params_free(&vae->params);
}

td_status td_vae_work_init(td_vae_work *w, const td_vae *vae, int max_batch) {
    memset(w, 0, sizeof *w);
    if (max_batch <= 0) return td_fail(TD_ERR_ARG, "max_batch must be positive, got %d", max_batch);
    size_t B = (size_t)max_batch, Z = (size_t)vae->cfg.z_dim, D = (size_t)vae->cfg.x_dim;
    // h, dh (B, 2Z); z, eps, dz (B, Z); xm, dxm (B, D): B * (7Z + 2D) floats.
    size_t total;
    if (td_mul_size(B, 7 * Z + 2 * D, &total) != 0 || total > TD_PARAMS_MAX_COUNT)
        return td_fail(TD_ERR_LIMIT, "a VAE workspace for %d rows is too large", max_batch);
    w->mem = calloc(total, sizeof(float));
    if (!w->mem) return td_fail(TD_ERR_NOMEM, "out of memory for a VAE workspace");
    w->h = w->mem;
    w->dh = w->h + B * 2 * Z;
    w->z = w->dh + B * 2 * Z;
    w->eps = w->z + B * Z;
    w->dz = w->eps + B * Z;
    w->xm = w->dz + B * Z;
    w->dxm = w->xm + B * D;
    w->max_batch = max_batch;
    td_status st = td_mlp_work_init(&w->enc, &vae->enc, max_batch);
    if (st == TD_OK) st = td_mlp_work_init(&w->dec, &vae->dec, max_batch);
    if (st != TD_OK) td_vae_work_free(w);
    return st;
}

void td_vae_work_free(td_vae_work *w) {
    if (!w) return;
    td_mlp_work_free(&w->enc);
    td_mlp_work_free(&w->dec);
    free(w->mem);
    memset(w, 0, sizeof *w);
}

static td_status check_batch(const td_vae_work *w, int B) {
    if (B <= 0) return td_fail(TD_ERR_ARG, "batch must be positive, got %d", B);
    if (B > w->max_batch)
        return td_fail(TD_ERR_LIMIT, "batch %d exceeds the workspace's %d rows", B, w->max_batch);
    return TD_OK;
}

// ---- the loss ---------------------------------------------------------------------------

td_status td_vae_loss(td_vae *vae, td_vae_work *w, const float *x, const float *eps, int B,
                      int backward, td_vae_terms *terms) {
    td_status st = check_batch(w, B);
    if (st != TD_OK) return st;
    const int Z = vae->cfg.z_dim, D = vae->cfg.x_dim;
    const size_t n_h = (size_t)B * (size_t)(2 * Z);
    td_params *p = &vae->params;

    // x (B, D) -> h (B, 2Z) = [mu, logvar];  z = mu + e^(logvar/2) eps
    st = backward ? td_mlp_forward_train(&vae->enc, p, &w->enc, x, w->h, B)
                  : td_mlp_forward(&vae->enc, p, &w->enc, x, w->h, B);
    if (st != TD_OK) return st;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < Z; j++) {
            const float *hb = w->h + (size_t)b * (size_t)(2 * Z);
            w->z[b * Z + j] = hb[j] + expf(0.5f * hb[Z + j]) * eps[b * Z + j];
        }
    // z (B, Z) -> xm (B, D)
    st = backward ? td_mlp_forward_train(&vae->dec, p, &w->dec, w->z, w->xm, B)
                  : td_mlp_forward(&vae->dec, p, &w->dec, w->z, w->xm, B);
    if (st != TD_OK) return st;

    const float scale = 1.0f / (float)B;   // L = -(1/B) sum_b ELBO_b
    if (backward) {
        memset(w->dh, 0, n_h * sizeof(float));
        memset(w->dxm, 0, (size_t)B * (size_t)D * sizeof(float));
    }
    double rec = 0.0, kl = 0.0;
    for (int b = 0; b < B; b++) {
        const float *hb = w->h + (size_t)b * (size_t)(2 * Z);
        float *dhb = w->dh + (size_t)b * (size_t)(2 * Z);
        rec += td_gauss_log_pdf(x + b * D, w->xm + b * D, p->data + vae->log_var_x, 0, D, scale,
                                NULL, backward ? w->dxm + b * D : NULL,
                                backward ? p->grad + vae->log_var_x : NULL);
        kl += td_gauss_kl_std(hb, hb + Z, Z, scale, backward ? dhb : NULL,
                              backward ? dhb + Z : NULL);
    }
    if (terms) {
        terms->rec = rec / B;
        terms->kl = kl / B;
        terms->elbo = terms->rec - terms->kl;
    }
    if (!backward) return TD_OK;

    // Back through the decoder to z, then through z = mu + e^(lv/2) eps:
    // dmu += dz, dlv += dz * 0.5 e^(lv/2) eps.
    st = td_mlp_backward(&vae->dec, p, &w->dec, w->dxm, w->dz);
    if (st != TD_OK) return st;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < Z; j++) {
            const float *hb = w->h + (size_t)b * (size_t)(2 * Z);
            float *dhb = w->dh + (size_t)b * (size_t)(2 * Z);
            float dz = w->dz[b * Z + j];
            dhb[j] += dz;
            dhb[Z + j] += dz * 0.5f * expf(0.5f * hb[Z + j]) * eps[b * Z + j];
        }
    return td_mlp_backward(&vae->enc, p, &w->enc, w->dh, NULL);
}

td_status td_vae_elbo(td_vae *vae, td_vae_work *w, const float *x, int n, td_rng *rng,
                      td_vae_terms *terms) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "the ELBO needs at least one sample, got %d", n);
    double rec = 0.0, kl = 0.0;
    const int D = vae->cfg.x_dim, Z = vae->cfg.z_dim;
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        td_vae_terms t;
        td_rng_fill_normal(rng, w->eps, (size_t)B * (size_t)Z);
        td_status st = td_vae_loss(vae, w, x + (size_t)start * (size_t)D, w->eps, B, 0, &t);
        if (st != TD_OK) return st;
        rec += t.rec * B;
        kl += t.kl * B;
    }
    terms->rec = rec / n;
    terms->kl = kl / n;
    terms->elbo = terms->rec - terms->kl;
    return TD_OK;
}

td_status td_vae_train_step(td_vae *vae, td_vae_work *w, td_adamw *opt, const float *x, int B,
                            td_rng *rng, td_vae_terms *terms) {
    td_status st = check_batch(w, B);
    if (st != TD_OK) return st;
    td_vae_terms t;
    td_params_zero_grad(&vae->params);
    td_rng_fill_normal(rng, w->eps, (size_t)B * (size_t)vae->cfg.z_dim);
    st = td_vae_loss(vae, w, x, w->eps, B, 1, &t);
    if (st != TD_OK) return st;
    if (terms) *terms = t;
    float norm = td_grad_clip(&vae->params, 1.0f);
    if (!isfinite(t.elbo) || !isfinite(norm))
        return td_fail(TD_ERR_ARG, "VAE training diverged (ELBO %g, gradient norm %g); step skipped",
                       t.elbo, (double)norm);
    return td_adamw_step(opt, &vae->params);
}

// ---- encoder, decoder, sampling ---------------------------------------------------------

td_status td_vae_encode(td_vae *vae, td_vae_work *w, const float *x, int n, float *mu,
                        float *logvar) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "nothing to encode: n = %d", n);
    const int D = vae->cfg.x_dim, Z = vae->cfg.z_dim;
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        td_status st = td_mlp_forward(&vae->enc, &vae->params, &w->enc,
                                      x + (size_t)start * (size_t)D, w->h, B);
        if (st != TD_OK) return st;
        for (int b = 0; b < B; b++) {
            size_t row = (size_t)(start + b) * (size_t)Z;
            memcpy(mu + row, w->h + (size_t)b * (size_t)(2 * Z), (size_t)Z * sizeof(float));
            if (logvar)
                memcpy(logvar + row, w->h + (size_t)b * (size_t)(2 * Z) + Z,
                       (size_t)Z * sizeof(float));
        }
    }
    return TD_OK;
}

td_status td_vae_decode(td_vae *vae, td_vae_work *w, const float *z, int n, float *x) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "nothing to decode: n = %d", n);
    const int D = vae->cfg.x_dim, Z = vae->cfg.z_dim;
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        td_status st = td_mlp_forward(&vae->dec, &vae->params, &w->dec,
                                      z + (size_t)start * (size_t)Z, x + (size_t)start * (size_t)D, B);
        if (st != TD_OK) return st;
    }
    return TD_OK;
}

td_status td_vae_sample(td_vae *vae, td_vae_work *w, td_rng *rng, float *out, int n,
                        int with_noise) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "the number of samples must be positive, got %d", n);
    const int D = vae->cfg.x_dim, Z = vae->cfg.z_dim;
    const float sigma_x = expf(0.5f * vae->params.data[vae->log_var_x]);
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        float *xb = out + (size_t)start * (size_t)D;
        td_rng_fill_normal(rng, w->z, (size_t)B * (size_t)Z);
        td_status st = td_mlp_forward(&vae->dec, &vae->params, &w->dec, w->z, xb, B);
        if (st != TD_OK) return st;
        if (with_noise)
            for (size_t i = 0; i < (size_t)B * (size_t)D; i++)
                xb[i] += sigma_x * (float)td_rng_normal(rng);
    }
    return TD_OK;
}

// ---- checkpoints ------------------------------------------------------------------------

td_status td_act_from_name(const char *name, td_act *act) {
    for (int a = TD_ACT_NONE; a <= TD_ACT_TANH; a++)
        if (strcmp(name, td_act_name((td_act)a)) == 0) {
            *act = (td_act)a;
            return TD_OK;
        }
    return td_fail(TD_ERR_FORMAT, "'%.40s' is not an activation this build knows", name);
}

td_status td_vae_save(const td_vae *vae, const char *path, const td_meta_list *extra, td_dtype dtype) {
    static td_meta_list meta;   // 32 KiB: too big for a wasm stack
    td_meta_init(&meta);
    td_status st = td_meta_add_int(&meta, "x_dim", vae->cfg.x_dim);
    if (st == TD_OK) st = td_meta_add_int(&meta, "z_dim", vae->cfg.z_dim);
    if (st == TD_OK) st = td_meta_add_int(&meta, "hidden", vae->cfg.hidden);
    if (st == TD_OK) st = td_meta_add_int(&meta, "depth", vae->cfg.depth);
    if (st == TD_OK) st = td_meta_add_string(&meta, "act", td_act_name(vae->cfg.act));
    if (st == TD_OK) st = td_meta_add_all(&meta, extra);
    if (st != TD_OK) return st;
    return td_checkpoint_save(path, &vae->params, TD_VAE_KIND, &meta, dtype);
}

td_status td_vae_load(td_vae *vae, const td_safetensors *f) {
    memset(vae, 0, sizeof *vae);
    td_params_init(&vae->params);
    td_vae_config cfg;
    const char *act;
    td_status st = td_checkpoint_check(f, TD_VAE_KIND);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "x_dim", 1, TD_VAE_MAX_DIM, &cfg.x_dim);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "z_dim", 1, TD_VAE_MAX_DIM, &cfg.z_dim);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "hidden", 1, 4096, &cfg.hidden);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "depth", 0, TD_MLP_MAX_LAYERS - 1, &cfg.depth);
    if (st == TD_OK) st = td_checkpoint_meta_string(f, "act", &act);
    if (st == TD_OK) st = td_act_from_name(act, &cfg.act);
    td_rng rng;   // the initial draw is overwritten by the file's weights
    td_rng_seed(&rng, 0, 0);
    if (st == TD_OK) st = td_vae_init(vae, &cfg, &rng);
    if (st == TD_OK && (st = td_checkpoint_read_params(f, &vae->params)) != TD_OK) td_vae_free(vae);
    return st;
}
