// test_digit_vae.c - the coloured-digit VAEs: gradients against finite differences,
// the colour x ink decoder, bad input, checkpoints, and the shipped weights.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mnist_fixture.h"
#include "data/digits.h"
#include "eval/digit_metrics.h"
#include "models/digit_vae.h"

#define SHIPPED_VAE TD_SOURCE_DIR "/web/weights/digit_vae.safetensors"
#define SHIPPED_CVAE TD_SOURCE_DIR "/web/weights/digit_cvae.safetensors"

static td_mnist data;
static int data_ok;

static td_digit_vae_config tiny(td_digit_vae_kind kind) {
    td_digit_vae_config c = td_digit_vae_defaults(kind);
    c.z_dim = 3;
    c.hidden = 6;
    c.depth = 1;
    c.beta = 0.7f;
    c.sigma_color = 0.5f;   // a loss of O(100), so float round-off stays below the differences
    return c;
}

static void random_digits(td_rng *rng, float *x, int *labels, float *colours, int B) {
    for (int b = 0; b < B; b++) {
        labels[b] = (int)td_rng_below(rng, 10);
        td_rgb c = td_color_random(rng);
        colours[3 * b] = c.r, colours[3 * b + 1] = c.g, colours[3 * b + 2] = c.b;
        for (int p = 0; p < TD_MNIST_PIXELS; p++) {
            float ink = td_rng_uniform(rng) < 0.2 ? (float)td_rng_uniform(rng) : 0.0f;
            for (int ch = 0; ch < 3; ch++) x[(size_t)b * TD_DIGIT_FLOATS + 3 * (size_t)p + (size_t)ch] = ink * colours[3 * b + ch];
        }
    }
}

static double loss_at(td_digit_vae *v, td_digit_vae_work *w, const float *x, const int *l, const float *c,
                      const float *eps, int B) {
    td_digit_vae_terms t;
    td_digit_vae_loss(v, w, x, l, c, eps, B, 0, &t);
    return -(t.rec - (double)v->cfg.beta * t.kl);
}

// Central differences on a spread of parameters (every tensor is visited), relative error.
static double max_grad_error(td_digit_vae_kind kind, int corrupt) {
    enum { B = 3 };
    td_rng rng;
    td_rng_seed(&rng, 11, 0);
    td_digit_vae_config cfg = tiny(kind);
    td_digit_vae v;
    td_digit_vae_work w;
    static float x[B * TD_DIGIT_FLOATS];
    float colours[3 * B], eps[B * 3];
    int labels[B];
    if (td_digit_vae_init(&v, &cfg, &rng) != TD_OK || td_digit_vae_work_init(&w, &v, B) != TD_OK) return 1e9;
    random_digits(&rng, x, labels, colours, B);
    td_rng_fill_normal(&rng, eps, B * 3);
    td_params_zero_grad(&v.params);
    td_digit_vae_terms t;
    td_digit_vae_loss(&v, &w, x, labels, colours, eps, B, 1, &t);
    if (corrupt) v.params.grad[v.params.total / 2] += 0.5f;   // the checker must notice this
    double worst = 0.0;
    for (size_t i = 0; i < v.params.total; i += 1 + v.params.total / 150) {
        float keep = v.params.data[i];
        const float h = 1e-2f;
        v.params.data[i] = keep + h;
        double up = loss_at(&v, &w, x, labels, colours, eps, B);
        v.params.data[i] = keep - h;
        double down = loss_at(&v, &w, x, labels, colours, eps, B);
        v.params.data[i] = keep;
        double num = (up - down) / (2.0 * (double)h), ana = (double)v.params.grad[i];
        double err = fabs(num - ana) / (fabs(num) + fabs(ana) + 1e-1);
        if (err > worst) worst = err;
    }
    size_t mid = v.params.total / 2;
    if (corrupt) {   // make sure the corrupted entry was among those checked
        float keep = v.params.data[mid];
        v.params.data[mid] = keep + 1e-2f;
        double up = loss_at(&v, &w, x, labels, colours, eps, B);
        v.params.data[mid] = keep - 1e-2f;
        double down = loss_at(&v, &w, x, labels, colours, eps, B);
        v.params.data[mid] = keep;
        double num = (up - down) / 2e-2, err = fabs(num - (double)v.params.grad[mid]);
        if (err > worst) worst = err;
    }
    td_digit_vae_work_free(&w);
    td_digit_vae_free(&v);
    return worst;
}

TEST(unconditional_gradients_match_finite_differences) {
    double err = max_grad_error(TD_DIGIT_VAE_UNCOND, 0);
    printf("    worst relative error %.2e\n", err);
    CHECK(err < 2e-2);
}

TEST(conditional_gradients_match_finite_differences) {
    double err = max_grad_error(TD_DIGIT_VAE_COND, 0);
    printf("    worst relative error %.2e\n", err);
    CHECK(err < 2e-2);
}

TEST(the_gradient_checker_notices_a_wrong_gradient) {
    CHECK(max_grad_error(TD_DIGIT_VAE_COND, 1) > 0.1);
}

TEST(the_ink_map_divides_out_the_colour) {
    static float a[TD_DIGIT_FLOATS], b[TD_DIGIT_FLOATS], ia[TD_MNIST_PIXELS], ib[TD_MNIST_PIXELS];
    uint8_t gray[TD_MNIST_PIXELS];
    for (int p = 0; p < TD_MNIST_PIXELS; p++) gray[p] = (uint8_t)((p * 37) % 256);
    td_digit_colorize(gray, (td_rgb){0.8f, 0.1f, 0.1f}, 0, 0, a);
    td_digit_colorize(gray, (td_rgb){1.0f, 1.0f, 1.0f}, 0, 0, b);
    td_digit_ink(a, 1, ia);
    td_digit_ink(b, 1, ib);
    double worst = 0.0, peak = 0.0;
    for (int p = 0; p < TD_MNIST_PIXELS; p++) {
        worst = fmax(worst, fabs((double)ia[p] - (double)ib[p]));
        peak = fmax(peak, (double)ia[p]);
    }
    CHECK(worst < 1e-6);
    CHECK_NEAR(peak, 1.0, 1e-6);
    static float black[TD_DIGIT_FLOATS], ink[TD_MNIST_PIXELS];
    td_digit_ink(black, 1, ink);
    CHECK_EQ(ink[0], 0.0f);
}

TEST(the_conditional_decoder_paints_exactly_the_requested_colour) {
    td_rng rng;
    td_rng_seed(&rng, 3, 0);
    td_digit_vae_config cfg = tiny(TD_DIGIT_VAE_COND);
    td_digit_vae v;
    td_digit_vae_work w;
    CHECK_EQ(td_digit_vae_init(&v, &cfg, &rng), TD_OK);
    CHECK_EQ(td_digit_vae_work_init(&w, &v, 2), TD_OK);
    static float x[2 * TD_DIGIT_FLOATS];
    const float z[6] = {0.1f, -0.3f, 1.0f, 0.0f, 0.5f, 2.0f}, colours[6] = {0.9f, 0.3f, 0.1f, 0.0f, 0.5f, 1.0f};
    const int labels[2] = {4, 9};
    CHECK_EQ(td_digit_vae_decode(&v, &w, z, labels, colours, 2, x), TD_OK);
    // every pixel is (ink * r, ink * g, ink * b): channel ratios equal the colour's
    double worst = 0.0;
    for (int b = 0; b < 2; b++)
        for (int p = 0; p < TD_MNIST_PIXELS; p++) {
            const float *px = x + (size_t)b * TD_DIGIT_FLOATS + 3 * (size_t)p;
            double ink = (double)px[2] / (double)colours[3 * b + 2];
            for (int ch = 0; ch < 3; ch++) worst = fmax(worst, fabs((double)px[ch] - ink * (double)colours[3 * b + ch]));
        }
    CHECK(worst < 1e-6);
    td_digit_vae_work_free(&w);
    td_digit_vae_free(&v);
}

TEST(bad_input_is_refused_with_a_reason) {
    td_rng rng;
    td_rng_seed(&rng, 3, 0);
    td_digit_vae_config cfg = tiny(TD_DIGIT_VAE_COND);
    td_digit_vae v;
    td_digit_vae_work w;
    CHECK_EQ(td_digit_vae_init(&v, &cfg, &rng), TD_OK);
    CHECK_EQ(td_digit_vae_work_init(&w, &v, 2), TD_OK);
    static float x[3 * TD_DIGIT_FLOATS];
    float eps[9] = {0}, colours[9] = {0};
    int labels[3] = {1, 10, 2};
    CHECK_EQ(td_digit_vae_loss(&v, &w, x, labels, colours, eps, 2, 0, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "0..9");
    CHECK_EQ(td_digit_vae_loss(&v, &w, x, NULL, colours, eps, 1, 0, NULL), TD_ERR_ARG);
    CHECK_EQ(td_digit_vae_loss(&v, &w, x, labels, colours, eps, 3, 0, NULL), TD_ERR_LIMIT);
    CHECK_EQ(td_digit_vae_loss(&v, &w, x, labels, colours, eps, 0, 0, NULL), TD_ERR_ARG);
    td_digit_vae_config bad = cfg;
    bad.z_dim = 0;
    td_digit_vae other;
    CHECK_EQ(td_digit_vae_init(&other, &bad, &rng), TD_ERR_ARG);
    bad = cfg;
    bad.sigma_color = -1.0f;
    CHECK_EQ(td_digit_vae_init(&other, &bad, &rng), TD_ERR_ARG);
    td_digit_vae_work_free(&w);
    td_digit_vae_free(&v);
}

TEST(the_conditional_encoder_is_told_the_class) {
    td_rng rng;
    td_rng_seed(&rng, 4, 0);
    td_digit_vae_config cfg = tiny(TD_DIGIT_VAE_COND);
    td_digit_vae v;
    td_digit_vae_work w;
    CHECK_EQ(td_digit_vae_init(&v, &cfg, &rng), TD_OK);
    CHECK_EQ(td_digit_vae_work_init(&w, &v, 2), TD_OK);
    static float x[2 * TD_DIGIT_FLOATS];
    float colours[6], mu[6];
    int labels[2];
    random_digits(&rng, x, labels, colours, 1);
    memcpy(x + TD_DIGIT_FLOATS, x, TD_DIGIT_FLOATS * sizeof(float));
    labels[0] = 2, labels[1] = 5;   // one image, two classes: two codes
    CHECK_EQ(td_digit_vae_encode(&v, &w, x, labels, 2, mu, NULL), TD_OK);
    CHECK(fabs((double)mu[0] - (double)mu[3]) + fabs((double)mu[1] - (double)mu[4]) > 1e-4);
    CHECK_EQ(td_digit_vae_encode(&v, &w, x, NULL, 2, mu, NULL), TD_ERR_ARG);
    labels[1] = -1;
    CHECK_EQ(td_digit_vae_encode(&v, &w, x, labels, 2, mu, NULL), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "0..9");
    td_digit_vae_work_free(&w);
    td_digit_vae_free(&v);
}

TEST(a_checkpoint_round_trips_and_names_a_wrong_size) {
    td_rng rng;
    td_rng_seed(&rng, 5, 0);
    td_digit_vae_config cfg = tiny(TD_DIGIT_VAE_UNCOND);
    td_digit_vae v, back;
    CHECK_EQ(td_digit_vae_init(&v, &cfg, &rng), TD_OK);
    const char *path = "/tmp/test_digit_vae.safetensors";
    CHECK_EQ(td_digit_vae_save(&v, path, NULL, TD_DTYPE_F32), TD_OK);
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK_EQ(td_file_read(path, 1u << 26, &bytes, &len), TD_OK);
    CHECK_EQ(td_digit_vae_load_mem(&back, bytes, len), TD_OK);
    CHECK_EQ(back.cfg.z_dim, 3);
    CHECK_EQ(td_digit_vae_fingerprint(&back), td_digit_vae_fingerprint(&v));
    td_digit_vae_free(&back);
    // The same tensors under a header that claims another latent size.
    static td_meta_list meta;
    td_meta_init(&meta);
    td_meta_add_int(&meta, "z_dim", 4);
    td_meta_add_int(&meta, "hidden", 6);
    td_meta_add_int(&meta, "depth", 1);
    td_meta_add_double(&meta, "sigma_color", 0.1);
    td_meta_add_double(&meta, "beta", 1.0);
    uint8_t *lie = NULL;
    size_t lie_len = 0;
    CHECK_EQ(td_checkpoint_write_mem(&v.params, TD_DIGIT_VAE_KIND, &meta, TD_DTYPE_F32, &lie, &lie_len), TD_OK);
    CHECK(td_digit_vae_load_mem(&back, lie, lie_len) != TD_OK);
    CHECK_CONTAINS(td_error_message(), "enc");
    CHECK(td_digit_vae_load_mem(&back, bytes, len / 2) != TD_OK);
    free(lie);
    free(bytes);
    remove(path);
    td_digit_vae_free(&v);
}

// ---- the shipped weights --------------------------------------------------------------

static int load_shipped(const char *path, td_digit_vae *v) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    td_status st = td_file_read(path, 1u << 28, &bytes, &len);
    if (st == TD_OK) st = td_digit_vae_load_mem(v, bytes, len);
    free(bytes);
    if (st != TD_OK) printf("    %s\n", td_error_message());
    return st == TD_OK ? 0 : -1;
}

// Mean squared error per value of decoder(encoder mean) on 200 coloured test digits,
// and their mean colour error (delta-E, eval/digit_metrics.h) into *delta_e.
static double recon_mse(td_digit_vae *v, double *delta_e) {
    enum { N = 200 };
    static float x[N * TD_DIGIT_FLOATS], y[N * TD_DIGIT_FLOATS], mu[N * TD_DIGIT_VAE_MAX_Z];
    int idx[N], labels[N];
    float colours[3 * N];
    for (int i = 0; i < N; i++) idx[i] = td_digits_split_index(i * 5, TD_SPLIT_TEST);
    td_digit_vae_work w;
    if (td_digits_render(&data, idx, N, TD_DIGITS_EVAL_COLOR_SEED, x, labels, colours) != TD_OK ||
        td_digit_vae_work_init(&w, v, 64) != TD_OK)
        return 1e9;
    td_digit_vae_encode(v, &w, x, labels, N, mu, NULL);
    td_digit_vae_decode(v, &w, mu, labels, colours, N, y);
    double se = 0.0, base = 0.0, de = 0.0;
    for (int i = 0; i < N; i++)
        de += td_digit_color_error(y + (size_t)i * TD_DIGIT_FLOATS,
                                   (td_rgb){colours[3 * i], colours[3 * i + 1], colours[3 * i + 2]});
    *delta_e = de / N;
    for (size_t i = 0; i < (size_t)N * TD_DIGIT_FLOATS; i++) {
        se += ((double)x[i] - (double)y[i]) * ((double)x[i] - (double)y[i]);
        base += (double)x[i] * (double)x[i];
    }
    td_digit_vae_work_free(&w);
    printf("    reconstruction MSE %.4f per value (all-black guess: %.4f), delta-E %.2f\n", se / (N * TD_DIGIT_FLOATS),
           base / (N * TD_DIGIT_FLOATS), *delta_e);
    return se / base;   // relative to predicting black everywhere
}

// The colour error of a reconstruction is the decoder's own: the unconditional VAE's
// colour head and the sharpness of its strokes, with no rescaling of the output. The
// earlier Gaussian decoder, whose colour head had no target of its own, scored ~13 here
// even with its ink rescaled to peak 1; the shipped one ~5.9 (its colour head alone ~1,
// the rest is stroke centres at ~0.95 ink against the data's 0.99). Real digits: 0.52.
// (The colour target, <= 5, is on guided latent samples: test_latent_diffusion.)
TEST(the_shipped_vaes_reconstruct_test_digits_in_their_colour) {
    td_digit_vae v, c;
    double de = 0.0;
    if (!data_ok || load_shipped(SHIPPED_VAE, &v) != 0) { CHECK(0); return; }
    CHECK_EQ(v.cfg.kind, TD_DIGIT_VAE_UNCOND);
    CHECK(recon_mse(&v, &de) < 0.25);
    CHECK(de <= 7.0);
    td_digit_vae_free(&v);
    if (load_shipped(SHIPPED_CVAE, &c) != 0) { CHECK(0); return; }
    CHECK_EQ(c.cfg.kind, TD_DIGIT_VAE_COND);
    CHECK(recon_mse(&c, &de) < 0.25);   // its 4-dim code blurs more: delta-E ~11, not checked
    td_digit_vae_free(&c);
}

int main(void) {
    data_ok = mnist_fixture_load(&data) == 0;
    RUN(unconditional_gradients_match_finite_differences);
    RUN(conditional_gradients_match_finite_differences);
    RUN(the_gradient_checker_notices_a_wrong_gradient);
    RUN(the_ink_map_divides_out_the_colour);
    RUN(the_conditional_decoder_paints_exactly_the_requested_colour);
    RUN(bad_input_is_refused_with_a_reason);
    RUN(the_conditional_encoder_is_told_the_class);
    RUN(a_checkpoint_round_trips_and_names_a_wrong_size);
    RUN(the_shipped_vaes_reconstruct_test_digits_in_their_colour);
    if (data_ok) td_mnist_free(&data);
    return check_summary("test_digit_vae");
}
