// api_digits.c - the page's binding for the coloured digits (section 5): the digit VAE,
// latent diffusion with per-attribute guidance, style from the conditional VAE, and the
// evaluation classifier, loaded part by part from checkpoint bytes into one handle.
//
// One handle (TD_H_DIGITS) holds up to four parts, each loaded when the page first needs
// it (the files are large and fetched lazily):
//   part 0  digit_vae     the unconditional VAE: latent diffusion decodes through it
//   part 1  digit_latent  latent diffusion; needs part 0 (checked by fingerprint)
//   part 2  digit_cvae    the class-and-colour-conditional VAE: style codes
//   part 3  classifier    names the class of a drawing (and of generated digits, in tests)
// The calls stay thin over models/: generation is td_latent_generate's recipe (same rng
// use, same chunking, so the page's digits are the CLI's), opened up to keep a trajectory.
// Same rules as api.c: negative status codes with td_wasm_last_error(), caller-owned
// buffers, counts checked first.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "diffusion/parameterization.h"
#include "diffusion/samplers.h"
#include "io/image_read.h"
#include "io/safetensors.h"
#include "models/classifier.h"
#include "models/digit_vae.h"
#include "models/latent_diffusion.h"
#include "models/style.h"
#include "wasm/api_util.h"
#include "wasm/handles.h"

enum {
    PART_VAE = 0,
    PART_LATENT,
    PART_CVAE,
    PART_CLASSIFIER,
    PART_COUNT,
    NET_ROWS = 192,       // td_latent_generate's chunk: 64 digits x 3 guidance passes
    DECODE_BATCH = 64,
    MAX_DIGITS = 1024,    // digits in one call
    MAX_FRAMES = 256,     // trajectory frames decoded in one call
    MAX_DRAWING = 2048,   // side of a drawing handed to the framing step
    MAX_STEPS = 1000,
};

static const char *const PART_NAMES[PART_COUNT] = {"digit VAE", "latent diffusion model",
                                                   "conditional digit VAE", "classifier"};

typedef struct {
    int have[PART_COUNT];
    td_digit_vae vae, cvae;
    td_latent_diffusion ld;
    td_classifier clf;
} digits_obj;

static void drop(digits_obj *d, int part) {
    if (!d->have[part]) return;
    switch (part) {
    case PART_VAE: td_digit_vae_free(&d->vae); break;
    case PART_LATENT: td_latent_free(&d->ld); break;
    case PART_CVAE: td_digit_vae_free(&d->cvae); break;
    case PART_CLASSIFIER: td_classifier_free(&d->clf); break;
    }
    d->have[part] = 0;
}

static void digits_destroy(void *p) {
    digits_obj *d = p;
    for (int i = 0; i < PART_COUNT; i++) drop(d, i);
    free(d);
}

// An empty set of digit models.
int td_wasm_digits_create(void) {
    digits_obj *d = calloc(1, sizeof *d);
    if (!d) return td_fail(TD_ERR_NOMEM, "out of memory for the digit models");
    return td_handle_put(TD_H_DIGITS, d, digits_destroy);
}

int td_wasm_digits_free(int h) { return td_handle_free(h, TD_H_DIGITS); }

// The handle's object with `part` loaded, or NULL with a reason.
static digits_obj *with_part(int h, int part) {
    digits_obj *d = td_handle_get(h, TD_H_DIGITS);
    if (d && part >= 0 && !d->have[part]) {
        td_fail(TD_ERR_ARG, "the %s is not loaded", PART_NAMES[part]);
        return NULL;
    }
    return d;
}

// ---- loading ------------------------------------------------------------------------------

static td_status load_classifier(td_classifier *clf, const uint8_t *bytes, size_t len) {
    td_safetensors st;
    td_status rc = td_safetensors_parse(bytes, len, &st);
    if (rc) return rc;
    rc = td_classifier_load(clf, &st);
    td_safetensors_free(&st);
    return rc;
}

static td_status load_vae_kind(td_digit_vae *vae, const uint8_t *bytes, size_t len, td_digit_vae_kind kind) {
    td_status rc = td_digit_vae_load_mem(vae, bytes, len);
    if (rc) return rc;
    if (vae->cfg.kind != kind) {
        td_digit_vae_free(vae);
        return td_fail(TD_ERR_FORMAT, "this is the %s digit VAE, not the %s one",
                       kind == TD_DIGIT_VAE_COND ? "unconditional" : "conditional",
                       kind == TD_DIGIT_VAE_COND ? "conditional" : "unconditional");
    }
    return TD_OK;
}

// Load `part` (0 vae, 1 latent, 2 cvae, 3 classifier) from checkpoint bytes, replacing
// what was there; returns its parameter count. Loading the VAE drops the latent model
// (it was checked against the old VAE). A failure leaves the part unloaded.
int td_wasm_digits_load(int h, int part, const uint8_t *bytes, int len) {
    digits_obj *d = td_handle_get(h, TD_H_DIGITS);
    if (!d) return TD_ERR_ARG;
    if (part < 0 || part >= PART_COUNT)
        return td_fail(TD_ERR_ARG, "part %d is not one of 0..%d (vae, latent, cvae, classifier)", part,
                       PART_COUNT - 1);
    int rc = td_wasm_check_buffer(bytes, "checkpoint");
    if (rc) return rc;
    if (len <= 0) return td_fail(TD_ERR_FORMAT, "the checkpoint is empty (%d bytes)", len);
    if (part == PART_LATENT && !d->have[PART_VAE])
        return td_fail(TD_ERR_ARG, "load the digit VAE before the latent diffusion model");
    drop(d, part);
    if (part == PART_VAE) drop(d, PART_LATENT);
    size_t n = (size_t)len, params = 0;
    switch (part) {
    case PART_VAE:
        if ((rc = load_vae_kind(&d->vae, bytes, n, TD_DIGIT_VAE_UNCOND)) == TD_OK) params = d->vae.params.total;
        break;
    case PART_LATENT:
        if ((rc = td_latent_load_mem(&d->ld, bytes, n, &d->vae)) == TD_OK) params = d->ld.model.params.total;
        break;
    case PART_CVAE:
        if ((rc = load_vae_kind(&d->cvae, bytes, n, TD_DIGIT_VAE_COND)) == TD_OK) params = d->cvae.params.total;
        break;
    default:
        if ((rc = load_classifier(&d->clf, bytes, n)) == TD_OK) params = d->clf.params.total;
        break;
    }
    if (rc) return rc;
    d->have[part] = 1;
    return params > 0x7fffffff ? 0x7fffffff : (int)params;
}

// Bit i set when part i is loaded.
int td_wasm_digits_parts(int h) {
    digits_obj *d = td_handle_get(h, TD_H_DIGITS);
    if (!d) return TD_ERR_ARG;
    int bits = 0;
    for (int i = 0; i < PART_COUNT; i++) bits |= d->have[i] << i;
    return bits;
}

// ---- generation -------------------------------------------------------------------------

// Scaled latents z (n, Z) -> images (n, 2352): undo latent_scale, then the VAE's decoder.
static td_status decode_latents(digits_obj *d, td_digit_vae_work *vw, const float *z, int n, float *scratch,
                                float *out) {
    const size_t count = (size_t)n * (size_t)d->vae.cfg.z_dim;
    const float inv = 1.0f / d->ld.latent_scale;
    for (size_t i = 0; i < count; i++) scratch[i] = z[i] * inv;
    return td_digit_vae_decode(&d->vae, vw, scratch, NULL, NULL, n, out);
}

// What the guided model predicts as the clean latent at trajectory slice k:
// slice k < steps sits at grid time t[k], x0 = (x_t - sigma eps) / alpha (Tweedie);
// the last slice is the sample itself.
static td_status predict_x0(const td_latent_diffusion *ld, const td_denoiser *den, const double *tgrid, int steps,
                            int k, const float *xt, int n, int Z, float *x0) {
    const size_t count = (size_t)n * (size_t)Z;
    if (k == steps) {
        memcpy(x0, xt, count * sizeof(float));
        return TD_OK;
    }
    const double t = tgrid[k];
    td_status rc = den->predict(den->ctx, xt, n, Z, t, x0);
    if (rc) return rc;
    return td_param_convert(den->kind, TD_PRED_X0, xt, x0, count, td_sde_alpha(&ld->model.sde, t),
                            td_sde_sigma(&ld->model.sde, t), x0);
}

// n digits from latent diffusion. labels (n) in 0..9, or NULL for no class; colours (n, 3)
// in [0, 1], or NULL for no colour; g_class and g_colour the guidance scales (latent_diffusion.h).
// The rng is used as td_latent_generate (and so `thinkdiff sample`) uses it.
// Optional trajectory: frames (n_frames) slice indices in 0..steps (0 the prior draw, k after
// update k); xt_out (n_frames, n, 2352) receives each slice decoded, x0_out the model's
// prediction of the clean latent at that slice decoded. out (n, 2352). Returns the nfe.
int td_wasm_digits_generate(int h, int rng_h, int n, const int *labels, const float *colours, double g_class,
                            double g_colour, int sampler, int steps, double eta, int grid, const int *frames,
                            int n_frames, float *out, float *xt_out, float *x0_out) {
    digits_obj *d = with_part(h, PART_LATENT);
    if (!d) return TD_ERR_ARG;
    td_rng *rng = td_handle_get(rng_h, TD_H_RNG);
    if (!rng) return TD_ERR_ARG;
    td_sampler_options opts;
    int rc = td_wasm_sampler_setup(sampler, eta, (double)NAN, -1, grid, &opts);
    if (rc || (rc = td_wasm_check_count(n, MAX_DIGITS, "digits"))) return rc;
    if ((rc = td_wasm_check_count(steps, MAX_STEPS, "steps")) || (rc = td_wasm_check_buffer(out, "output"))) return rc;
    if (!(isfinite(g_class) && isfinite(g_colour) && fabs(g_class) <= 100.0 && fabs(g_colour) <= 100.0))
        return td_fail(TD_ERR_ARG, "guidance scales must be finite and within +-100, got %g and %g", g_class, g_colour);
    for (int i = 0; labels && i < n; i++)
        if (labels[i] < 0 || labels[i] >= TD_MNIST_CLASSES)
            return td_fail(TD_ERR_ARG, "class %d of digit %d is not in 0..9", labels[i], i);
    for (int i = 0; colours && i < 3 * n; i++)
        if (!(colours[i] >= 0.0f && colours[i] <= 1.0f))
            return td_fail(TD_ERR_ARG, "colour value %g is not in [0, 1]", (double)colours[i]);
    if (n_frames < 0 || n_frames > MAX_FRAMES)
        return td_fail(TD_ERR_ARG, "frames must number 0..%d, got %d", MAX_FRAMES, n_frames);
    if (n_frames > 0 && (!frames || !xt_out || !x0_out))
        return td_fail(TD_ERR_ARG, "trajectory frames need the frame list and both output buffers");
    for (int f = 0; f < n_frames; f++)
        if (frames[f] < 0 || frames[f] > steps)
            return td_fail(TD_ERR_ARG, "frame %d is not a slice in 0..%d", frames[f], steps);
    size_t frame_values;   // decoded frames in one buffer: capped like every page array
    if (td_mul_size((size_t)n_frames * (size_t)n, TD_DIGIT_FLOATS, &frame_values) ||
        frame_values > (size_t)TD_WASM_MAX_VALUES)
        return td_fail(TD_ERR_LIMIT, "%d frames of %d digits exceed the page's cap", n_frames, n);

    const int Z = d->vae.cfg.z_dim;
    const size_t zn = (size_t)n * (size_t)Z;
    float *z = malloc(zn * sizeof(float) * 3);
    float *traj = n_frames ? malloc(((size_t)steps + 1) * zn * sizeof(float)) : NULL;
    double *tgrid = malloc((size_t)steps * sizeof(double));
    if (!z || !tgrid || (n_frames && !traj)) {
        free(z), free(traj), free(tgrid);
        return td_fail(TD_ERR_NOMEM, "out of memory for %d digits over %d steps", n, steps);
    }
    float *scratch = z + zn, *x0 = z + 2 * zn;
    td_score_net_work work;
    td_digit_vae_work vw;
    td_latent_guide g;
    long nfe = 0;
    if ((rc = td_score_net_work_init(&work, &d->ld.model.net, NET_ROWS))) goto out_free;
    if ((rc = td_digit_vae_work_init(&vw, &d->vae, DECODE_BATCH))) goto out_net;
    if ((rc = td_latent_guide_init(&g, &d->ld, &work, n, labels, colours, (float)g_class, (float)g_colour)))
        goto out_vae;
    td_denoiser den = td_latent_guide_denoiser(&g);
    const td_sde *sde = &d->ld.model.sde;
    rc = td_sampler_init_prior(sde, rng, z, n, Z);
    if (!rc) rc = td_sampler_run((td_sampler_kind)sampler, sde, &den, rng, z, n, Z, steps, &opts, traj, &nfe);
    if (!rc) rc = decode_latents(d, &vw, z, n, scratch, out);
    if (!rc && n_frames) rc = td_sde_time_grid(sde, steps, opts.grid, tgrid);
    for (int f = 0; !rc && f < n_frames; f++) {
        const float *xt = traj + (size_t)frames[f] * zn;
        const size_t at = (size_t)f * (size_t)n * TD_DIGIT_FLOATS;
        rc = decode_latents(d, &vw, xt, n, scratch, xt_out + at);
        if (!rc) rc = predict_x0(&d->ld, &den, tgrid, steps, frames[f], xt, n, Z, x0);
        if (!rc) rc = decode_latents(d, &vw, x0, n, scratch, x0_out + at);
    }
    td_latent_guide_free(&g);
out_vae:
    td_digit_vae_work_free(&vw);
out_net:
    td_score_net_work_free(&work);
out_free:
    free(z);
    free(traj);
    free(tgrid);
    if (rc) return rc;
    return nfe > 0x7fffffffL ? 0x7fffffff : (int)nfe;
}

// ---- style --------------------------------------------------------------------------------

// A drawing src (h, w) of ink in [0, 1] (1 = stroke) -> ink (28 * 28), cropped, scaled
// and centred as MNIST frames its digits (io/image_read.h). No handle needed.
int td_wasm_digits_frame(const float *src, int w, int h, float *ink) {
    int rc = td_wasm_check_count(w, MAX_DRAWING, "drawing width");
    if (rc || (rc = td_wasm_check_count(h, MAX_DRAWING, "drawing height"))) return rc;
    if ((rc = td_wasm_check_buffer(src, "drawing")) || (rc = td_wasm_check_buffer(ink, "output"))) return rc;
    return td_image_frame_digit(src, w, h, ink);
}

// Classify n coloured digits x (n, 2352): classes into pred (n), and, unless NULL, the
// softmax probabilities into probs (n, 10). Needs the classifier part.
int td_wasm_digits_classify(int h, const float *x, int n, int *pred, float *probs) {
    digits_obj *d = with_part(h, PART_CLASSIFIER);
    if (!d) return TD_ERR_ARG;
    int rc = td_wasm_check_count(n, MAX_DIGITS, "digits");
    if (rc || (rc = td_wasm_check_buffer(x, "input")) || (rc = td_wasm_check_buffer(pred, "output"))) return rc;
    enum { BATCH = 64 };
    td_classifier_work w;
    if ((rc = td_classifier_work_init(&w, &d->clf, BATCH, 0))) return rc;
    float logits[BATCH * TD_CLASSIFIER_CLASSES];
    for (int i0 = 0; !rc && i0 < n; i0 += BATCH) {
        const int B = n - i0 < BATCH ? n - i0 : BATCH;
        rc = td_classifier_forward(&d->clf, &w, x + (size_t)i0 * TD_DIGIT_FLOATS, B, logits, NULL);
        if (rc) break;
        td_classifier_argmax(logits, B, pred + i0);
        for (int b = 0; probs && b < B; b++) {   // softmax, shifted by the row's max
            const float *l = logits + b * TD_CLASSIFIER_CLASSES;
            float *p = probs + (size_t)(i0 + b) * TD_CLASSIFIER_CLASSES, m = l[0], s = 0.0f;
            for (int c = 1; c < TD_CLASSIFIER_CLASSES; c++) m = l[c] > m ? l[c] : m;
            for (int c = 0; c < TD_CLASSIFIER_CLASSES; c++) s += (p[c] = expf(l[c] - m));
            for (int c = 0; c < TD_CLASSIFIER_CLASSES; c++) p[c] /= s;
        }
    }
    td_classifier_work_free(&w);
    return rc ? rc : n;
}

// A reference ink map (784) in [0, 1] -> every class 0..9 in its style and colour rgb (3):
// out (10, 2352). The style code is the conditional VAE's encoder mean given the
// reference's class: ref_label in 0..9, or -1 to let the classifier name it (needs the
// classifier part). Returns the class used for the reference.
int td_wasm_digits_style(int h, const float *ink, int ref_label, const float *rgb, float *out) {
    digits_obj *d = with_part(h, PART_CVAE);
    if (!d) return TD_ERR_ARG;
    int rc = td_wasm_check_buffer(ink, "reference");
    if (rc || (rc = td_wasm_check_buffer(rgb, "colour")) || (rc = td_wasm_check_buffer(out, "output"))) return rc;
    if (ref_label < -1 || ref_label >= TD_MNIST_CLASSES)
        return td_fail(TD_ERR_ARG, "the reference's class %d is not in 0..9 (or -1: ask the classifier)", ref_label);
    for (int c = 0; c < 3; c++)
        if (!(rgb[c] >= 0.0f && rgb[c] <= 1.0f)) return td_fail(TD_ERR_ARG, "colour value %g is not in [0, 1]", (double)rgb[c]);
    for (int p = 0; p < TD_MNIST_PIXELS; p++)
        if (!(ink[p] >= 0.0f && ink[p] <= 1.0f))
            return td_fail(TD_ERR_ARG, "reference pixel %d is %g, not in [0, 1]", p, (double)ink[p]);
    if (ref_label < 0) {
        if (!d->have[PART_CLASSIFIER])
            return td_fail(TD_ERR_ARG, "the classifier is not loaded: give the reference's class");
        static float white[TD_DIGIT_FLOATS];   // the reference in white, as the CLI shows a PNG to it
        for (int p = 0; p < TD_MNIST_PIXELS; p++) white[3 * p] = white[3 * p + 1] = white[3 * p + 2] = ink[p];
        if ((rc = td_wasm_digits_classify(h, white, 1, &ref_label, NULL)) < 0) return rc;
    }
    const int Z = d->cvae.cfg.z_dim;
    float code[TD_DIGIT_VAE_MAX_Z], codes[TD_MNIST_CLASSES * TD_DIGIT_VAE_MAX_Z], cols[TD_MNIST_CLASSES * 3];
    int labels[TD_MNIST_CLASSES];
    td_digit_vae_work w;
    if ((rc = td_digit_vae_work_init(&w, &d->cvae, TD_MNIST_CLASSES))) return rc;
    rc = td_style_encode_ink(&d->cvae, &w, ink, &ref_label, 1, code);
    for (int k = 0; k < TD_MNIST_CLASSES; k++) {
        labels[k] = k;
        memcpy(codes + (size_t)k * (size_t)Z, code, (size_t)Z * sizeof(float));
        memcpy(cols + 3 * k, rgb, 3 * sizeof(float));
    }
    if (!rc) rc = td_style_render(&d->cvae, &w, codes, labels, cols, TD_MNIST_CLASSES, out);
    td_digit_vae_work_free(&w);
    return rc ? rc : ref_label;
}
