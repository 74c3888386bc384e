// api_models.c - the page's binding for trained models: checkpoint bytes -> a model handle,
// then sampling with a learned denoiser, score fields, VAE / HVAE views and the 1-D map.
// Same rules as api.c: handles, negative status codes with td_wasm_last_error(),
// caller-owned buffers with their counts checked first.
//
// One handle kind (TD_H_MODEL) covers every family; the checkpoint's "model" metadata
// picks the loader, and each export refuses a model of the wrong family by name.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "diffusion/parameterization.h"
#include "diffusion/samplers.h"
#include "io/safetensors.h"
#include "models/hvae.h"
#include "models/map1d.h"
#include "models/score_model.h"
#include "models/vae.h"
#include "prob/mixture.h"
#include "wasm/api_util.h"
#include "wasm/handles.h"

enum {
    DIFFUSION_BATCH = 4096,   // the CLI's score-net workspace: same chunks, same sums
    VAE_BATCH = 1024,
    DESCRIBE_MAX = 8192,      // bytes of the JSON description
    GRID_MAX = 512,           // cells per side of a score grid
};

typedef enum { FAMILY_DIFFUSION, FAMILY_VAE, FAMILY_HVAE, FAMILY_MAP1D } family;

static const char *const FAMILY_NAMES[] = {TD_SCORE_MODEL_KIND, TD_VAE_KIND, TD_HVAE_KIND,
                                           TD_MAP1D_KIND};

typedef struct {
    family fam;
    char *describe;                 // JSON: {"family": ..., "params": N, "meta": {...}}
    // FAMILY_DIFFUSION
    td_score_model diffusion;
    td_score_net_work net_work;
    td_score_net_ctx net_ctx;
    // FAMILY_VAE / FAMILY_HVAE
    td_vae vae;
    td_vae_work vae_work;
    td_hvae hvae;
    td_hvae_work hvae_work;
    // FAMILY_MAP1D
    td_map1d map;
    td_mix1d target;
} model_obj;

static void model_destroy(void *p) {
    model_obj *m = p;
    switch (m->fam) {
    case FAMILY_DIFFUSION:
        td_score_net_work_free(&m->net_work);
        td_score_model_free(&m->diffusion);
        break;
    case FAMILY_VAE:
        td_vae_work_free(&m->vae_work);
        td_vae_free(&m->vae);
        break;
    case FAMILY_HVAE:
        td_hvae_work_free(&m->hvae_work);
        td_hvae_free(&m->hvae);
        break;
    case FAMILY_MAP1D:
        td_map1d_free(&m->map);
        break;
    }
    free(m->describe);
    free(m);
}

// ---- the description: every metadata pair as JSON ---------------------------------------

typedef struct {
    char *buf;
    size_t len, cap;
    int overflow;
} text;

static void put(text *t, const char *s) {
    size_t n = strlen(s);
    if (t->overflow || t->len + n + 1 > t->cap) {
        t->overflow = 1;
        return;
    }
    memcpy(t->buf + t->len, s, n + 1);
    t->len += n;
}

// A JSON string literal: quotes, backslashes and control bytes escaped.
static void put_json_string(text *t, const char *s) {
    put(t, "\"");
    for (; *s; s++) {
        char esc[8] = {*s, 0};
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') snprintf(esc, sizeof esc, "\\%c", *s);
        else if (c < 0x20) snprintf(esc, sizeof esc, "\\u%04x", (unsigned)c);
        put(t, esc);
    }
    put(t, "\"");
}

static td_status describe(model_obj *m, const td_safetensors *st, size_t n_params) {
    text t = {malloc(DESCRIBE_MAX), 0, DESCRIBE_MAX, 0};
    if (!t.buf) return td_fail(TD_ERR_NOMEM, "out of memory for the model's description");
    t.buf[0] = 0;
    char num[64];
    put(&t, "{\"family\": ");
    put_json_string(&t, FAMILY_NAMES[m->fam]);
    snprintf(num, sizeof num, ", \"params\": %zu, \"meta\": {", n_params);
    put(&t, num);
    for (size_t i = 0; i < st->n_meta; i++) {
        if (i) put(&t, ", ");
        put_json_string(&t, st->meta[i].key);
        put(&t, ": ");
        put_json_string(&t, st->meta[i].value);
    }
    put(&t, "}}");
    if (t.overflow) {
        free(t.buf);
        return td_fail(TD_ERR_LIMIT, "the checkpoint's metadata exceeds %d bytes", DESCRIBE_MAX);
    }
    m->describe = t.buf;
    return TD_OK;
}

// ---- loading ------------------------------------------------------------------------------

static td_status load_family(model_obj *m, const td_safetensors *st, size_t *n_params) {
    td_status rc;
    switch (m->fam) {
    case FAMILY_DIFFUSION:
        if ((rc = td_score_model_load(&m->diffusion, st))) return rc;
        if ((rc = td_score_net_work_init(&m->net_work, &m->diffusion.net, DIFFUSION_BATCH))) {
            td_score_model_free(&m->diffusion);
            return rc;
        }
        m->net_ctx = (td_score_net_ctx){&m->diffusion.net, &m->diffusion.params, &m->net_work, -1, NULL};
        *n_params = m->diffusion.params.total;
        return TD_OK;
    case FAMILY_VAE:
        if ((rc = td_vae_load(&m->vae, st))) return rc;
        if ((rc = td_vae_work_init(&m->vae_work, &m->vae, VAE_BATCH))) td_vae_free(&m->vae);
        *n_params = m->vae.params.total;
        return rc;
    case FAMILY_HVAE:
        if ((rc = td_hvae_load(&m->hvae, st))) return rc;
        if ((rc = td_hvae_work_init(&m->hvae_work, &m->hvae, VAE_BATCH))) td_hvae_free(&m->hvae);
        *n_params = m->hvae.params.total;
        return rc;
    case FAMILY_MAP1D:
        if ((rc = td_map1d_load(&m->map, &m->target, st))) return rc;
        *n_params = m->map.params.total;
        return TD_OK;
    }
    return td_fail(TD_ERR_ARG, "unknown model family");
}

// bytes (len) of a .safetensors checkpoint -> a model handle. The family comes from the
// file's "model" metadata; every failure carries the C loader's reason.
int td_wasm_model_load(const uint8_t *bytes, int len) {
    int rc = td_wasm_check_buffer(bytes, "checkpoint");
    if (rc) return rc;
    if (len <= 0) return td_fail(TD_ERR_FORMAT, "the checkpoint is empty (%d bytes)", len);
    td_safetensors st;
    if ((rc = td_safetensors_parse(bytes, (size_t)len, &st))) return rc;
    const char *kind = td_checkpoint_kind(&st);
    int fam = -1;
    for (int i = 0; i < (int)(sizeof FAMILY_NAMES / sizeof FAMILY_NAMES[0]); i++)
        if (kind && strcmp(kind, FAMILY_NAMES[i]) == 0) fam = i;
    if (fam < 0) {
        rc = kind ? td_fail(TD_ERR_FORMAT, "the page cannot open a '%s' checkpoint (it opens "
                                           "diffusion, vae, hvae and map1d)", kind)
                  : td_fail(TD_ERR_FORMAT, "the file has no \"model\" metadata: not a thinkdiff checkpoint");
        td_safetensors_free(&st);
        return rc;
    }
    model_obj *m = calloc(1, sizeof *m);
    if (!m) {
        td_safetensors_free(&st);
        return td_fail(TD_ERR_NOMEM, "out of memory for a model");
    }
    m->fam = (family)fam;
    size_t n_params = 0;
    rc = load_family(m, &st, &n_params);
    if (rc) {
        free(m);
        td_safetensors_free(&st);
        return rc;
    }
    rc = describe(m, &st, n_params);
    td_safetensors_free(&st);
    if (rc) {
        model_destroy(m);
        return rc;
    }
    return td_handle_put(TD_H_MODEL, m, model_destroy);
}

int td_wasm_model_free(int h) { return td_handle_free(h, TD_H_MODEL); }

// The model's JSON description (a string owned by the model), or "" for a bad handle.
const char *td_wasm_model_describe(int h) {
    const model_obj *m = td_handle_get(h, TD_H_MODEL);
    return m ? m->describe : "";
}

// The model, when it is live and of family `fam`; NULL with a reason otherwise.
static model_obj *model_of(int h, family fam) {
    model_obj *m = td_handle_get(h, TD_H_MODEL);
    if (m && m->fam != fam) {
        td_fail(TD_ERR_ARG, "model %d is a %s model, not a %s model", h, FAMILY_NAMES[m->fam],
                FAMILY_NAMES[fam]);
        return NULL;
    }
    return m;
}

// A diffusion model's SDE as a new SDE handle (the exact score needs the same process).
int td_wasm_model_sde(int h) {
    const model_obj *m = model_of(h, FAMILY_DIFFUSION);
    if (!m) return TD_ERR_ARG;
    td_sde *sde = malloc(sizeof *sde);
    if (!sde) return td_fail(TD_ERR_NOMEM, "out of memory for an sde");
    *sde = m->diffusion.sde;
    return td_handle_put(TD_H_SDE, sde, free);
}

// ---- diffusion: sampling and the score field ------------------------------------------------

// As td_wasm_sample_exact, with the model's own SDE and its net as the denoiser. The rng
// is used exactly as `thinkdiff sample` uses its own: prior draws, then the sampler.
int td_wasm_sample_model(int sampler, int model_h, int rng_h, int n, int steps, double eta,
                         double snr, int corrector_steps, int grid, float *x, float *trajectory) {
    model_obj *m = model_of(model_h, FAMILY_DIFFUSION);
    if (!m) return TD_ERR_ARG;
    td_rng *rng = td_handle_get(rng_h, TD_H_RNG);
    if (!rng) return TD_ERR_ARG;
    const td_sde *sde = &m->diffusion.sde;
    const int dim = m->diffusion.net.cfg.data_dim;
    td_sampler_options opts;
    int rc = td_wasm_sampler_setup(sampler, eta, snr, corrector_steps, grid, &opts);
    if (rc || (rc = td_wasm_check_sampling(n, dim, steps, x, trajectory))) return rc;
    td_denoiser denoiser = td_score_net_denoiser(&m->net_ctx);
    long nfe = 0;
    if ((rc = td_sampler_init_prior(sde, rng, x, n, dim))) return rc;
    rc = td_sampler_run((td_sampler_kind)sampler, sde, &denoiser, rng, x, n, dim, steps, &opts,
                        trajectory, &nfe);
    if (rc) return rc;
    return nfe > 0x7fffffffL ? 0x7fffffff : (int)nfe;
}

// The score grad log p_t at the centres of a (h, w) grid over [x0, x1] x [y0, y1] (row 0
// at the bottom, as td_wasm_mixture_log_density_grid): out (h * w, 2), whatever form the
// denoiser predicts in, converted once by parameterization.h.
static int score_grid(const td_denoiser *den, const td_sde *sde, double t, double x0, double x1,
                      double y0, double y1, int w, int h, float *out) {
    int rc = td_wasm_check_count(w, GRID_MAX, "grid width");
    if (rc || (rc = td_wasm_check_count(h, GRID_MAX, "grid height"))) return rc;
    if ((rc = td_wasm_check_buffer(out, "output"))) return rc;
    if (!(t > 0.0 && t <= 1.0))
        return td_fail(TD_ERR_ARG, "t must be in (0, 1] for a score (it diverges at 0), got %g", t);
    if (!(isfinite(x0) && isfinite(x1) && isfinite(y0) && isfinite(y1) && x1 > x0 && y1 > y0))
        return td_fail(TD_ERR_ARG, "the grid box [%g, %g] x [%g, %g] is empty or not finite",
                       x0, x1, y0, y1);
    const size_t n = (size_t)w * (size_t)h;
    float *pts = malloc(n * 2 * sizeof *pts);
    if (!pts) return td_fail(TD_ERR_NOMEM, "out of memory for a %d x %d grid", w, h);
    const double dx = (x1 - x0) / w, dy = (y1 - y0) / h;
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            size_t i = (size_t)r * (size_t)w + (size_t)c;
            pts[2 * i] = (float)(x0 + (c + 0.5) * dx);
            pts[2 * i + 1] = (float)(y0 + (r + 0.5) * dy);
        }
    // pts (n, 2) at time t -> prediction (n, 2) -> score (n, 2)
    rc = den->predict(den->ctx, pts, (int)n, 2, t, out);
    if (!rc)
        rc = td_param_convert(den->kind, TD_PRED_SCORE, pts, out, n * 2, td_sde_alpha(sde, t),
                              td_sde_sigma(sde, t), out);
    free(pts);
    return rc ? rc : (int)n;
}

// The learned score of a 2-D diffusion model on a grid (see score_grid).
int td_wasm_model_score_grid(int model_h, double t, double x0, double x1, double y0, double y1,
                             int w, int h, float *out) {
    model_obj *m = model_of(model_h, FAMILY_DIFFUSION);
    if (!m) return TD_ERR_ARG;
    if (m->diffusion.net.cfg.data_dim != 2)
        return td_fail(TD_ERR_SHAPE, "a score field needs a 2-D model, not %d-D",
                       m->diffusion.net.cfg.data_dim);
    td_denoiser den = td_score_net_denoiser(&m->net_ctx);
    return score_grid(&den, &m->diffusion.sde, t, x0, x1, y0, y1, w, h, out);
}

// The exact score of a 2-D mixture noised by an SDE, on the same grid.
int td_wasm_mixture_score_grid(int mix_h, int sde_h, double t, double x0, double x1, double y0,
                               double y1, int w, int h, float *out) {
    const td_mixture *mix = td_handle_get(mix_h, TD_H_MIXTURE);
    if (!mix) return TD_ERR_ARG;
    const td_sde *sde = td_handle_get(sde_h, TD_H_SDE);
    if (!sde) return TD_ERR_ARG;
    if (mix->dim != 2) return td_fail(TD_ERR_SHAPE, "a score field needs a 2-D mixture, not %d-D", mix->dim);
    td_mixture_score ctx = {mix, sde};
    td_denoiser den = td_mixture_score_denoiser(&ctx);
    return score_grid(&den, sde, t, x0, x1, y0, y1, w, h, out);
}

// ---- VAE and hierarchical VAE -------------------------------------------------------------

// A VAE or HVAE model; NULL with a reason for anything else.
static model_obj *vae_of(int h) {
    model_obj *m = td_handle_get(h, TD_H_MODEL);
    if (m && m->fam != FAMILY_VAE && m->fam != FAMILY_HVAE) {
        td_fail(TD_ERR_ARG, "model %d is a %s model, not a vae or hvae", h, FAMILY_NAMES[m->fam]);
        return NULL;
    }
    return m;
}

static int x_dim(const model_obj *m) { return m->fam == FAMILY_VAE ? m->vae.cfg.x_dim : m->hvae.cfg.x_dim; }
static int z_dim(const model_obj *m) { return m->fam == FAMILY_VAE ? m->vae.cfg.z_dim : m->hvae.cfg.z1_dim; }

// n samples of the generative model: z ~ the prior (the VAE's N(0, I), the HVAE's
// z2 ~ N(0, I) then z1 ~ p(z1 | z2)), x = dec(z), plus sigma_x noise when with_noise.
// x (n, D) and z (n, Z) (the latent that was decoded: z, or z1). Returns n.
int td_wasm_vae_sample(int model_h, int rng_h, int n, int with_noise, float *x, float *z) {
    model_obj *m = vae_of(model_h);
    if (!m) return TD_ERR_ARG;
    td_rng *rng = td_handle_get(rng_h, TD_H_RNG);
    if (!rng) return TD_ERR_ARG;
    const int D = x_dim(m), Z = z_dim(m);
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES / (D > Z ? D : Z), "count");
    if (rc || (rc = td_wasm_check_buffer(x, "samples")) || (rc = td_wasm_check_buffer(z, "latents")))
        return rc;
    if (m->fam == FAMILY_HVAE) {
        rc = td_hvae_sample(&m->hvae, &m->hvae_work, rng, x, n, with_noise != 0, z);
        return rc ? rc : n;
    }
    td_rng_fill_normal(rng, z, (size_t)n * (size_t)Z);
    if ((rc = td_vae_decode(&m->vae, &m->vae_work, z, n, x))) return rc;
    if (with_noise) {
        const float sigma_x = expf(0.5f * m->vae.params.data[m->vae.log_var_x]);
        for (size_t i = 0; i < (size_t)n * (size_t)D; i++) x[i] += sigma_x * (float)td_rng_normal(rng);
    }
    return n;
}

// Encoder means of x (n, D): mu (n, Z) (the VAE's z, the HVAE's z1) and, for the HVAE,
// mu2 (n, Z2) = the mean of q(z2 | z1 = mu); mu2 may be NULL. Returns n.
int td_wasm_vae_encode(int model_h, const float *x, int n, float *mu, float *mu2) {
    model_obj *m = vae_of(model_h);
    if (!m) return TD_ERR_ARG;
    const int D = x_dim(m), Z = z_dim(m);
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES / (D > Z ? D : Z), "count");
    if (rc || (rc = td_wasm_check_buffer(x, "input")) || (rc = td_wasm_check_buffer(mu, "output")))
        return rc;
    if (m->fam == FAMILY_HVAE) rc = td_hvae_encode(&m->hvae, &m->hvae_work, x, n, mu, mu2);
    else rc = td_vae_encode(&m->vae, &m->vae_work, x, n, mu, NULL);
    return rc ? rc : n;
}

// Decoder means of latents z (n, Z) -> x (n, D) (the HVAE decodes z1). Returns n.
int td_wasm_vae_decode(int model_h, const float *z, int n, float *x) {
    model_obj *m = vae_of(model_h);
    if (!m) return TD_ERR_ARG;
    const int D = x_dim(m), Z = z_dim(m);
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES / (D > Z ? D : Z), "count");
    if (rc || (rc = td_wasm_check_buffer(z, "latents")) || (rc = td_wasm_check_buffer(x, "output")))
        return rc;
    if (m->fam == FAMILY_VAE) {
        rc = td_vae_decode(&m->vae, &m->vae_work, z, n, x);
        return rc ? rc : n;
    }
    // the HVAE's decoder is one MLP z1 -> x; run it in workspace-sized chunks
    for (int start = 0; start < n; start += m->hvae_work.max_batch) {
        int B = n - start < m->hvae_work.max_batch ? n - start : m->hvae_work.max_batch;
        rc = td_mlp_forward(&m->hvae.dec, &m->hvae.params, &m->hvae_work.dec,
                            z + (size_t)start * (size_t)Z, x + (size_t)start * (size_t)D, B);
        if (rc) return rc;
    }
    return n;
}

// The Monte Carlo ELBO of x (n, D), one posterior draw per point from the rng.
// out (5): elbo, reconstruction, kl1, kl2, sigma_x - in nats per sample; the VAE's single
// KL is kl1 and its kl2 is 0. Returns n.
int td_wasm_vae_elbo(int model_h, int rng_h, const float *x, int n, double *out) {
    model_obj *m = vae_of(model_h);
    if (!m) return TD_ERR_ARG;
    td_rng *rng = td_handle_get(rng_h, TD_H_RNG);
    if (!rng) return TD_ERR_ARG;
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES / x_dim(m), "count");
    if (rc || (rc = td_wasm_check_buffer(x, "input")) || (rc = td_wasm_check_buffer(out, "output")))
        return rc;
    if (m->fam == FAMILY_HVAE) {
        td_hvae_terms t;
        if ((rc = td_hvae_elbo(&m->hvae, &m->hvae_work, x, n, rng, &t))) return rc;
        double v[5] = {t.elbo, t.rec, t.kl1, t.kl2, exp(0.5 * (double)m->hvae.params.data[m->hvae.log_var_x])};
        memcpy(out, v, sizeof v);
    } else {
        td_vae_terms t;
        if ((rc = td_vae_elbo(&m->vae, &m->vae_work, x, n, rng, &t))) return rc;
        double v[5] = {t.elbo, t.rec, t.kl, 0.0, exp(0.5 * (double)m->vae.params.data[m->vae.log_var_x])};
        memcpy(out, v, sizeof v);
    }
    return n;
}

// ---- the learned 1-D map ------------------------------------------------------------------

// The map's curves on n evenly spaced x in [lo, hi]: x (n), learned f(x) (n) and the exact
// F^-1(Phi(x)) (n) of its target. Returns n.
int td_wasm_map1d_curves(int model_h, double lo, double hi, int n, float *x, float *learned,
                         float *exact) {
    const model_obj *m = model_of(model_h, FAMILY_MAP1D);
    if (!m) return TD_ERR_ARG;
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES, "points");
    if (rc || (rc = td_wasm_check_buffer(x, "x")) || (rc = td_wasm_check_buffer(learned, "learned")) ||
        (rc = td_wasm_check_buffer(exact, "exact")))
        return rc;
    if (n < 2) return td_fail(TD_ERR_ARG, "a curve needs at least 2 points, got %d", n);
    if (!(isfinite(lo) && isfinite(hi) && hi > lo))
        return td_fail(TD_ERR_ARG, "the interval [%g, %g] is empty or not finite", lo, hi);
    rc = td_map1d_curves(&m->map, &m->target, lo, hi, n, x, learned, exact);
    return rc ? rc : n;
}

// z (n) ~ N(0, 1) from the rng, pushed through both maps: learned (n) = f(z) and
// exact (n) = F^-1(Phi(z)). Returns n.
int td_wasm_map1d_push(int model_h, int rng_h, int n, float *z, float *learned, float *exact) {
    const model_obj *m = model_of(model_h, FAMILY_MAP1D);
    if (!m) return TD_ERR_ARG;
    td_rng *rng = td_handle_get(rng_h, TD_H_RNG);
    if (!rng) return TD_ERR_ARG;
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES, "count");
    if (rc || (rc = td_wasm_check_buffer(z, "z")) || (rc = td_wasm_check_buffer(learned, "learned")) ||
        (rc = td_wasm_check_buffer(exact, "exact")))
        return rc;
    td_rng_fill_normal(rng, z, (size_t)n);
    td_map1d_eval(&m->map, z, learned, n);
    for (size_t i = 0; i < (size_t)n; i++)
        exact[i] = (float)td_mix1d_transport(&m->target, (double)z[i]);
    return n;
}

// The target density p(y) at y (n) -> out (n). Returns n.
int td_wasm_map1d_target_pdf(int model_h, const float *y, int n, float *out) {
    const model_obj *m = model_of(model_h, FAMILY_MAP1D);
    if (!m) return TD_ERR_ARG;
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES, "count");
    if (rc || (rc = td_wasm_check_buffer(y, "y")) || (rc = td_wasm_check_buffer(out, "output"))) return rc;
    for (size_t i = 0; i < (size_t)n; i++) out[i] = (float)td_mix1d_pdf(&m->target, (double)y[i]);
    return n;
}
