// bench_ours.c - the benchmark's view of our library, compiled to wasm by bench/wasm/build.sh.
//
// Exports (every pointer is into the module's heap; the JS side copies data in once):
//   bench_dense            one fused dense layer, y = act(x W^T + b)
//   bench_model_*          a score net (a fresh random one or a shipped checkpoint): its
//                          whole forward, its tensors (so the peers run the same weights),
//                          the time grid and scales of a DDIM run, and the DDIM run itself
//   bench_digits_*         the shipped digit model (latent diffusion + the VAE decoder):
//                          its tensors and sizes, and a whole guided DDIM run to pixels
//   bench_peak             a SIMD128 multiply-add loop: the machine's limit for our kernels
// Not part of the library or the page: a bench-only binding, so the page's export list
// stays as small as it is.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <wasm_simd128.h>

#include "core/status.h"
#include "diffusion/samplers.h"
#include "models/digit_vae.h"
#include "models/latent_diffusion.h"
#include "models/score_model.h"
#include "nn/dense.h"
#include "nn/embed.h"

#define EXPORT __attribute__((used, visibility("default")))

EXPORT const char *bench_error(void) { return td_error_message(); }

EXPORT const char *bench_dense_path(void) {
    const td_dense_kernel *k = td_dense_kernel_for(td_dense_best_path());
    return k ? k->name : "none";
}

// x (M, K), W (N, K), b (N) -> y (M, N) = act(x W^T + b), inference (no z kept)
EXPORT void bench_dense(const float *x, const float *W, const float *b, float *y, int M, int K,
                        int N, int act) {
    td_dense_forward(x, W, b, NULL, y, M, K, N, (td_act)act);
}

// ---- a score net with its workspace --------------------------------------------------------
typedef struct {
    td_score_model m;
    td_score_net_work w;
} bench_model;

static bench_model *model_finish(bench_model *h, td_status st, int max_batch) {
    if (st == TD_OK) st = td_score_net_work_init(&h->w, &h->m.net, max_batch);
    if (st != TD_OK) {
        td_score_model_free(&h->m);
        free(h);
        return NULL;
    }
    return h;
}

// A fresh net on the VP SDE: [x (D), time embedding (Dt)] -> width x depth SiLU -> D.
// NULL on failure (bench_error says why).
EXPORT bench_model *bench_model_new(int data_dim, int time_dim, int width, int depth,
                                    int scale_input, int max_batch, int seed) {
    bench_model *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    td_score_net_config cfg = td_score_net_defaults();
    cfg.data_dim = data_dim;
    cfg.time_dim = time_dim;
    cfg.width = width;
    cfg.depth = depth;
    cfg.scale_input = scale_input;
    td_sde sde = td_sde_vp(0.1, 20.0);
    td_rng rng;
    td_rng_seed(&rng, (uint64_t)seed, 1);
    return model_finish(h, td_score_model_init(&h->m, &cfg, &sde, &rng), max_batch);
}

// A shipped checkpoint (its .safetensors bytes, borrowed during the call).
EXPORT bench_model *bench_model_load(const uint8_t *bytes, int len, int max_batch) {
    bench_model *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    td_status st = len < 0 ? td_fail(TD_ERR_ARG, "negative length")
                           : td_score_model_load_mem(&h->m, bytes, (size_t)len);
    return model_finish(h, st, max_batch);
}

EXPORT void bench_model_free(bench_model *h) {
    if (!h) return;
    td_score_net_work_free(&h->w);
    td_score_model_free(&h->m);
    free(h);
}

// What a peer needs to rebuild the net: out[0..11] = data_dim, time_dim, width, depth,
// act, residual, scale_input, n_classes, cond_dim, prediction, class_dim, cond_proj_dim;
// the return value is the embedding's time_scale.
static float model_info(const td_score_model *m, int *out) {
    const td_score_net_config *c = &m->net.cfg;
    int v[12] = {c->data_dim,  c->time_dim,    c->width,     c->depth,
                 (int)c->act,  c->residual,    c->scale_input, c->n_classes,
                 c->cond_dim,  (int)c->pred,   c->class_dim, c->cond_proj_dim};
    memcpy(out, v, sizeof v);
    return c->time_scale;
}

EXPORT float bench_model_info(const bench_model *h, int *out) { return model_info(&h->m, out); }

// The weights of tensor `name` (e.g. "net.0.weight"), or NULL.
EXPORT float *bench_model_tensor(const bench_model *h, const char *name) {
    const td_param_tensor *t = td_params_find(&h->m.params, name);
    return t ? h->m.params.data + t->offset : NULL;
}

// x (B, D), every row at time t -> out (B, D): embedding, concat, the whole MLP over
// the full input rows, as training runs it. (td_score_net_forward would fold the
// shared embedding into the first layer's bias, doing a 2-wide instead of a 34-wide
// first product: the sampler rows measure that; this row measures the whole MLP.)
EXPORT int bench_model_forward(bench_model *h, const float *x, float t, float *out, int B) {
    const td_score_net *net = &h->m.net;
    if (B > h->w.max_batch || net->cfg.n_classes > 0 || net->cfg.cond_dim > 0 ||
        (net->cfg.scale_input && net->sde.kind != TD_SDE_VP && net->sde.kind != TD_SDE_DDPM))
        return td_fail(TD_ERR_ARG, "bench_model_forward: an unconditional VP/DDPM net and a batch that fits");
    size_t D = (size_t)net->cfg.data_dim, Dt = (size_t)net->cfg.time_dim, Din = (size_t)net->d_in;
    td_status st = td_time_embed(&t, 1, (int)Dt, net->cfg.time_scale, h->w.temb);
    for (size_t i = 0; st == TD_OK && i < (size_t)B; i++) {
        memcpy(h->w.in + i * Din, x + i * D, D * sizeof(float));
        memcpy(h->w.in + i * Din + D, h->w.temb, Dt * sizeof(float));
    }
    return st != TD_OK ? st : td_mlp_forward(&net->mlp, &h->m.params, &h->w.mlp, h->w.in, out, B);
}

// The DDIM (eta 0) grid of `steps` times and, per time, alpha, sigma and the input scale
// c_in: out (steps, 4). A peer replays the same run from these.
static int model_grid(const td_score_model *m, int steps, double *out) {
    const td_sde *sde = &m->sde;
    td_sampler_options o = td_sampler_options_default();
    double *t = malloc((size_t)steps * sizeof *t);
    if (!t) return td_fail(TD_ERR_NOMEM, "no memory for the grid");
    td_status st = td_sde_time_grid(sde, steps, o.grid, t);
    for (int k = 0; st == TD_OK && k < steps; k++) {
        double a = td_sde_alpha(sde, t[k]), s = td_sde_sigma(sde, t[k]);
        out[4 * k] = t[k];
        out[4 * k + 1] = a;
        out[4 * k + 2] = s;
        out[4 * k + 3] = m->net.cfg.scale_input ? 1.0 / sqrt(a * a + s * s) : 1.0;
    }
    free(t);
    return st;
}

EXPORT int bench_model_grid(const bench_model *h, int steps, double *out) { return model_grid(&h->m, steps, out); }

// x (n, D) holds prior draws on entry and the DDIM samples on return.
EXPORT int bench_model_ddim(bench_model *h, float *x, int n, int steps) {
    td_score_net_ctx ctx = {&h->m.net, &h->m.params, &h->w, -1, NULL};
    td_denoiser d = td_score_net_denoiser(&ctx);
    td_rng rng;
    td_rng_seed(&rng, 1, 1);   // DDIM with eta 0 draws nothing
    return td_sampler_run(TD_SAMPLER_DDIM, &h->m.sde, &d, &rng, x, n, h->m.net.cfg.data_dim, steps,
                          NULL, NULL, NULL);
}

// ---- the shipped digit model: latent diffusion, guidance, the VAE decoder -------------------
typedef struct {
    td_digit_vae vae;
    td_latent_diffusion ld;
    td_score_net_work work;   // guidance rows: 3 passes x up to 64 digits, as td_latent_generate
    td_digit_vae_work vw;
} bench_digits;

EXPORT void bench_digits_free(bench_digits *h) {
    if (!h) return;
    td_digit_vae_work_free(&h->vw);
    td_score_net_work_free(&h->work);
    td_latent_free(&h->ld);
    td_digit_vae_free(&h->vae);
    free(h);
}

// The two checkpoints' bytes (borrowed during the call); NULL on failure (bench_error).
EXPORT bench_digits *bench_digits_load(const uint8_t *latent, int latent_len, const uint8_t *vae, int vae_len) {
    bench_digits *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    td_status st = latent_len < 0 || vae_len < 0 ? td_fail(TD_ERR_ARG, "negative length")
                                                 : td_digit_vae_load_mem(&h->vae, vae, (size_t)vae_len);
    if (st == TD_OK) st = td_latent_load_mem(&h->ld, latent, (size_t)latent_len, &h->vae);
    if (st == TD_OK) st = td_score_net_work_init(&h->work, &h->ld.model.net, 192);
    if (st == TD_OK) st = td_digit_vae_work_init(&h->vw, &h->vae, 64);
    if (st != TD_OK) {
        bench_digits_free(h);
        return NULL;
    }
    return h;
}

// The score net's sizes as bench_model_info gives them, then out[12..14] = the decoder's
// hidden width, depth and output width; *time_scale = the embedding's time scale; the
// return value is the latent scale.
EXPORT float bench_digits_info(const bench_digits *h, int *out, float *time_scale) {
    *time_scale = model_info(&h->ld.model, out);
    out[12] = h->vae.cfg.hidden;
    out[13] = h->vae.cfg.depth;
    out[14] = h->vae.dec_out;
    return h->ld.latent_scale;
}

// Tensor `name` of the score net (vae 0) or of the VAE (vae 1, e.g. "dec.0.weight"), or NULL.
EXPORT float *bench_digits_tensor(const bench_digits *h, int vae, const char *name) {
    const td_params *p = vae ? &h->vae.params : &h->ld.model.params;
    const td_param_tensor *t = td_params_find(p, name);
    return t ? p->data + t->offset : NULL;
}

EXPORT int bench_digits_grid(const bench_digits *h, int steps, double *out) {
    return model_grid(&h->ld.model, steps, out);
}

// What td_latent_generate does, from prior draws the caller gives (so a peer can start
// from the same ones): z (n, Z) prior draws, clobbered -> guided DDIM (eta 0) towards
// labels (n) and colours (n, 3) -> / latent_scale -> decoder -> out (n, 2352).
EXPORT int bench_digits_generate(bench_digits *h, float *z, const int *labels, const float *colours,
                                 float g_class, float g_colour, int n, int steps, float *out) {
    td_latent_guide g;
    td_status st = td_latent_guide_init(&g, &h->ld, &h->work, n, labels, colours, g_class, g_colour);
    if (st != TD_OK) return st;
    const int Z = h->vae.cfg.z_dim;
    td_denoiser den = td_latent_guide_denoiser(&g);
    td_rng rng;
    td_rng_seed(&rng, 1, 1);   // DDIM with eta 0 draws nothing
    st = td_sampler_run(TD_SAMPLER_DDIM, &h->ld.model.sde, &den, &rng, z, n, Z, steps, NULL, NULL, NULL);
    td_latent_guide_free(&g);
    if (st != TD_OK) return st;
    const float inv = 1.0f / h->ld.latent_scale;
    for (size_t i = 0; i < (size_t)n * (size_t)Z; i++) z[i] *= inv;
    return td_digit_vae_decode(&h->vae, &h->vw, z, NULL, NULL, n, out);
}

// ---- the machine's limit -------------------------------------------------------------------
// 6 independent multiply chains feeding 6 add chains: 12 vector ops, 48 flops an iteration,
// with latency hidden (3-4 cycles, 2 ports each) and 13 registers live (V8 has about 15).
// `m` comes from JS (1.0f), so nothing folds. Returns a sum so nothing is dead.
EXPORT float bench_peak(int iters, float m) {
    v128_t vm = wasm_f32x4_splat(m);
    v128_t p0 = wasm_f32x4_splat(1.0f), p1 = wasm_f32x4_splat(2.0f), p2 = wasm_f32x4_splat(3.0f);
    v128_t p3 = wasm_f32x4_splat(4.0f), p4 = wasm_f32x4_splat(5.0f), p5 = wasm_f32x4_splat(6.0f);
    v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0;
    for (int i = 0; i < iters; i++) {
        p0 = wasm_f32x4_mul(p0, vm), s0 = wasm_f32x4_add(s0, p0);
        p1 = wasm_f32x4_mul(p1, vm), s1 = wasm_f32x4_add(s1, p1);
        p2 = wasm_f32x4_mul(p2, vm), s2 = wasm_f32x4_add(s2, p2);
        p3 = wasm_f32x4_mul(p3, vm), s3 = wasm_f32x4_add(s3, p3);
        p4 = wasm_f32x4_mul(p4, vm), s4 = wasm_f32x4_add(s4, p4);
        p5 = wasm_f32x4_mul(p5, vm), s5 = wasm_f32x4_add(s5, p5);
    }
    v128_t s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3)),
                              wasm_f32x4_add(s4, s5));
    return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 3);
}
