// hvae.c - the two-level Markovian HVAE: forward chain, ELBO terms, backward.
#include "models/hvae.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

td_hvae_config td_hvae_default_config(void) {
    td_hvae_config cfg = {
        .x_dim = 2, .z1_dim = 2, .z2_dim = 2, .hidden = 64, .depth = 2, .act = TD_ACT_SILU};
    return cfg;
}

td_status td_hvae_init(td_hvae *m, const td_hvae_config *cfg, td_rng *rng) {
    memset(m, 0, sizeof *m);
    td_params_init(&m->params);
    if (!cfg || !rng) return td_fail(TD_ERR_ARG, "td_hvae_init needs a config and an rng");
    if (cfg->x_dim < 1 || cfg->x_dim > TD_VAE_MAX_DIM || cfg->z1_dim < 1 ||
        cfg->z1_dim > TD_VAE_MAX_DIM || cfg->z2_dim < 1 || cfg->z2_dim > TD_VAE_MAX_DIM)
        return td_fail(TD_ERR_ARG, "HVAE dimensions must be in 1..%d, got x %d, z1 %d, z2 %d",
                       TD_VAE_MAX_DIM, cfg->x_dim, cfg->z1_dim, cfg->z2_dim);
    m->cfg = *cfg;
    const int D = cfg->x_dim, Z1 = cfg->z1_dim, Z2 = cfg->z2_dim, one = 1;
    td_mlp_config enc1 = {D, cfg->hidden, 2 * Z1, cfg->depth, cfg->act, 0};
    td_mlp_config enc2 = {Z1, cfg->hidden, 2 * Z2, cfg->depth, cfg->act, 0};
    td_mlp_config prior1 = {Z2, cfg->hidden, 2 * Z1, cfg->depth, cfg->act, 0};
    td_mlp_config dec = {Z1, cfg->hidden, D, cfg->depth, cfg->act, 0};
    td_status st = td_mlp_init(&m->enc1, &m->params, "enc1", &enc1);
    if (st == TD_OK) st = td_mlp_init(&m->enc2, &m->params, "enc2", &enc2);
    if (st == TD_OK) st = td_mlp_init(&m->prior1, &m->params, "prior1", &prior1);
    if (st == TD_OK) st = td_mlp_init(&m->dec, &m->params, "dec", &dec);
    if (st == TD_OK)
        st = td_params_declare(&m->params, "dec.log_var", 1, &one, TD_INIT_ZERO, 0.0f,
                               &m->log_var_x);
    if (st == TD_OK) st = td_params_alloc(&m->params);
    if (st == TD_OK) st = td_params_init_weights(&m->params, rng);
    if (st != TD_OK) td_params_free(&m->params);
    return st;
}

void td_hvae_free(td_hvae *m) {
    if (m) td_params_free(&m->params);
}

td_status td_hvae_work_init(td_hvae_work *w, const td_hvae *m, int max_batch) {
    memset(w, 0, sizeof *w);
    if (max_batch <= 0) return td_fail(TD_ERR_ARG, "max_batch must be positive, got %d", max_batch);
    size_t B = (size_t)max_batch, Z1 = (size_t)m->cfg.z1_dim, Z2 = (size_t)m->cfg.z2_dim,
           D = (size_t)m->cfg.x_dim, total;
    if (td_mul_size(B, 12 * Z1 + 7 * Z2 + 2 * D, &total) != 0 || total > TD_PARAMS_MAX_COUNT)
        return td_fail(TD_ERR_LIMIT, "an HVAE workspace for %d rows is too large", max_batch);
    w->mem = calloc(total, sizeof(float));
    if (!w->mem) return td_fail(TD_ERR_NOMEM, "out of memory for an HVAE workspace");
    float *q = w->mem;
    w->h1 = q;   q += B * 2 * Z1;
    w->dh1 = q;  q += B * 2 * Z1;
    w->h2 = q;   q += B * 2 * Z2;
    w->dh2 = q;  q += B * 2 * Z2;
    w->hp = q;   q += B * 2 * Z1;
    w->dhp = q;  q += B * 2 * Z1;
    w->z1 = q;   q += B * Z1;
    w->dz1 = q;  q += B * Z1;
    w->tmp1 = q; q += B * Z1;
    w->eps1 = q; q += B * Z1;
    w->z2 = q;   q += B * Z2;
    w->dz2 = q;  q += B * Z2;
    w->eps2 = q; q += B * Z2;
    w->xm = q;   q += B * D;
    w->dxm = q;
    w->max_batch = max_batch;
    td_status st = td_mlp_work_init(&w->enc1, &m->enc1, max_batch);
    if (st == TD_OK) st = td_mlp_work_init(&w->enc2, &m->enc2, max_batch);
    if (st == TD_OK) st = td_mlp_work_init(&w->prior1, &m->prior1, max_batch);
    if (st == TD_OK) st = td_mlp_work_init(&w->dec, &m->dec, max_batch);
    if (st != TD_OK) td_hvae_work_free(w);
    return st;
}

void td_hvae_work_free(td_hvae_work *w) {
    if (!w) return;
    td_mlp_work_free(&w->enc1);
    td_mlp_work_free(&w->enc2);
    td_mlp_work_free(&w->prior1);
    td_mlp_work_free(&w->dec);
    free(w->mem);
    memset(w, 0, sizeof *w);
}

static td_status check_batch(const td_hvae_work *w, int B) {
    if (B <= 0) return td_fail(TD_ERR_ARG, "batch must be positive, got %d", B);
    if (B > w->max_batch)
        return td_fail(TD_ERR_LIMIT, "batch %d exceeds the workspace's %d rows", B, w->max_batch);
    return TD_OK;
}

static td_status mlp_fwd(int train, const td_mlp *net, const td_params *p, td_mlp_work *work,
                         const float *x, float *y, int B) {
    return train ? td_mlp_forward_train(net, p, work, x, y, B) : td_mlp_forward(net, p, work, x, y, B);
}

// z (B, Z) = mean + e^(logvar / 2) eps, from h (B, 2Z) = [mean, logvar] rows.
static void reparam(const float *h, const float *eps, float *z, int B, int Z) {
    for (int b = 0; b < B; b++)
        for (int j = 0; j < Z; j++) {
            const float *hb = h + (size_t)b * (size_t)(2 * Z);
            z[b * Z + j] = hb[j] + expf(0.5f * hb[Z + j]) * eps[b * Z + j];
        }
}

// Backward of reparam: dh[mean] += dz, dh[logvar] += dz * 0.5 e^(logvar / 2) eps.
static void reparam_backward(const float *h, const float *eps, const float *dz, float *dh, int B,
                             int Z) {
    for (int b = 0; b < B; b++)
        for (int j = 0; j < Z; j++) {
            const float *hb = h + (size_t)b * (size_t)(2 * Z);
            float *dhb = dh + (size_t)b * (size_t)(2 * Z);
            dhb[j] += dz[b * Z + j];
            dhb[Z + j] += dz[b * Z + j] * 0.5f * expf(0.5f * hb[Z + j]) * eps[b * Z + j];
        }
}

td_status td_hvae_loss(td_hvae *m, td_hvae_work *w, const float *x, const float *eps1,
                       const float *eps2, int B, int backward, td_hvae_terms *terms) {
    td_status st = check_batch(w, B);
    if (st != TD_OK) return st;
    const int D = m->cfg.x_dim, Z1 = m->cfg.z1_dim, Z2 = m->cfg.z2_dim;
    const size_t rows = (size_t)B;
    td_params *p = &m->params;

    // x -> h1 = [mu1, lv1] -> z1 -> h2 = [mu2, lv2] -> z2 -> hp = [pm, plv];  z1 -> xm
    if ((st = mlp_fwd(backward, &m->enc1, p, &w->enc1, x, w->h1, B)) != TD_OK) return st;
    reparam(w->h1, eps1, w->z1, B, Z1);
    if ((st = mlp_fwd(backward, &m->enc2, p, &w->enc2, w->z1, w->h2, B)) != TD_OK) return st;
    reparam(w->h2, eps2, w->z2, B, Z2);
    if ((st = mlp_fwd(backward, &m->prior1, p, &w->prior1, w->z2, w->hp, B)) != TD_OK) return st;
    if ((st = mlp_fwd(backward, &m->dec, p, &w->dec, w->z1, w->xm, B)) != TD_OK) return st;

    const float scale = 1.0f / (float)B;
    if (backward) {
        memset(w->dh1, 0, rows * (size_t)(2 * Z1) * sizeof(float));
        memset(w->dh2, 0, rows * (size_t)(2 * Z2) * sizeof(float));
        memset(w->dhp, 0, rows * (size_t)(2 * Z1) * sizeof(float));
        memset(w->dz1, 0, rows * (size_t)Z1 * sizeof(float));
        memset(w->dxm, 0, rows * (size_t)D * sizeof(float));
    }
    double rec = 0.0, kl1 = 0.0, kl2 = 0.0;
    for (int b = 0; b < B; b++) {
        const float *h1 = w->h1 + (size_t)b * (size_t)(2 * Z1);
        const float *h2 = w->h2 + (size_t)b * (size_t)(2 * Z2);
        const float *hp = w->hp + (size_t)b * (size_t)(2 * Z1);
        float *dh1 = w->dh1 + (size_t)b * (size_t)(2 * Z1);
        float *dh2 = w->dh2 + (size_t)b * (size_t)(2 * Z2);
        float *dhp = w->dhp + (size_t)b * (size_t)(2 * Z1);
        rec += td_gauss_log_pdf(x + b * D, w->xm + b * D, p->data + m->log_var_x, 0, D, scale,
                                NULL, backward ? w->dxm + b * D : NULL,
                                backward ? p->grad + m->log_var_x : NULL);
        // kl1 = E[log q(z1|x)] - log p(z1|z2), with -E[log q] = 0.5 sum (1 + lv1 + log 2 pi),
        // so d kl1 / d lv1 = -0.5 per coordinate.
        double neg_entropy = 0.0;
        for (int j = 0; j < Z1; j++) {
            neg_entropy -= 0.5 * (1.0 + (double)h1[Z1 + j] + 1.8378770664093453);
            if (backward) dh1[Z1 + j] -= 0.5f * scale;
        }
        kl1 += neg_entropy - td_gauss_log_pdf(w->z1 + b * Z1, hp, hp + Z1, 1, Z1, scale,
                                              backward ? w->dz1 + b * Z1 : NULL,
                                              backward ? dhp : NULL, backward ? dhp + Z1 : NULL);
        kl2 += td_gauss_kl_std(h2, h2 + Z2, Z2, scale, backward ? dh2 : NULL,
                               backward ? dh2 + Z2 : NULL);
    }
    if (terms) {
        terms->rec = rec / B;
        terms->kl1 = kl1 / B;
        terms->kl2 = kl2 / B;
        terms->elbo = terms->rec - terms->kl1 - terms->kl2;
    }
    if (!backward) return TD_OK;

    // Top down: prior1 -> z2 -> enc2 (-> z1), decoder (-> z1), then z1 -> enc1.
    const size_t n1 = rows * (size_t)Z1;
    if ((st = td_mlp_backward(&m->prior1, p, &w->prior1, w->dhp, w->dz2)) != TD_OK) return st;
    reparam_backward(w->h2, eps2, w->dz2, w->dh2, B, Z2);
    if ((st = td_mlp_backward(&m->enc2, p, &w->enc2, w->dh2, w->tmp1)) != TD_OK) return st;
    for (size_t i = 0; i < n1; i++) w->dz1[i] += w->tmp1[i];
    if ((st = td_mlp_backward(&m->dec, p, &w->dec, w->dxm, w->tmp1)) != TD_OK) return st;
    for (size_t i = 0; i < n1; i++) w->dz1[i] += w->tmp1[i];
    reparam_backward(w->h1, eps1, w->dz1, w->dh1, B, Z1);
    return td_mlp_backward(&m->enc1, p, &w->enc1, w->dh1, NULL);
}

td_status td_hvae_elbo(td_hvae *m, td_hvae_work *w, const float *x, int n, td_rng *rng,
                       td_hvae_terms *terms) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "the ELBO needs at least one sample, got %d", n);
    double rec = 0.0, kl1 = 0.0, kl2 = 0.0;
    const int D = m->cfg.x_dim, Z1 = m->cfg.z1_dim, Z2 = m->cfg.z2_dim;
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        td_hvae_terms t;
        td_rng_fill_normal(rng, w->eps1, (size_t)B * (size_t)Z1);
        td_rng_fill_normal(rng, w->eps2, (size_t)B * (size_t)Z2);
        td_status st = td_hvae_loss(m, w, x + (size_t)start * (size_t)D, w->eps1, w->eps2, B, 0, &t);
        if (st != TD_OK) return st;
        rec += t.rec * B;
        kl1 += t.kl1 * B;
        kl2 += t.kl2 * B;
    }
    terms->rec = rec / n;
    terms->kl1 = kl1 / n;
    terms->kl2 = kl2 / n;
    terms->elbo = terms->rec - terms->kl1 - terms->kl2;
    return TD_OK;
}

td_status td_hvae_train_step(td_hvae *m, td_hvae_work *w, td_adamw *opt, const float *x, int B,
                             td_rng *rng, td_hvae_terms *terms) {
    td_status st = check_batch(w, B);
    if (st != TD_OK) return st;
    td_hvae_terms t;
    td_params_zero_grad(&m->params);
    td_rng_fill_normal(rng, w->eps1, (size_t)B * (size_t)m->cfg.z1_dim);
    td_rng_fill_normal(rng, w->eps2, (size_t)B * (size_t)m->cfg.z2_dim);
    st = td_hvae_loss(m, w, x, w->eps1, w->eps2, B, 1, &t);
    if (st != TD_OK) return st;
    if (terms) *terms = t;
    float norm = td_grad_clip(&m->params, 1.0f);
    if (!isfinite(t.elbo) || !isfinite(norm))
        return td_fail(TD_ERR_ARG, "HVAE training diverged (ELBO %g, gradient norm %g); step skipped",
                       t.elbo, (double)norm);
    return td_adamw_step(opt, &m->params);
}

td_status td_hvae_sample(td_hvae *m, td_hvae_work *w, td_rng *rng, float *out, int n,
                         int with_noise, float *z1_out) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "the number of samples must be positive, got %d", n);
    const int D = m->cfg.x_dim, Z1 = m->cfg.z1_dim, Z2 = m->cfg.z2_dim;
    const float sigma_x = expf(0.5f * m->params.data[m->log_var_x]);
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        float *xb = out + (size_t)start * (size_t)D;
        // z2 ~ N(0, I) -> hp = [pm, plv] -> z1 = pm + e^(plv/2) eps -> x = dec(z1)
        td_rng_fill_normal(rng, w->z2, (size_t)B * (size_t)Z2);
        td_status st = td_mlp_forward(&m->prior1, &m->params, &w->prior1, w->z2, w->hp, B);
        if (st != TD_OK) return st;
        td_rng_fill_normal(rng, w->eps1, (size_t)B * (size_t)Z1);
        reparam(w->hp, w->eps1, w->z1, B, Z1);
        if ((st = td_mlp_forward(&m->dec, &m->params, &w->dec, w->z1, xb, B)) != TD_OK) return st;
        if (with_noise)
            for (size_t i = 0; i < (size_t)B * (size_t)D; i++)
                xb[i] += sigma_x * (float)td_rng_normal(rng);
        if (z1_out)
            memcpy(z1_out + (size_t)start * (size_t)Z1, w->z1, (size_t)B * (size_t)Z1 * sizeof(float));
    }
    return TD_OK;
}

td_status td_hvae_encode(td_hvae *m, td_hvae_work *w, const float *x, int n, float *mu1,
                         float *mu2) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "nothing to encode: n = %d", n);
    const int D = m->cfg.x_dim, Z1 = m->cfg.z1_dim, Z2 = m->cfg.z2_dim;
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        td_status st = td_mlp_forward(&m->enc1, &m->params, &w->enc1,
                                      x + (size_t)start * (size_t)D, w->h1, B);
        if (st != TD_OK) return st;
        for (int b = 0; b < B; b++)
            memcpy(w->z1 + (size_t)b * (size_t)Z1, w->h1 + (size_t)b * (size_t)(2 * Z1),
                   (size_t)Z1 * sizeof(float));
        memcpy(mu1 + (size_t)start * (size_t)Z1, w->z1, (size_t)B * (size_t)Z1 * sizeof(float));
        if (!mu2) continue;
        if ((st = td_mlp_forward(&m->enc2, &m->params, &w->enc2, w->z1, w->h2, B)) != TD_OK)
            return st;
        for (int b = 0; b < B; b++)
            memcpy(mu2 + (size_t)(start + b) * (size_t)Z2, w->h2 + (size_t)b * (size_t)(2 * Z2),
                   (size_t)Z2 * sizeof(float));
    }
    return TD_OK;
}

// ---- checkpoints ------------------------------------------------------------------------

td_status td_hvae_save(const td_hvae *m, const char *path, const td_meta_list *extra, td_dtype dtype) {
    static td_meta_list meta;   // 32 KiB: too big for a wasm stack
    td_meta_init(&meta);
    td_status st = td_meta_add_int(&meta, "x_dim", m->cfg.x_dim);
    if (st == TD_OK) st = td_meta_add_int(&meta, "z1_dim", m->cfg.z1_dim);
    if (st == TD_OK) st = td_meta_add_int(&meta, "z2_dim", m->cfg.z2_dim);
    if (st == TD_OK) st = td_meta_add_int(&meta, "hidden", m->cfg.hidden);
    if (st == TD_OK) st = td_meta_add_int(&meta, "depth", m->cfg.depth);
    if (st == TD_OK) st = td_meta_add_string(&meta, "act", td_act_name(m->cfg.act));
    if (st == TD_OK) st = td_meta_add_all(&meta, extra);
    if (st != TD_OK) return st;
    return td_checkpoint_save(path, &m->params, TD_HVAE_KIND, &meta, dtype);
}

td_status td_hvae_load(td_hvae *m, const td_safetensors *f) {
    memset(m, 0, sizeof *m);
    td_params_init(&m->params);
    td_hvae_config cfg;
    const char *act;
    td_status st = td_checkpoint_check(f, TD_HVAE_KIND);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "x_dim", 1, TD_VAE_MAX_DIM, &cfg.x_dim);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "z1_dim", 1, TD_VAE_MAX_DIM, &cfg.z1_dim);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "z2_dim", 1, TD_VAE_MAX_DIM, &cfg.z2_dim);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "hidden", 1, 4096, &cfg.hidden);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "depth", 0, TD_MLP_MAX_LAYERS - 1, &cfg.depth);
    if (st == TD_OK) st = td_checkpoint_meta_string(f, "act", &act);
    if (st == TD_OK) st = td_act_from_name(act, &cfg.act);
    td_rng rng;   // the initial draw is overwritten by the file's weights
    td_rng_seed(&rng, 0, 0);
    if (st == TD_OK) st = td_hvae_init(m, &cfg, &rng);
    if (st == TD_OK && (st = td_checkpoint_read_params(f, &m->params)) != TD_OK) td_hvae_free(m);
    return st;
}
