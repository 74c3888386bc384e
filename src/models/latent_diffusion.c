// latent_diffusion.c - the score net in the digit VAE's latent space: training set,
// training step with condition dropout, guided denoiser, generation, checkpoints.
#include "models/latent_diffusion.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/digits.h"
#include "diffusion/loss.h"

td_score_net_config td_latent_net_defaults(int z_dim) {
    td_score_net_config c = td_score_net_defaults();
    c.data_dim = z_dim;
    c.time_dim = 64;
    c.n_classes = TD_MNIST_CLASSES;
    c.class_dim = 32;
    c.cond_dim = TD_LATENT_COND_DIM;
    c.cond_proj_dim = 32;
    c.width = 256;
    c.depth = 4;
    c.residual = 1;
    c.pred = TD_PRED_EPS;
    return c;
}

td_status td_latent_init(td_latent_diffusion *ld, const td_digit_vae *vae, const td_score_net_config *cfg,
                         const td_sde *sde, td_rng *rng) {
    memset(ld, 0, sizeof *ld);
    if (!vae || !cfg || !sde) return td_fail(TD_ERR_ARG, "latent diffusion needs a VAE, a net config and an SDE");
    if (cfg->data_dim != vae->cfg.z_dim)
        return td_fail(TD_ERR_SHAPE, "the net works on %d dims but the VAE's latent has %d", cfg->data_dim,
                       vae->cfg.z_dim);
    if (cfg->n_classes != TD_MNIST_CLASSES || cfg->cond_dim != TD_LATENT_COND_DIM)
        return td_fail(TD_ERR_ARG, "latent diffusion needs 10 classes and a %d-value colour condition",
                       TD_LATENT_COND_DIM);
    td_status st = td_score_model_init(&ld->model, cfg, sde, rng);
    if (st != TD_OK) return st;
    ld->latent_scale = 1.0f;
    ld->vae_fingerprint = td_digit_vae_fingerprint(vae);
    return TD_OK;
}

void td_latent_free(td_latent_diffusion *ld) {
    if (!ld) return;
    td_score_model_free(&ld->model);
    memset(ld, 0, sizeof *ld);
    td_params_init(&ld->model.params);
}

void td_latent_cond(const float *rgb, float out[TD_LATENT_COND_DIM]) {
    for (int ch = 0; ch < 3; ch++) out[ch] = rgb ? rgb[ch] : 0.0f;
    out[3] = rgb ? 1.0f : 0.0f;
}

// ---- training ---------------------------------------------------------------------------

td_status td_latent_trainer_init(td_latent_trainer *tr, td_latent_diffusion *ld, td_digit_vae *vae,
                                 const td_mnist *data, int colourings, int batch, float p_drop,
                                 uint64_t seed) {
    memset(tr, 0, sizeof *tr);
    if (!ld || !vae || !data) return td_fail(TD_ERR_ARG, "the latent trainer needs a model, a VAE and data");
    if (vae->cfg.kind != TD_DIGIT_VAE_UNCOND)
        return td_fail(TD_ERR_ARG, "latent diffusion runs in the unconditional VAE's latent space");
    if (colourings < 1 || colourings > 100) return td_fail(TD_ERR_ARG, "colourings must be 1..100, got %d", colourings);
    if (batch < 1 || batch > 65536) return td_fail(TD_ERR_ARG, "batch must be 1..65536, got %d", batch);
    if (!(p_drop >= 0.0f && p_drop < 1.0f)) return td_fail(TD_ERR_ARG, "condition dropout must lie in [0, 1)");
    const int Z = vae->cfg.z_dim, n_train = td_digits_split_count(data->count, TD_SPLIT_TRAIN);
    if (n_train <= 0) return td_fail(TD_ERR_ARG, "the data set has no train images");
    tr->ld = ld;
    tr->z_dim = Z;
    tr->n = n_train * colourings;
    tr->batch = batch;
    tr->p_drop = p_drop;
    td_rng_seed(&tr->rng, seed, 7);
    size_t N = (size_t)tr->n, B = (size_t)batch, D = (size_t)Z;
    tr->z = malloc(N * D * sizeof(float));
    tr->labels = malloc(N * sizeof(int));
    tr->colours = malloc(N * 3 * sizeof(float));
    tr->blabels = malloc(B * sizeof(int));
    tr->x0 = malloc(B * (4 * D + 2 + TD_LATENT_COND_DIM) * sizeof(float));
    td_status st = tr->z && tr->labels && tr->colours && tr->blabels && tr->x0
                       ? TD_OK
                       : td_fail(TD_ERR_NOMEM, "out of memory for %d training latents", tr->n);
    if (st != TD_OK) goto fail;
    tr->xt = tr->x0 + B * D;
    tr->target = tr->xt + B * D;
    tr->pred = tr->target + B * D;
    tr->t = tr->pred + B * D;
    tr->weight = tr->t + B;
    tr->bcond = tr->weight + B;
    if ((st = td_score_net_work_init(&tr->work, &ld->model.net, batch)) != TD_OK) goto fail;

    // Every train image, `colourings` times, each in a fresh colour: encode to mu.
    enum { CHUNK = 256 };
    td_digit_vae_work vw;
    float *img = malloc((size_t)CHUNK * TD_DIGIT_FLOATS * sizeof(float));
    if (!img) {
        st = td_fail(TD_ERR_NOMEM, "out of memory for an encoding chunk");
        goto fail;
    }
    if ((st = td_digit_vae_work_init(&vw, vae, CHUNK)) != TD_OK) {
        free(img);
        goto fail;
    }
    td_rng crng;
    td_rng_seed(&crng, seed, 8);
    for (int start = 0; start < tr->n && st == TD_OK; start += CHUNK) {
        int m = tr->n - start < CHUNK ? tr->n - start : CHUNK;
        for (int i = 0; i < m; i++) {
            int k = (start + i) % n_train, idx = td_digits_split_index(k, TD_SPLIT_TRAIN);
            td_rgb c = td_color_random(&crng);
            float *col = tr->colours + 3 * (size_t)(start + i);
            col[0] = c.r, col[1] = c.g, col[2] = c.b;
            tr->labels[start + i] = data->labels[idx];
            td_digit_colorize(data->pixels + (size_t)idx * TD_MNIST_PIXELS, c, 0, 0, img + (size_t)i * TD_DIGIT_FLOATS);
        }
        st = td_digit_vae_encode(vae, &vw, img, NULL, m, tr->z + (size_t)start * D, NULL);
    }
    td_digit_vae_work_free(&vw);
    free(img);
    if (st != TD_OK) goto fail;

    // One global scale to unit variance (as Rombach et al.): the SDE's prior is N(0, I).
    double sum = 0.0, sq = 0.0;
    for (size_t i = 0; i < N * D; i++) {
        sum += (double)tr->z[i];
        sq += (double)tr->z[i] * (double)tr->z[i];
    }
    double mean = sum / (double)(N * D), var = sq / (double)(N * D) - mean * mean;
    ld->latent_scale = var > 1e-12 ? (float)(1.0 / sqrt(var)) : 1.0f;
    for (size_t i = 0; i < N * D; i++) tr->z[i] *= ld->latent_scale;
    ld->vae_fingerprint = td_digit_vae_fingerprint(vae);
    return TD_OK;
fail:
    td_latent_trainer_free(tr);
    return st;
}

void td_latent_trainer_free(td_latent_trainer *tr) {
    if (!tr) return;
    td_score_net_work_free(&tr->work);
    free(tr->z);
    free(tr->labels);
    free(tr->colours);
    free(tr->blabels);
    free(tr->x0);
    memset(tr, 0, sizeof *tr);
}

// rows of the pool -> drop class / colour independently -> (t, z_t, eps) -> net -> MSE -> grad
td_status td_latent_trainer_step(void *ctx, td_params *p, double *loss) {
    td_latent_trainer *tr = ctx;
    const td_score_model *m = &tr->ld->model;
    const int B = tr->batch, D = tr->z_dim;
    for (int b = 0; b < B; b++) {
        int i = (int)td_rng_below(&tr->rng, (uint32_t)tr->n);
        memcpy(tr->x0 + (size_t)b * (size_t)D, tr->z + (size_t)i * (size_t)D, (size_t)D * sizeof(float));
        int keep_class = td_rng_uniform(&tr->rng) >= (double)tr->p_drop;
        int keep_colour = td_rng_uniform(&tr->rng) >= (double)tr->p_drop;
        tr->blabels[b] = keep_class ? tr->labels[i] : TD_MNIST_CLASSES;
        td_latent_cond(keep_colour ? tr->colours + 3 * (size_t)i : NULL, tr->bcond + (size_t)b * TD_LATENT_COND_DIM);
    }
    td_status st = td_loss_make_batch(&m->sde, m->net.cfg.pred, &tr->rng, tr->x0, B, D, tr->t, NULL, tr->xt,
                                      tr->target, tr->weight);
    if (st != TD_OK) return st;
    td_params_zero_grad(p);
    st = td_score_net_forward_train(&m->net, p, &tr->work, tr->xt, tr->t, tr->blabels, tr->bcond, tr->pred, B);
    if (st != TD_OK) return st;
    *loss = td_loss_weighted_mse(tr->pred, tr->target, NULL, B, D, tr->pred);
    return td_score_net_backward(&m->net, p, &tr->work, tr->pred);
}

// ---- the guided denoiser ----------------------------------------------------------------

td_status td_latent_guide_init(td_latent_guide *g, const td_latent_diffusion *ld, td_score_net_work *work,
                               int n, const int *labels, const float *colours, float g_class, float g_colour) {
    memset(g, 0, sizeof *g);
    if (!ld || !work) return td_fail(TD_ERR_ARG, "the guided denoiser needs a model and a workspace");
    if (n <= 0 || n > 1000000) return td_fail(TD_ERR_ARG, "the guided denoiser needs 1..1000000 rows, got %d", n);
    if (!isfinite(g_class) || !isfinite(g_colour) || fabsf(g_class) > 100.0f || fabsf(g_colour) > 100.0f)
        return td_fail(TD_ERR_ARG, "guidance scales must be finite and within +-100");
    if (work->max_batch < 3) return td_fail(TD_ERR_ARG, "the guided denoiser needs a workspace of at least 3 rows");
    for (int i = 0; labels && i < n; i++)
        if (labels[i] < 0 || labels[i] >= TD_MNIST_CLASSES)
            return td_fail(TD_ERR_ARG, "digit class must be 0..9, got %d", labels[i]);
    for (int i = 0; colours && i < 3 * n; i++)
        if (!(colours[i] >= 0.0f && colours[i] <= 1.0f)) return td_fail(TD_ERR_ARG, "colour channels must lie in [0, 1]");
    const size_t R = (size_t)work->max_batch, D = (size_t)ld->model.net.cfg.data_dim, N = (size_t)n;
    g->labels = malloc(N * sizeof(int));
    g->cond = malloc(N * TD_LATENT_COND_DIM * sizeof(float));
    g->buf = malloc(R * (2 * D + 1 + TD_LATENT_COND_DIM) * sizeof(float));
    g->buf_labels = malloc(R * sizeof(int));
    if (!g->labels || !g->cond || !g->buf || !g->buf_labels) {
        td_latent_guide_free(g);
        return td_fail(TD_ERR_NOMEM, "out of memory for the guided denoiser");
    }
    for (size_t i = 0; i < N; i++) {
        g->labels[i] = labels ? labels[i] : TD_MNIST_CLASSES;
        td_latent_cond(colours ? colours + 3 * i : NULL, g->cond + i * TD_LATENT_COND_DIM);
    }
    g->ld = ld;
    g->work = work;
    g->n = n;
    g->g_class = labels ? g_class : 0.0f;
    g->g_colour = colours ? g_colour : 0.0f;
    g->rows = work->max_batch;
    return TD_OK;
}

void td_latent_guide_free(td_latent_guide *g) {
    if (!g) return;
    free(g->labels);
    free(g->cond);
    free(g->buf);
    free(g->buf_labels);
    memset(g, 0, sizeof *g);
}

// x (n, D) at t -> eps (n, D): per chunk of rows one net call on [x; x; x] with
// (no class, no colour), (class, no colour), (no class, colour), then the mix.
static td_status guide_predict(void *vctx, const float *x, int n, int dim, double t, float *out) {
    td_latent_guide *g = vctx;
    const td_score_model *m = &g->ld->model;
    if (dim != m->net.cfg.data_dim)
        return td_fail(TD_ERR_SHAPE, "latent diffusion works on %d dims, the sampler asked for %d", m->net.cfg.data_dim, dim);
    if (n != g->n) return td_fail(TD_ERR_SHAPE, "the guided denoiser was set up for %d rows, got %d", g->n, n);
    const int use_class = g->g_class != 0.0f, use_colour = g->g_colour != 0.0f;
    const int passes = 1 + use_class + use_colour, chunk = g->rows / passes;
    const size_t D = (size_t)dim, R = (size_t)g->rows;
    float *xs = g->buf, *eps = xs + R * D, *ts = eps + R * D, *cond = ts + R;
    for (int start = 0; start < n; start += chunk) {
        int B = n - start < chunk ? n - start : chunk, rows = B * passes;
        for (int k = 0; k < passes; k++) {
            // pass 0: unconditional; pass 1: the class (if guided), last: the colour (if guided)
            int is_class = k == 1 && use_class, is_colour = k > 0 && !is_class;
            memcpy(xs + (size_t)k * (size_t)B * D, x + (size_t)start * D, (size_t)B * D * sizeof(float));
            for (int i = 0; i < B; i++) {
                size_t r = (size_t)(k * B + i), src = (size_t)(start + i);
                ts[r] = (float)t;
                g->buf_labels[r] = is_class ? g->labels[src] : TD_MNIST_CLASSES;
                td_latent_cond(NULL, cond + r * TD_LATENT_COND_DIM);
                if (is_colour) memcpy(cond + r * TD_LATENT_COND_DIM, g->cond + src * TD_LATENT_COND_DIM,
                                      TD_LATENT_COND_DIM * sizeof(float));
            }
        }
        td_status st = td_score_net_forward(&m->net, &m->params, g->work, xs, ts, g->buf_labels, cond, eps, rows);
        if (st != TD_OK) return st;
        const float *eu = eps, *ec = eps + (size_t)B * D, *eo = eps + (size_t)(use_class ? 2 : 1) * (size_t)B * D;
        float *ob = out + (size_t)start * D;
        for (size_t i = 0; i < (size_t)B * D; i++) {
            float e = eu[i];
            if (use_class) e += g->g_class * (ec[i] - eu[i]);
            if (use_colour) e += g->g_colour * (eo[i] - eu[i]);
            ob[i] = e;
        }
    }
    return TD_OK;
}

td_denoiser td_latent_guide_denoiser(td_latent_guide *g) {
    td_denoiser d = {TD_PRED_EPS, guide_predict, g};
    return d;
}

td_status td_latent_generate(const td_latent_diffusion *ld, td_digit_vae *vae, const int *labels,
                             const float *colours, float g_class, float g_colour, td_sampler_kind sampler,
                             int steps, const td_sampler_options *opts, td_rng *rng, int n, float *out,
                             long *nfe) {
    if (!ld || !vae || !rng || !out) return td_fail(TD_ERR_ARG, "generation needs a model, a VAE, an rng and output");
    if (n <= 0 || n > 1000000) return td_fail(TD_ERR_ARG, "the number of digits must be 1..1000000, got %d", n);
    if (vae->cfg.z_dim != ld->model.net.cfg.data_dim || vae->cfg.kind != TD_DIGIT_VAE_UNCOND)
        return td_fail(TD_ERR_SHAPE, "this VAE is not the latent diffusion model's");
    const int Z = vae->cfg.z_dim;
    enum { ROWS = 192 };   // net rows per call: 64 digits x 3 passes
    td_score_net_work work;
    td_digit_vae_work vw;
    td_latent_guide g;
    td_status st = td_score_net_work_init(&work, &ld->model.net, ROWS);
    if (st != TD_OK) return st;
    if ((st = td_digit_vae_work_init(&vw, vae, 64)) != TD_OK) {
        td_score_net_work_free(&work);
        return st;
    }
    float *z = malloc((size_t)n * (size_t)Z * sizeof(float));
    if (!z) st = td_fail(TD_ERR_NOMEM, "out of memory for %d latents", n);
    if (st == TD_OK) st = td_latent_guide_init(&g, ld, &work, n, labels, colours, g_class, g_colour);
    if (st == TD_OK) {
        td_denoiser den = td_latent_guide_denoiser(&g);
        st = td_sampler_init_prior(&ld->model.sde, rng, z, n, Z);
        if (st == TD_OK) st = td_sampler_run(sampler, &ld->model.sde, &den, rng, z, n, Z, steps, opts, NULL, nfe);
        td_latent_guide_free(&g);
    }
    if (st == TD_OK) {
        const float inv = 1.0f / ld->latent_scale;
        for (size_t i = 0; i < (size_t)n * (size_t)Z; i++) z[i] *= inv;
        st = td_digit_vae_decode(vae, &vw, z, NULL, NULL, n, out);
    }
    free(z);
    td_digit_vae_work_free(&vw);
    td_score_net_work_free(&work);
    return st;
}

// ---- checkpoints ------------------------------------------------------------------------

td_status td_latent_save(const td_latent_diffusion *ld, const char *path, const td_meta_list *extra,
                         td_dtype dtype) {
    static td_meta_list meta;   // 32 KiB: too big for a wasm stack
    char fp[32];
    snprintf(fp, sizeof fp, "%016" PRIx64, ld->vae_fingerprint);
    td_meta_init(&meta);
    td_status st = td_score_model_describe(&ld->model, &meta);
    if (st == TD_OK) st = td_meta_add_double(&meta, "latent_scale", (double)ld->latent_scale);
    if (st == TD_OK) st = td_meta_add_string(&meta, "vae_fingerprint", fp);
    if (st == TD_OK) st = td_meta_add_all(&meta, extra);
    if (st != TD_OK) return st;
    return td_checkpoint_save(path, &ld->model.params, TD_LATENT_KIND, &meta, dtype);
}

td_status td_latent_load_mem(td_latent_diffusion *ld, const uint8_t *bytes, size_t len, const td_digit_vae *vae) {
    memset(ld, 0, sizeof *ld);
    td_params_init(&ld->model.params);
    td_safetensors f;
    td_status st = td_safetensors_parse(bytes, len, &f);
    if (st != TD_OK) return st;
    double scale = 0.0;
    const char *fp = NULL;
    st = td_score_model_load_as(&ld->model, &f, TD_LATENT_KIND);
    if (st == TD_OK) st = td_checkpoint_meta_double(&f, "latent_scale", 1e-6, 1e6, &scale);
    if (st == TD_OK) st = td_checkpoint_meta_string(&f, "vae_fingerprint", &fp);
    if (st == TD_OK) {
        char *end = NULL;
        unsigned long long v = strtoull(fp, &end, 16);
        if (strlen(fp) != 16 || !end || *end != '\0')
            st = td_fail(TD_ERR_FORMAT, "metadata 'vae_fingerprint' is not 16 hex digits");
        ld->vae_fingerprint = (uint64_t)v;
        ld->latent_scale = (float)scale;
    }
    if (st == TD_OK && ld->model.net.cfg.n_classes != TD_MNIST_CLASSES)
        st = td_fail(TD_ERR_FORMAT, "a digit latent model needs 10 classes, this one has %d", ld->model.net.cfg.n_classes);
    if (st == TD_OK && ld->model.net.cfg.cond_dim != TD_LATENT_COND_DIM)
        st = td_fail(TD_ERR_FORMAT, "a digit latent model needs a %d-value colour condition", TD_LATENT_COND_DIM);
    if (st == TD_OK && vae) {
        if (vae->cfg.kind != TD_DIGIT_VAE_UNCOND || vae->cfg.z_dim != ld->model.net.cfg.data_dim)
            st = td_fail(TD_ERR_SHAPE, "the latent model needs an unconditional digit VAE with a %d-dim latent",
                         ld->model.net.cfg.data_dim);
        else if (td_digit_vae_fingerprint(vae) != ld->vae_fingerprint)
            st = td_fail(TD_ERR_FORMAT, "the latent model was trained on another VAE (fingerprint mismatch)");
    }
    td_safetensors_free(&f);
    if (st != TD_OK) td_latent_free(ld);
    return st;
}
