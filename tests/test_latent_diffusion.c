// test_latent_diffusion.c - the guided denoiser's arithmetic and bookkeeping, the
// checkpoint's VAE check, and the shipped model's class accuracy, colour error and
// Frechet distance against the VAE's own samples.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mnist_fixture.h"
#include "data/digits.h"
#include "eval/digit_metrics.h"
#include "models/classifier.h"
#include "models/latent_diffusion.h"

#define WEIGHTS TD_SOURCE_DIR "/web/weights/"

static td_mnist data;
static int data_ok;

// A small random VAE + latent model (Z = 4) for the bookkeeping tests.
static int tiny_models(td_digit_vae *vae, td_latent_diffusion *ld) {
    td_rng rng;
    td_rng_seed(&rng, 21, 0);
    td_digit_vae_config vc = td_digit_vae_defaults(TD_DIGIT_VAE_UNCOND);
    vc.z_dim = 4;
    vc.hidden = 8;
    vc.depth = 1;
    td_score_net_config nc = td_latent_net_defaults(4);
    nc.width = 16;
    nc.depth = 1;
    td_sde sde;
    if (td_digit_vae_init(vae, &vc, &rng) != TD_OK || td_sde_from_name("vp", &sde) != TD_OK) return -1;
    return td_latent_init(ld, vae, &nc, &sde, &rng) == TD_OK ? 0 : -1;
}

TEST(guidance_mixes_the_three_passes_as_documented) {
    enum { N = 5, D = 4 };
    td_digit_vae vae;
    td_latent_diffusion ld;
    if (tiny_models(&vae, &ld) != 0) { CHECK(0); return; }
    td_rng rng;
    td_rng_seed(&rng, 2, 0);
    float x[N * D], got[N * D], eu[N * D], ec[N * D], eo[N * D], t[N], colours[3 * N], cond[N * 4], nocond[N * 4];
    int labels[N], none[N];
    td_rng_fill_normal(&rng, x, N * D);
    for (int i = 0; i < N; i++) {
        labels[i] = (3 * i + 1) % 10;
        none[i] = 10;
        t[i] = 0.4f;
        for (int ch = 0; ch < 3; ch++) colours[3 * i + ch] = (float)td_rng_uniform(&rng);
        td_latent_cond(colours + 3 * i, cond + 4 * i);
        td_latent_cond(NULL, nocond + 4 * i);
    }
    td_score_net_work w;
    CHECK_EQ(td_score_net_work_init(&w, &ld.model.net, 32), TD_OK);
    const td_score_net *net = &ld.model.net;
    const td_params *p = &ld.model.params;
    CHECK_EQ(td_score_net_forward(net, p, &w, x, t, none, nocond, eu, N), TD_OK);
    CHECK_EQ(td_score_net_forward(net, p, &w, x, t, labels, nocond, ec, N), TD_OK);
    CHECK_EQ(td_score_net_forward(net, p, &w, x, t, none, cond, eo, N), TD_OK);
    const double scales[3][2] = {{0.0, 0.0}, {2.5, 0.0}, {3.0, -1.5}};
    for (int k = 0; k < 3; k++) {
        td_latent_guide g;
        CHECK_EQ(td_latent_guide_init(&g, &ld, &w, N, labels, colours, (float)scales[k][0], (float)scales[k][1]), TD_OK);
        td_denoiser den = td_latent_guide_denoiser(&g);
        CHECK_EQ(den.kind, TD_PRED_EPS);
        CHECK_EQ(den.predict(den.ctx, x, N, D, 0.4, got), TD_OK);
        double worst = 0.0;
        for (int i = 0; i < N * D; i++) {
            double u = (double)eu[i], want = u + scales[k][0] * ((double)ec[i] - u) + scales[k][1] * ((double)eo[i] - u);
            worst = fmax(worst, fabs(want - (double)got[i]));
        }
        printf("    g = (%g, %g): worst difference %.2e\n", scales[k][0], scales[k][1], worst);
        CHECK(worst < 1e-5);
        td_latent_guide_free(&g);
    }
    td_score_net_work_free(&w);
    td_latent_free(&ld);
    td_digit_vae_free(&vae);
}

TEST(rows_keep_their_own_conditions_whatever_the_chunking) {
    enum { N = 7, D = 4 };
    td_digit_vae vae;
    td_latent_diffusion ld;
    if (tiny_models(&vae, &ld) != 0) { CHECK(0); return; }
    td_rng rng;
    td_rng_seed(&rng, 4, 0);
    float x[N * D], a[N * D], b[N * D], colours[3 * N];
    int labels[N];
    td_rng_fill_normal(&rng, x, N * D);
    for (int i = 0; i < N; i++) {
        labels[i] = i % 10;
        for (int ch = 0; ch < 3; ch++) colours[3 * i + ch] = (float)td_rng_uniform(&rng);
    }
    td_score_net_work small, big;
    CHECK_EQ(td_score_net_work_init(&small, &ld.model.net, 4), TD_OK);   // one row per call
    CHECK_EQ(td_score_net_work_init(&big, &ld.model.net, 64), TD_OK);
    td_latent_guide gs, gb;
    CHECK_EQ(td_latent_guide_init(&gs, &ld, &small, N, labels, colours, 2.0f, 1.5f), TD_OK);
    CHECK_EQ(td_latent_guide_init(&gb, &ld, &big, N, labels, colours, 2.0f, 1.5f), TD_OK);
    td_denoiser ds = td_latent_guide_denoiser(&gs), db = td_latent_guide_denoiser(&gb);
    CHECK_EQ(ds.predict(ds.ctx, x, N, D, 0.7, a), TD_OK);
    CHECK_EQ(db.predict(db.ctx, x, N, D, 0.7, b), TD_OK);
    double worst = 0.0;
    for (int i = 0; i < N * D; i++) worst = fmax(worst, fabs((double)a[i] - (double)b[i]));
    CHECK(worst < 1e-5);
    // The sampler must hand over the rows it was set up for.
    CHECK_EQ(ds.predict(ds.ctx, x, N - 1, D, 0.7, a), TD_ERR_SHAPE);
    CHECK_EQ(ds.predict(ds.ctx, x, N, D + 1, 0.7, a), TD_ERR_SHAPE);
    td_latent_guide_free(&gs);
    td_latent_guide_free(&gb);
    td_score_net_work_free(&small);
    td_score_net_work_free(&big);
    td_latent_free(&ld);
    td_digit_vae_free(&vae);
}

TEST(bad_conditions_are_refused) {
    td_digit_vae vae;
    td_latent_diffusion ld;
    if (tiny_models(&vae, &ld) != 0) { CHECK(0); return; }
    td_score_net_work w;
    CHECK_EQ(td_score_net_work_init(&w, &ld.model.net, 8), TD_OK);
    td_latent_guide g;
    int bad_label[2] = {3, 10};
    float bad_colour[6] = {0.5f, 0.5f, 0.5f, 1.5f, 0.0f, 0.0f}, ok_colour[6] = {0};
    CHECK_EQ(td_latent_guide_init(&g, &ld, &w, 2, bad_label, ok_colour, 1.0f, 1.0f), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "0..9");
    CHECK_EQ(td_latent_guide_init(&g, &ld, &w, 2, NULL, bad_colour, 1.0f, 1.0f), TD_ERR_ARG);
    CHECK_EQ(td_latent_guide_init(&g, &ld, &w, 2, NULL, NULL, NAN, 1.0f), TD_ERR_ARG);
    CHECK_EQ(td_latent_guide_init(&g, &ld, &w, 0, NULL, NULL, 1.0f, 1.0f), TD_ERR_ARG);
    td_score_net_work_free(&w);
    td_latent_free(&ld);
    td_digit_vae_free(&vae);
}

TEST(a_checkpoint_refuses_a_vae_it_was_not_trained_on) {
    td_digit_vae vae, other;
    td_latent_diffusion ld, back;
    if (tiny_models(&vae, &ld) != 0 || tiny_models(&other, &back) != 0) { CHECK(0); return; }
    td_latent_free(&back);
    other.params.data[0] += 1.0f;   // same sizes, other weights
    const char *path = "/tmp/test_latent_diffusion.safetensors";
    ld.latent_scale = 0.75f;
    CHECK_EQ(td_latent_save(&ld, path, NULL, TD_DTYPE_F32), TD_OK);
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK_EQ(td_file_read(path, 1u << 26, &bytes, &len), TD_OK);
    CHECK_EQ(td_latent_load_mem(&back, bytes, len, &vae), TD_OK);
    CHECK_NEAR(back.latent_scale, 0.75f, 1e-7);
    td_latent_free(&back);
    CHECK_EQ(td_latent_load_mem(&back, bytes, len, &other), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "another VAE");
    free(bytes);
    remove(path);
    td_latent_free(&ld);
    td_digit_vae_free(&vae);
    td_digit_vae_free(&other);
}

// ---- the shipped model -------------------------------------------------------------------

static int read_weights(const char *name, uint8_t **bytes, size_t *len) {
    char path[512];
    snprintf(path, sizeof path, "%s%s", WEIGHTS, name);
    if (td_file_read(path, 1u << 28, bytes, len) != TD_OK) {
        printf("    %s\n", td_error_message());
        return -1;
    }
    return 0;
}

TEST(guided_latent_diffusion_reaches_97_percent_accuracy_delta_e_5_and_beats_the_vae_frechet_distance) {
    enum { N = 1000, H_MAX = 4096 };
    uint8_t *b = NULL;
    size_t len = 0;
    td_digit_vae vae;
    td_latent_diffusion ld;
    td_classifier clf;
    td_safetensors f;
    if (!data_ok || read_weights("digit_vae.safetensors", &b, &len) != 0) { CHECK(0); return; }
    CHECK_EQ(td_digit_vae_load_mem(&vae, b, len), TD_OK);
    free(b);
    if (read_weights("digit_latent.safetensors", &b, &len) != 0) { CHECK(0); return; }
    CHECK_EQ(td_latent_load_mem(&ld, b, len, &vae), TD_OK);
    free(b);
    if (td_safetensors_read_file(WEIGHTS "classifier.safetensors", &f) != TD_OK || td_classifier_load(&clf, &f) != TD_OK) {
        printf("    %s\n", td_error_message());
        CHECK(0);
        return;
    }
    // Ask for the test set's classes and colours; compare features with the test set's.
    static float test[N * TD_DIGIT_FLOATS], gen[N * TD_DIGIT_FLOATS];
    static int idx[N], labels[N], pred[N];
    static float colours[3 * N];
    const int H = clf.cfg.hidden;
    float *ftest = malloc((size_t)N * (size_t)H * sizeof(float)), *fgen = malloc((size_t)N * (size_t)H * sizeof(float));
    for (int i = 0; i < N; i++) idx[i] = td_digits_split_index(i, TD_SPLIT_TEST);
    CHECK_EQ(td_digits_render(&data, idx, N, TD_DIGITS_EVAL_COLOR_SEED, test, labels, colours), TD_OK);
    td_classifier_work cw;
    CHECK_EQ(td_classifier_work_init(&cw, &clf, 100, 0), TD_OK);
    CHECK_EQ(td_classifier_predict(&clf, &cw, test, N, NULL, ftest), TD_OK);

    td_rng rng;
    td_rng_seed(&rng, 1, 0);
    td_sampler_options so = td_sampler_options_default();
    long nfe = 0;
    CHECK_EQ(td_latent_generate(&ld, &vae, labels, colours, 3.0f, 2.0f, TD_SAMPLER_DDIM, 50, &so, &rng, N, gen, &nfe),
             TD_OK);
    CHECK_EQ(nfe, 50);
    CHECK_EQ(td_classifier_predict(&clf, &cw, gen, N, pred, fgen), TD_OK);
    int right = 0;
    double de = 0.0, fd = 0.0, fd_vae = 0.0;
    for (int i = 0; i < N; i++) {
        right += pred[i] == labels[i];
        de += td_digit_color_error(gen + (size_t)i * TD_DIGIT_FLOATS, (td_rgb){colours[3 * i], colours[3 * i + 1], colours[3 * i + 2]});
    }
    CHECK_EQ(td_frechet_distance(fgen, N, ftest, N, H, &fd), TD_OK);
    // The VAE's own samples: prior draws through its decoder.
    td_digit_vae_work vw;
    CHECK_EQ(td_digit_vae_work_init(&vw, &vae, 100), TD_OK);
    CHECK_EQ(td_digit_vae_sample(&vae, &vw, &rng, NULL, NULL, N, gen), TD_OK);
    CHECK_EQ(td_classifier_predict(&clf, &cw, gen, N, NULL, fgen), TD_OK);
    CHECK_EQ(td_frechet_distance(fgen, N, ftest, N, H, &fd_vae), TD_OK);
    printf("    g_class 3, g_color 2, ddim 50 steps, %d digits: accuracy %.1f%%, mean delta-E %.2f, FD %.2f "
           "(VAE prior samples: FD %.2f)\n", N, 100.0 * right / N, de / N, fd, fd_vae);
    CHECK(right >= 970);     // the targets: accuracy >= 97%,
    CHECK(de / N <= 5.0);    // mean delta-E <= 5,
    CHECK(fd < 0.2 * fd_vae);   // and a Frechet distance clearly below the VAE's own samples
    td_digit_vae_work_free(&vw);
    td_classifier_work_free(&cw);
    free(ftest);
    free(fgen);
    td_classifier_free(&clf);
    td_safetensors_free(&f);
    td_latent_free(&ld);
    td_digit_vae_free(&vae);
}

int main(void) {
    data_ok = mnist_fixture_load(&data) == 0;
    RUN(guidance_mixes_the_three_passes_as_documented);
    RUN(rows_keep_their_own_conditions_whatever_the_chunking);
    RUN(bad_conditions_are_refused);
    RUN(a_checkpoint_refuses_a_vae_it_was_not_trained_on);
    RUN(guided_latent_diffusion_reaches_97_percent_accuracy_delta_e_5_and_beats_the_vae_frechet_distance);
    if (data_ok) td_mnist_free(&data);
    return check_summary("test_latent_diffusion");
}
