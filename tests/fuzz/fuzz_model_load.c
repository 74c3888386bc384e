// fuzz_model_load.c - libFuzzer target: every model loader on arbitrary bytes.
//
// The bytes are parsed once as safetensors; then each loader (score model, VAE,
// HVAE, 1-D map, classifier, digit VAE, latent diffusion) gets its chance. Each
// must refuse what does not fit (family, version, sizes, shapes) with a status.
// A model a loader accepts must then be usable: one small forward pass with
// buffers sized from the model's own config, so a loader that accepts sizes its
// tensors do not match shows up as an ASan report rather than a silent pass.
#include <stdint.h>
#include <stdlib.h>

#include "io/safetensors.h"
#include "models/classifier.h"
#include "models/digit_vae.h"
#include "models/hvae.h"
#include "models/latent_diffusion.h"
#include "models/map1d.h"
#include "models/score_model.h"
#include "models/vae.h"

enum { B = 2 };

static void try_score_model(const td_safetensors *st) {
    td_score_model m;
    if (td_score_model_load(&m, st) != TD_OK) return;
    const td_score_net_config *c = &m.net.cfg;
    size_t d = (size_t)c->data_dim;
    float *x = calloc(B * d, sizeof(float)), *out = calloc(B * d, sizeof(float));
    float *cond = c->cond_dim > 0 ? calloc(B * (size_t)c->cond_dim, sizeof(float)) : NULL;
    float t[B] = {0.5f, 0.01f};
    td_score_net_work w;
    if (x && out && (c->cond_dim == 0 || cond) && td_score_net_work_init(&w, &m.net, B) == TD_OK) {
        td_score_net_forward(&m.net, &m.params, &w, x, t, NULL, cond, out, B);
        td_score_net_work_free(&w);
    }
    free(x);
    free(out);
    free(cond);
    td_score_model_free(&m);
}

static void try_vae(const td_safetensors *st) {
    td_vae v;
    if (td_vae_load(&v, st) != TD_OK) return;
    td_vae_work w;
    td_rng rng;
    td_rng_seed(&rng, 1, 1);
    float *out = calloc(B * (size_t)v.cfg.x_dim, sizeof(float));
    if (out && td_vae_work_init(&w, &v, B) == TD_OK) {
        td_vae_sample(&v, &w, &rng, out, B, 1);
        td_vae_work_free(&w);
    }
    free(out);
    td_vae_free(&v);
}

static void try_hvae(const td_safetensors *st) {
    td_hvae h;
    if (td_hvae_load(&h, st) != TD_OK) return;
    td_hvae_work w;
    td_rng rng;
    td_rng_seed(&rng, 1, 1);
    float *out = calloc(B * (size_t)h.cfg.x_dim, sizeof(float));
    if (out && td_hvae_work_init(&w, &h, B) == TD_OK) {
        td_hvae_sample(&h, &w, &rng, out, B, 1, NULL);
        td_hvae_work_free(&w);
    }
    free(out);
    td_hvae_free(&h);
}

static void try_map1d(const td_safetensors *st) {
    td_map1d m;
    td_mix1d target;
    if (td_map1d_load(&m, &target, st) != TD_OK) return;
    float x[B] = {-1.0f, 2.0f}, y[B];
    td_map1d_eval(&m, x, y, B);
    td_map1d_free(&m);
}

static void try_classifier(const td_safetensors *st) {
    td_classifier c;
    if (td_classifier_load(&c, st) != TD_OK) return;
    td_classifier_work w;
    float *x = calloc(28 * 28 * 3, sizeof(float)), logits[10];
    if (x && td_classifier_work_init(&w, &c, 1, 0) == TD_OK) {
        td_classifier_forward(&c, &w, x, 1, logits, NULL);
        td_classifier_work_free(&w);
    }
    free(x);
    td_classifier_free(&c);
}

static void try_digit_vae(const td_safetensors *st) {
    td_digit_vae v;
    if (td_digit_vae_load(&v, st) != TD_OK) return;
    td_digit_vae_work w;
    td_rng rng;
    td_rng_seed(&rng, 1, 1);
    int label = 3;
    float colour[3] = {1.0f, 0.5f, 0.0f};
    float *out = calloc(TD_DIGIT_FLOATS, sizeof(float));
    if (out && td_digit_vae_work_init(&w, &v, 1) == TD_OK) {
        td_digit_vae_sample(&v, &w, &rng, &label, colour, 1, out);
        td_digit_vae_work_free(&w);
    }
    free(out);
    td_digit_vae_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    td_safetensors st;
    if (td_safetensors_parse(data, size, &st) == TD_OK) {
        try_score_model(&st);
        try_vae(&st);
        try_hvae(&st);
        try_map1d(&st);
        try_classifier(&st);
        try_digit_vae(&st);
    }
    td_safetensors_free(&st);
    // The latent model loads from bytes (and checks its VAE, skipped with NULL).
    td_latent_diffusion ld;
    if (td_latent_load_mem(&ld, data, size, NULL) == TD_OK) td_latent_free(&ld);
    return 0;
}
