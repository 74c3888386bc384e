// digit_vae.c - the coloured-digit VAEs: encoder, reparameterised draw, colour x ink
// decoder, the (Bernoulli ink, Gaussian colour) ELBO and its gradient, sampling,
// checkpoints.
#include "models/digit_vae.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/vae.h"

#define LOG_2PI 1.8378770664093453

td_digit_vae_config td_digit_vae_defaults(td_digit_vae_kind kind) {
    // sigma_color 0.01: about 1 delta-E unit of colour noise, well under the target of 5,
    // for a few nats of code. beta: the latent-diffusion VAE is a compressor first
    // (Rombach et al. weight their KL term by ~1e-6): 0.01 keeps its latent near unit
    // scale while letting it hold the stroke detail that makes decoded strokes sharp
    // (measured on reconstructions of test digits, the 16 brightest ink values average
    // 0.92 with beta 1 and 0.95 with beta 0.1, against the data's 0.99). The style model
    // keeps beta near 1: there the KL pressure is what pushes the class out of the code.
    // Code size and beta trade class against style (measured with `thinkdiff eval
    // digits`, 500 test digits re-rendered into other classes, 4,000 steps; accuracy /
    // slant r / stroke weight r; targets 95% / 0.8 / 0.7): beta 1 with Z 8: 81% / 0.90 /
    // 0.82; Z 6: 87% / 0.89 / 0.81; Z 5: 91% / 0.88 / 0.75; Z 4: 98% / 0.83 / 0.70. Z 4
    // with beta 0.6: 92% / 0.86 / 0.81; with beta 0.9: 96% / 0.83 / 0.73 (width 512).
    // (Z 8 with beta 2.5: 98% / 0.82 / 0.55.) No colour head here.
    // Widths: 512 for both made 2.7 MB files each, over the page's transfer budget
    // (issue 5: 5 MB in all). The VAE at 256 lost its colour (6,000 steps: reconstruction
    // delta-E 12.3, guided latent delta-E 5.9 against the target 5); at 384 it needs 8,000
    // steps to beat 512's reconstruction (delta-E 4.9 vs 5.9; 1.84 MB). The style model at
    // 256 (1.09 MB) keeps more of the class in its code, so it takes a larger beta
    // (4,000 steps, seed 2): 0.9: 88% / 0.86 / 0.83; 1.3: 93% / 0.84 / 0.76; 1.45: 97% /
    // 0.85 / 0.74, the shipped one; 1.55: 97% / 0.84 / 0.67 (one seed each: noisy steps).
    const int cond = kind == TD_DIGIT_VAE_COND;
    td_digit_vae_config c = {kind, cond ? 4 : 16, cond ? 256 : 384, 2, 0.01f, cond ? 1.45f : 0.01f};
    return c;
}

static td_status validate(const td_digit_vae_config *c) {
    if (c->kind != TD_DIGIT_VAE_UNCOND && c->kind != TD_DIGIT_VAE_COND)
        return td_fail(TD_ERR_ARG, "unknown digit VAE kind %d", (int)c->kind);
    if (c->z_dim < 1 || c->z_dim > TD_DIGIT_VAE_MAX_Z)
        return td_fail(TD_ERR_ARG, "digit VAE latent size must be 1..%d, got %d", TD_DIGIT_VAE_MAX_Z, c->z_dim);
    if (c->hidden < 1 || c->hidden > TD_DIGIT_VAE_MAX_HIDDEN)
        return td_fail(TD_ERR_ARG, "digit VAE width must be 1..%d, got %d", TD_DIGIT_VAE_MAX_HIDDEN, c->hidden);
    if (c->depth < 1 || c->depth > 8)
        return td_fail(TD_ERR_ARG, "digit VAE depth must be 1..8, got %d", c->depth);
    if (!(c->sigma_color > 0.0f) || !isfinite(c->sigma_color))
        return td_fail(TD_ERR_ARG, "digit VAE sigma_color must be positive and finite");
    if (!(c->beta > 0.0f) || !isfinite(c->beta))
        return td_fail(TD_ERR_ARG, "digit VAE beta must be positive and finite");
    return TD_OK;
}

td_status td_digit_vae_init(td_digit_vae *vae, const td_digit_vae_config *cfg, td_rng *rng) {
    memset(vae, 0, sizeof *vae);
    td_params_init(&vae->params);
    if (!cfg) return td_fail(TD_ERR_ARG, "td_digit_vae_init needs a config");
    td_status st = validate(cfg);
    if (st != TD_OK) return st;
    vae->cfg = *cfg;
    int cond = cfg->kind == TD_DIGIT_VAE_COND;
    vae->enc_in = TD_MNIST_PIXELS + (cond ? TD_MNIST_CLASSES : 3);
    vae->dec_in = cfg->z_dim + (cond ? TD_MNIST_CLASSES : 0);
    vae->dec_out = TD_MNIST_PIXELS + (cond ? 0 : 3);
    td_mlp_config enc = {vae->enc_in, cfg->hidden, 2 * cfg->z_dim, cfg->depth, TD_ACT_SILU, 0};
    td_mlp_config dec = {vae->dec_in, cfg->hidden, vae->dec_out, cfg->depth, TD_ACT_SILU, 0};
    st = td_mlp_init(&vae->enc, &vae->params, "enc", &enc);
    if (st == TD_OK) st = td_mlp_init(&vae->dec, &vae->params, "dec", &dec);
    if (st == TD_OK) st = td_params_alloc(&vae->params);
    if (st == TD_OK && rng) st = td_params_init_weights(&vae->params, rng);
    if (st != TD_OK) td_digit_vae_free(vae);
    return st;
}

void td_digit_vae_free(td_digit_vae *vae) {
    if (!vae) return;
    td_params_free(&vae->params);
    memset(vae, 0, sizeof *vae);
    td_params_init(&vae->params);
}

td_status td_digit_vae_work_init(td_digit_vae_work *w, const td_digit_vae *vae, int max_batch) {
    memset(w, 0, sizeof *w);
    if (max_batch <= 0) return td_fail(TD_ERR_ARG, "max_batch must be positive, got %d", max_batch);
    size_t B = (size_t)max_batch, Z = (size_t)vae->cfg.z_dim;
    size_t row = (size_t)vae->enc_in + TD_MNIST_PIXELS + 3 + 4 * Z + 3 * Z + 2 * (size_t)vae->dec_in +
                 2 * (size_t)vae->dec_out;
    size_t total;
    if (td_mul_size(B, row, &total) != 0 || total > TD_PARAMS_MAX_COUNT)
        return td_fail(TD_ERR_LIMIT, "a digit VAE workspace for %d rows is too large", max_batch);
    w->mem = calloc(total, sizeof(float));
    if (!w->mem) return td_fail(TD_ERR_NOMEM, "out of memory for a digit VAE workspace");
    float *q = w->mem;
    w->in = q;      q += B * (size_t)vae->enc_in;
    w->ink = q;     q += B * TD_MNIST_PIXELS;
    w->colour = q;  q += B * 3;
    w->h = q;       q += B * 2 * Z;
    w->dh = q;      q += B * 2 * Z;
    w->z = q;       q += B * Z;
    w->eps = q;     q += B * Z;
    w->dz = q;      q += B * Z;
    w->dec_in = q;  q += B * (size_t)vae->dec_in;
    w->ddec_in = q; q += B * (size_t)vae->dec_in;
    w->y = q;       q += B * (size_t)vae->dec_out;
    w->dy = q;
    w->max_batch = max_batch;
    td_status st = td_mlp_work_init(&w->enc, &vae->enc, max_batch);
    if (st == TD_OK) st = td_mlp_work_init(&w->dec, &vae->dec, max_batch);
    if (st != TD_OK) td_digit_vae_work_free(w);
    return st;
}

void td_digit_vae_work_free(td_digit_vae_work *w) {
    if (!w) return;
    td_mlp_work_free(&w->enc);
    td_mlp_work_free(&w->dec);
    free(w->mem);
    memset(w, 0, sizeof *w);
}

void td_digit_ink(const float *rgb, int n, float *ink) {
    for (int i = 0; i < n; i++) {
        const float *x = rgb + (size_t)i * TD_DIGIT_FLOATS;
        float *o = ink + (size_t)i * TD_MNIST_PIXELS, peak = 0.0f;
        for (int p = 0; p < TD_MNIST_PIXELS; p++) {
            float m = fmaxf(x[3 * p], fmaxf(x[3 * p + 1], x[3 * p + 2]));
            o[p] = m;
            peak = fmaxf(peak, m);
        }
        // Dividing by the peak removes the colour's brightness (a dark red and a white
        // digit give the same ink map); the black image guard keeps zeros as zeros.
        float inv = peak > 1e-6f ? 1.0f / peak : 0.0f;
        for (int p = 0; p < TD_MNIST_PIXELS; p++) o[p] *= inv;
    }
}

static float sigmoidf(float v) { return 1.0f / (1.0f + expf(-v)); }

static td_status check_rows(const td_digit_vae *vae, const td_digit_vae_work *w, int B,
                            const int *labels, const float *colours) {
    if (B <= 0) return td_fail(TD_ERR_ARG, "batch must be positive, got %d", B);
    if (B > w->max_batch) return td_fail(TD_ERR_LIMIT, "batch %d exceeds the workspace's %d rows", B, w->max_batch);
    if (vae->cfg.kind != TD_DIGIT_VAE_COND) return TD_OK;
    if (!labels || !colours) return td_fail(TD_ERR_ARG, "the conditional digit VAE needs labels and colours");
    for (int b = 0; b < B; b++)
        if (labels[b] < 0 || labels[b] >= TD_MNIST_CLASSES)
            return td_fail(TD_ERR_ARG, "digit class must be 0..9, got %d", labels[b]);
    return TD_OK;
}

// The two parts of an image x = colour (x) ink (data/digits.h makes every digit so):
// ink (B, 784) = td_digit_ink(x), peak 1, and colour (B, 3) = the least-squares c of
// x ~ c ink, so that colour (x) ink gives x back exactly (black stays black).
static void split_image(const float *x, int B, float *ink, float *colour) {
    td_digit_ink(x, B, ink);
    for (int b = 0; b < B; b++) {
        const float *xb = x + (size_t)b * TD_DIGIT_FLOATS, *g = ink + (size_t)b * TD_MNIST_PIXELS;
        double num[3] = {0.0, 0.0, 0.0}, den = 0.0;
        for (int p = 0; p < TD_MNIST_PIXELS; p++) {
            for (int ch = 0; ch < 3; ch++) num[ch] += (double)xb[3 * p + ch] * (double)g[p];
            den += (double)g[p] * (double)g[p];
        }
        for (int ch = 0; ch < 3; ch++) colour[3 * b + ch] = den > 0.0 ? (float)(num[ch] / den) : 0.0f;
    }
}

// The encoder's input: the image split as [ink map, colour] (unconditional; the same
// information as the RGB values, with the colour read off exactly instead of left for the
// MLP to estimate) or [ink map, one_hot(class)] (conditional). Leaves the image's ink
// and colour in w for the likelihood.
static const float *encoder_input(const td_digit_vae *vae, td_digit_vae_work *w, const float *x,
                                  const int *labels, int B) {
    split_image(x, B, w->ink, w->colour);
    const int cond = vae->cfg.kind == TD_DIGIT_VAE_COND;
    const size_t Din = (size_t)vae->enc_in;
    for (int b = 0; b < B; b++) {
        float *row = w->in + (size_t)b * Din, *tail = row + TD_MNIST_PIXELS;
        memcpy(row, w->ink + (size_t)b * TD_MNIST_PIXELS, TD_MNIST_PIXELS * sizeof(float));
        if (cond) {
            memset(tail, 0, TD_MNIST_CLASSES * sizeof(float));
            tail[labels[b]] = 1.0f;
        } else {
            memcpy(tail, w->colour + 3 * (size_t)b, 3 * sizeof(float));
        }
    }
    return w->in;
}

// dec_in (B, dec_in) = [z, one_hot(label)] (conditional) or z.
static void decoder_input(const td_digit_vae *vae, td_digit_vae_work *w, const float *z, const int *labels, int B) {
    const int Z = vae->cfg.z_dim, Din = vae->dec_in;
    for (int b = 0; b < B; b++) {
        float *row = w->dec_in + (size_t)b * (size_t)Din;
        memcpy(row, z + (size_t)b * (size_t)Z, (size_t)Z * sizeof(float));
        if (vae->cfg.kind == TD_DIGIT_VAE_COND) {
            memset(row + Z, 0, TD_MNIST_CLASSES * sizeof(float));
            row[Z + labels[b]] = 1.0f;
        }
    }
}

// Decoder logits y (B, dec_out) -> image x (B, 2352) = colour (x) sigmoid(ink): the
// decoder's mean, as it is (no rescaling; see the likelihood below).
static void render(const td_digit_vae *vae, const float *y, const float *colours, int B, float *x) {
    int cond = vae->cfg.kind == TD_DIGIT_VAE_COND;
    for (int b = 0; b < B; b++) {
        const float *yb = y + (size_t)b * (size_t)vae->dec_out;
        float c[3];
        for (int ch = 0; ch < 3; ch++) c[ch] = cond ? colours[3 * b + ch] : sigmoidf(yb[ch]);
        const float *ink = cond ? yb : yb + 3;
        float *xb = x + (size_t)b * TD_DIGIT_FLOATS;
        for (int p = 0; p < TD_MNIST_PIXELS; p++) {
            float s = sigmoidf(ink[p]);
            for (int ch = 0; ch < 3; ch++) xb[3 * p + ch] = c[ch] * s;
        }
    }
}

// log(1 + e^v) without overflow.
static double softplus(double v) { return v > 0.0 ? v + log1p(exp(-v)) : log1p(exp(v)); }

// ---- the loss ---------------------------------------------------------------------------

td_status td_digit_vae_loss(td_digit_vae *vae, td_digit_vae_work *w, const float *x,
                            const int *labels, const float *colours, const float *eps, int B,
                            int backward, td_digit_vae_terms *terms) {
    td_status st = check_rows(vae, w, B, labels, colours);
    if (st != TD_OK) return st;
    const int Z = vae->cfg.z_dim, Dout = vae->dec_out, cond = vae->cfg.kind == TD_DIGIT_VAE_COND;
    td_params *p = &vae->params;

    // x -> h (B, 2Z) = [mu, logvar];  z = mu + e^(logvar/2) eps
    const float *in = encoder_input(vae, w, x, labels, B);
    st = backward ? td_mlp_forward_train(&vae->enc, p, &w->enc, in, w->h, B)
                  : td_mlp_forward(&vae->enc, p, &w->enc, in, w->h, B);
    if (st != TD_OK) return st;
    for (int b = 0; b < B; b++) {
        float *hb = w->h + (size_t)b * (size_t)(2 * Z);
        for (int j = 0; j < Z; j++) {
            hb[Z + j] = fminf(fmaxf(hb[Z + j], -30.0f), 20.0f);   // keep e^logvar finite
            w->z[b * Z + j] = hb[j] + expf(0.5f * hb[Z + j]) * eps[b * Z + j];
        }
    }
    // [z, class] (B, dec_in) -> y (B, dec_out) logits
    decoder_input(vae, w, w->z, labels, B);
    st = backward ? td_mlp_forward_train(&vae->dec, p, &w->dec, w->dec_in, w->y, B)
                  : td_mlp_forward(&vae->dec, p, &w->dec, w->dec_in, w->y, B);
    if (st != TD_OK) return st;

    // log p(x|z) = sum_p [g_p log s_p + (1 - g_p) log(1 - s_p)]        ink g, s = sigmoid(l)
    //            + sum_ch log N(c_ch; sigmoid(k_ch), sigma_color^2)     colour c (unconditional)
    // d(-log p)/dl_p = s_p - g_p;  d(-log p)/dk_ch = (c^_ch - c_ch) / sigma^2 * c^ (1 - c^).
    const float sig = vae->cfg.sigma_color, inv_var = 1.0f / (sig * sig), scale = 1.0f / (float)B;
    const double log_norm = -0.5 * 3.0 * (LOG_2PI + 2.0 * log((double)sig));
    double rec = 0.0, kl = 0.0;
    if (backward) memset(w->dh, 0, (size_t)B * (size_t)(2 * Z) * sizeof(float));
    for (int b = 0; b < B; b++) {
        const float *yb = w->y + (size_t)b * (size_t)Dout, *g = w->ink + (size_t)b * TD_MNIST_PIXELS;
        float *dyb = w->dy + (size_t)b * (size_t)Dout;
        const float *ink = cond ? yb : yb + 3;
        float *dink = cond ? dyb : dyb + 3;
        double bern = 0.0;
        for (int q = 0; q < TD_MNIST_PIXELS; q++) {
            bern -= softplus((double)ink[q]) - (double)g[q] * (double)ink[q];
            dink[q] = scale * (sigmoidf(ink[q]) - g[q]);
        }
        rec += bern;
        if (!cond) {
            double sq = 0.0;
            for (int ch = 0; ch < 3; ch++) {
                float c = sigmoidf(yb[ch]), r = c - w->colour[3 * b + ch];
                sq += (double)r * (double)r;
                dyb[ch] = scale * inv_var * r * c * (1.0f - c);
            }
            rec += log_norm - 0.5 * (double)inv_var * sq;
        }
        const float *hb = w->h + (size_t)b * (size_t)(2 * Z);
        float *dhb = w->dh + (size_t)b * (size_t)(2 * Z);
        kl += td_gauss_kl_std(hb, hb + Z, Z, scale * vae->cfg.beta, backward ? dhb : NULL, backward ? dhb + Z : NULL);
    }
    if (terms) {
        terms->rec = rec / B;
        terms->kl = kl / B;
        terms->elbo = terms->rec - terms->kl;
    }
    if (!backward) return TD_OK;

    // Back through the decoder to [z, class], then through z = mu + e^(lv/2) eps.
    st = td_mlp_backward(&vae->dec, p, &w->dec, w->dy, w->ddec_in);
    if (st != TD_OK) return st;
    for (int b = 0; b < B; b++) {
        const float *hb = w->h + (size_t)b * (size_t)(2 * Z);
        float *dhb = w->dh + (size_t)b * (size_t)(2 * Z);
        for (int j = 0; j < Z; j++) {
            float dz = w->ddec_in[(size_t)b * (size_t)vae->dec_in + (size_t)j];
            dhb[j] += dz;
            dhb[Z + j] += dz * 0.5f * expf(0.5f * hb[Z + j]) * eps[b * Z + j];
        }
    }
    return td_mlp_backward(&vae->enc, p, &w->enc, w->dh, NULL);
}

// ---- encoder, decoder, sampling ---------------------------------------------------------

td_status td_digit_vae_encode(td_digit_vae *vae, td_digit_vae_work *w, const float *x, const int *labels,
                              int n, float *mu, float *logvar) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "nothing to encode: n = %d", n);
    const int Z = vae->cfg.z_dim, cond = vae->cfg.kind == TD_DIGIT_VAE_COND;
    if (cond && !labels) return td_fail(TD_ERR_ARG, "the conditional digit VAE encodes a digit given its class");
    for (int i = 0; cond && i < n; i++)
        if (labels[i] < 0 || labels[i] >= TD_MNIST_CLASSES)
            return td_fail(TD_ERR_ARG, "digit class must be 0..9, got %d", labels[i]);
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        const float *in = encoder_input(vae, w, x + (size_t)start * TD_DIGIT_FLOATS, cond ? labels + start : NULL, B);
        td_status st = td_mlp_forward(&vae->enc, &vae->params, &w->enc, in, w->h, B);
        if (st != TD_OK) return st;
        for (int b = 0; b < B; b++) {
            size_t row = (size_t)(start + b) * (size_t)Z;
            const float *hb = w->h + (size_t)b * (size_t)(2 * Z);
            memcpy(mu + row, hb, (size_t)Z * sizeof(float));
            if (logvar) memcpy(logvar + row, hb + Z, (size_t)Z * sizeof(float));
        }
    }
    return TD_OK;
}

td_status td_digit_vae_decode(td_digit_vae *vae, td_digit_vae_work *w, const float *z,
                              const int *labels, const float *colours, int n, float *x) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "nothing to decode: n = %d", n);
    const int Z = vae->cfg.z_dim, cond = vae->cfg.kind == TD_DIGIT_VAE_COND;
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        const int *lb = cond && labels ? labels + start : NULL;
        const float *cb = cond && colours ? colours + 3 * (size_t)start : NULL;
        td_status st = check_rows(vae, w, B, lb, cb);
        if (st != TD_OK) return st;
        decoder_input(vae, w, z + (size_t)start * (size_t)Z, lb, B);
        st = td_mlp_forward(&vae->dec, &vae->params, &w->dec, w->dec_in, w->y, B);
        if (st != TD_OK) return st;
        render(vae, w->y, cb, B, x + (size_t)start * TD_DIGIT_FLOATS);
    }
    return TD_OK;
}

td_status td_digit_vae_sample(td_digit_vae *vae, td_digit_vae_work *w, td_rng *rng,
                              const int *labels, const float *colours, int n, float *out) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "the number of samples must be positive, got %d", n);
    const int Z = vae->cfg.z_dim;
    float *z = malloc((size_t)n * (size_t)Z * sizeof(float));
    if (!z) return td_fail(TD_ERR_NOMEM, "out of memory for %d latent draws", n);
    td_rng_fill_normal(rng, z, (size_t)n * (size_t)Z);
    td_status st = td_digit_vae_decode(vae, w, z, labels, colours, n, out);
    free(z);
    return st;
}

// ---- training ---------------------------------------------------------------------------

td_status td_digit_vae_trainer_init(td_digit_vae_trainer *tr, td_digit_vae *vae, const td_mnist *data,
                                    int batch, int max_shift, uint64_t seed) {
    memset(tr, 0, sizeof *tr);
    if (!vae || !data || data->count <= 0) return td_fail(TD_ERR_ARG, "the digit VAE trainer needs a model and data");
    if (batch <= 0 || batch > 65536) return td_fail(TD_ERR_ARG, "batch must be 1..65536, got %d", batch);
    if (max_shift < 0 || max_shift > TD_DIGIT_MAX_SHIFT)
        return td_fail(TD_ERR_ARG, "shift must be 0..%d pixels, got %d", TD_DIGIT_MAX_SHIFT, max_shift);
    tr->vae = vae;
    tr->data = data;
    tr->batch = batch;
    tr->max_shift = max_shift;
    td_rng_seed(&tr->rng, seed, 7);
    size_t B = (size_t)batch;
    tr->x = malloc(B * TD_DIGIT_FLOATS * sizeof(float));
    tr->colours = malloc(B * 3 * sizeof(float));
    tr->eps = malloc(B * (size_t)vae->cfg.z_dim * sizeof(float));
    tr->labels = malloc(B * sizeof(int));
    td_status st = tr->x && tr->colours && tr->eps && tr->labels
                       ? TD_OK
                       : td_fail(TD_ERR_NOMEM, "out of memory for a digit VAE batch of %d", batch);
    if (st == TD_OK) st = td_digit_vae_work_init(&tr->work, vae, batch);
    if (st != TD_OK) td_digit_vae_trainer_free(tr);
    return st;
}

void td_digit_vae_trainer_free(td_digit_vae_trainer *tr) {
    if (!tr) return;
    td_digit_vae_work_free(&tr->work);
    free(tr->x);
    free(tr->colours);
    free(tr->eps);
    free(tr->labels);
    memset(tr, 0, sizeof *tr);
}

td_status td_digit_vae_trainer_step(void *ctx, td_params *p, double *loss) {
    td_digit_vae_trainer *tr = ctx;
    td_status st = td_digits_sample_batch(tr->data, TD_SPLIT_TRAIN, tr->batch, tr->max_shift, &tr->rng, tr->x,
                                          tr->labels, tr->colours);
    if (st != TD_OK) return st;
    td_rng_fill_normal(&tr->rng, tr->eps, (size_t)tr->batch * (size_t)tr->vae->cfg.z_dim);
    td_params_zero_grad(p);
    st = td_digit_vae_loss(tr->vae, &tr->work, tr->x, tr->labels, tr->colours, tr->eps, tr->batch, 1, &tr->last);
    if (st != TD_OK) return st;
    *loss = -(tr->last.rec - (double)tr->vae->cfg.beta * tr->last.kl);
    return TD_OK;
}

// ---- checkpoints ------------------------------------------------------------------------

td_status td_digit_vae_save(const td_digit_vae *vae, const char *path, const td_meta_list *extra,
                            td_dtype dtype) {
    static td_meta_list meta;   // 32 KiB: too big for a wasm stack
    const td_digit_vae_config *c = &vae->cfg;
    td_meta_init(&meta);
    td_status st = td_meta_add_int(&meta, "z_dim", c->z_dim);
    if (st == TD_OK) st = td_meta_add_int(&meta, "hidden", c->hidden);
    if (st == TD_OK) st = td_meta_add_int(&meta, "depth", c->depth);
    if (st == TD_OK) st = td_meta_add_double(&meta, "sigma_color", (double)c->sigma_color);
    if (st == TD_OK) st = td_meta_add_double(&meta, "beta", (double)c->beta);
    if (st == TD_OK) st = td_meta_add_all(&meta, extra);
    if (st != TD_OK) return st;
    const char *kind = c->kind == TD_DIGIT_VAE_COND ? TD_DIGIT_CVAE_KIND : TD_DIGIT_VAE_KIND;
    return td_checkpoint_save(path, &vae->params, kind, &meta, dtype);
}

td_status td_digit_vae_load(td_digit_vae *vae, const td_safetensors *f) {
    memset(vae, 0, sizeof *vae);
    td_params_init(&vae->params);
    const char *kind = td_checkpoint_kind(f);
    td_digit_vae_config c;
    c.kind = kind && strcmp(kind, TD_DIGIT_CVAE_KIND) == 0 ? TD_DIGIT_VAE_COND : TD_DIGIT_VAE_UNCOND;
    double sigma = 0.0, beta = 0.0;
    td_status st = td_checkpoint_check(f, c.kind == TD_DIGIT_VAE_COND ? TD_DIGIT_CVAE_KIND : TD_DIGIT_VAE_KIND);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "z_dim", 1, TD_DIGIT_VAE_MAX_Z, &c.z_dim);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "hidden", 1, TD_DIGIT_VAE_MAX_HIDDEN, &c.hidden);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "depth", 1, 8, &c.depth);
    if (st == TD_OK) st = td_checkpoint_meta_double(f, "sigma_color", 1e-6, 1e3, &sigma);
    if (st == TD_OK) st = td_checkpoint_meta_double(f, "beta", 1e-6, 1e6, &beta);
    if (st != TD_OK) return st;
    c.sigma_color = (float)sigma;
    c.beta = (float)beta;
    st = td_digit_vae_init(vae, &c, NULL);
    if (st == TD_OK && (st = td_checkpoint_read_params(f, &vae->params)) != TD_OK) td_digit_vae_free(vae);
    return st;
}

td_status td_digit_vae_load_mem(td_digit_vae *vae, const uint8_t *bytes, size_t len) {
    memset(vae, 0, sizeof *vae);
    td_params_init(&vae->params);
    td_safetensors f;
    td_status st = td_safetensors_parse(bytes, len, &f);
    if (st != TD_OK) return st;
    st = td_digit_vae_load(vae, &f);
    td_safetensors_free(&f);
    return st;
}

uint64_t td_digit_vae_fingerprint(const td_digit_vae *vae) {
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < vae->params.total; i++) {
        uint32_t bits;
        memcpy(&bits, &vae->params.data[i], sizeof bits);
        for (int k = 0; k < 4; k++) {
            h ^= (bits >> (8 * k)) & 0xffu;
            h *= 1099511628211ull;
        }
    }
    return h;
}
