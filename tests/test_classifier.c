// test_classifier.c - the evaluation classifier: gradients against finite
// differences, a few training steps that learn, strict checkpoint loading, and
// the shipped weights' accuracy on the 1,000 coloured test digits.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/digits.h"
#include "eval/digit_metrics.h"
#include "io/file.h"
#include "models/classifier.h"
#include "models/train.h"
#include "mnist_fixture.h"

#define SHIPPED TD_SOURCE_DIR "/web/weights/classifier.safetensors"

static td_mnist data;
static int data_ok;

static const td_classifier_config TINY = {3, 4, 6};

// Mean cross-entropy of the batch under the current weights.
static double batch_loss(td_classifier *m, td_classifier_work *w, const float *x,
                         const int *labels, int B) {
    double loss = 0.0;
    CHECK_EQ(td_classifier_forward(m, w, x, B, NULL, NULL), TD_OK);
    td_params_zero_grad(&m->params);
    CHECK_EQ(td_classifier_backward(m, w, labels, B, &loss, NULL), TD_OK);
    return loss;
}

// Directional derivative along random u, by central differences, against g . u
// from backward, for each tensor separately; returns the worst relative error.
// `sabotage` scales the analytic gradient by 1.03 (the check must fire).
static double gradient_check(int sabotage) {
    enum { B = 3 };
    td_classifier m;
    td_classifier_work w;
    td_rng rng;
    td_rng_seed(&rng, 21, 0);
    CHECK_EQ(td_classifier_init(&m, &TINY, &rng), TD_OK);
    CHECK_EQ(td_classifier_work_init(&w, &m, B, 1), TD_OK);
    static float x[B * TD_DIGIT_FLOATS];
    int labels[B] = {3, 7, 0};
    for (int i = 0; i < B * TD_DIGIT_FLOATS; i++) x[i] = (float)td_rng_uniform(&rng);
    batch_loss(&m, &w, x, labels, B);
    size_t total = m.params.total;
    float *grad = malloc(total * sizeof *grad), *keep = malloc(total * sizeof *keep);
    float *u = malloc(total * sizeof *u);
    double worst = 0.0;
    if (!grad || !keep || !u) { CHECK(0); goto done; }
    memcpy(grad, m.params.grad, total * sizeof *grad);
    memcpy(keep, m.params.data, total * sizeof *keep);
    if (sabotage) for (size_t i = 0; i < total; i++) grad[i] *= 1.03f;
    for (int t = 0; t < m.params.n_tensors; t++) {
        const td_param_tensor *pt = &m.params.tensors[t];
        double gu = 0.0, norm = 0.0;
        memset(u, 0, total * sizeof *u);
        for (size_t i = pt->offset; i < pt->offset + pt->count; i++) {
            u[i] = (float)td_rng_normal(&rng);
            gu += (double)grad[i] * (double)u[i];
            norm += (double)u[i] * (double)u[i];
        }
        const float h = 2e-3f / (float)sqrt(norm);
        double L[2];
        for (int side = 0; side < 2; side++) {
            for (size_t i = 0; i < total; i++) m.params.data[i] = keep[i] + (side ? -h : h) * u[i];
            L[side] = batch_loss(&m, &w, x, labels, B);
        }
        memcpy(m.params.data, keep, total * sizeof *keep);
        double fd = (L[0] - L[1]) / (2.0 * (double)h);
        double rel = fabs(fd - gu) / (fabs(fd) + 1e-2);   // float forward: ~3e-5 noise
        printf("    %-12s g.u %+.6f  finite difference %+.6f  relative %.1e\n", pt->name, gu, fd, rel);
        worst = fmax(worst, rel);
    }
done:
    free(grad), free(keep), free(u);
    td_classifier_work_free(&w);
    td_classifier_free(&m);
    return worst;
}

TEST(backward_matches_finite_differences_through_every_layer) {
    CHECK(gradient_check(0) < 5e-3);
}

TEST(the_gradient_check_fires_on_a_gradient_wrong_by_three_percent) {
    CHECK(gradient_check(1) > 1e-2);
}

TEST(sixty_training_steps_lower_the_loss_on_held_out_coloured_digits) {
    if (!data_ok) { CHECK(0); return; }
    enum { B = 64 };
    td_classifier m;
    td_rng rng;
    td_rng_seed(&rng, 5, 0);
    td_classifier_config cfg = {8, 8, 32};
    CHECK_EQ(td_classifier_init(&m, &cfg, &rng), TD_OK);
    // A fixed batch of test digits, never trained on.
    static float x[B * TD_DIGIT_FLOATS];
    int idx[B], labels[B];
    for (int k = 0; k < B; k++) idx[k] = td_digits_split_index(15 * k, TD_SPLIT_TEST);
    CHECK_EQ(td_digits_render(&data, idx, B, 3, x, labels, NULL), TD_OK);
    td_classifier_work w;
    CHECK_EQ(td_classifier_work_init(&w, &m, B, 1), TD_OK);
    double before = batch_loss(&m, &w, x, labels, B);
    td_classifier_trainer tr;
    CHECK_EQ(td_classifier_trainer_init(&tr, &m, &data, 32, 2, 5), TD_OK);
    td_train_config tc = td_train_defaults();
    tc.steps = 60;
    tc.warmup = 5;
    tc.lr = 3e-3f;
    tc.ema_decay = 0.0f;
    CHECK_EQ(td_train_run(&m.params, &tc, td_classifier_trainer_step, &tr, NULL, NULL, NULL), TD_OK);
    double after = batch_loss(&m, &w, x, labels, B);
    printf("    held-out loss %.3f -> %.3f\n", before, after);
    CHECK(before > 2.0);
    CHECK(after < 0.6 * before);
    td_classifier_work_free(&w);
    td_classifier_trainer_free(&tr);
    td_classifier_free(&m);
}

TEST(loading_rejects_other_models_and_mismatched_sizes) {
    td_classifier m;
    td_rng rng;
    td_rng_seed(&rng, 1, 0);
    CHECK_EQ(td_classifier_init(&m, &TINY, &rng), TD_OK);
    static td_meta_list meta;
    uint8_t *bytes = NULL;
    size_t len = 0;
    td_classifier back;
    // Right sizes: a round trip gives the same weights.
    td_meta_init(&meta);
    td_meta_add_int(&meta, "c1", 3);
    td_meta_add_int(&meta, "c2", 4);
    td_meta_add_int(&meta, "hidden", 6);
    CHECK_EQ(td_checkpoint_write_mem(&m.params, TD_CLASSIFIER_KIND, &meta, TD_DTYPE_F32, &bytes, &len), TD_OK);
    CHECK_EQ(td_classifier_load_mem(&back, bytes, len), TD_OK);
    CHECK(back.params.total == m.params.total &&
          memcmp(back.params.data, m.params.data, m.params.total * sizeof(float)) == 0);
    td_classifier_free(&back);
    free(bytes);
    // Metadata that promises a wider hidden layer than the tensors hold.
    td_meta_add_int(&meta, "hidden", 7);
    CHECK_EQ(td_checkpoint_write_mem(&m.params, TD_CLASSIFIER_KIND, &meta, TD_DTYPE_F32, &bytes, &len), TD_OK);
    td_clear_error();
    CHECK(td_classifier_load_mem(&back, bytes, len) != TD_OK);
    CHECK_CONTAINS(td_error_message(), "fc1");
    CHECK(back.params.data == NULL);
    free(bytes);
    // Another model's file.
    CHECK_EQ(td_checkpoint_write_mem(&m.params, "vae", &meta, TD_DTYPE_F32, &bytes, &len), TD_OK);
    td_clear_error();
    CHECK_EQ(td_classifier_load_mem(&back, bytes, len), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "vae");
    free(bytes);
    // Absurd sizes.
    td_meta_add_int(&meta, "c1", 100000);
    CHECK_EQ(td_checkpoint_write_mem(&m.params, TD_CLASSIFIER_KIND, &meta, TD_DTYPE_F32, &bytes, &len), TD_OK);
    td_clear_error();
    CHECK(td_classifier_load_mem(&back, bytes, len) != TD_OK);
    CHECK_CONTAINS(td_error_message(), "c1");
    free(bytes);
    td_classifier_free(&m);
}

// ---- the shipped weights --------------------------------------------------------------

static int load_shipped(td_classifier *m, td_safetensors *f) {
    td_clear_error();
    if (td_safetensors_read_file(SHIPPED, f) != TD_OK || td_classifier_load(m, f) != TD_OK) {
        printf("    %s\n", td_error_message());
        return -1;
    }
    return 0;
}

TEST(the_shipped_classifier_scores_at_least_98_percent_on_the_coloured_test_digits) {
    td_classifier m;
    td_safetensors f;
    if (!data_ok || load_shipped(&m, &f) != 0) { CHECK(0); return; }
    double acc = 0.0, acc_other = 0.0, stored = 0.0;
    CHECK_EQ(td_classifier_test_accuracy(&m, &data, TD_DIGITS_EVAL_COLOR_SEED, &acc), TD_OK);
    // The same digits in other colours, through the metrics' accuracy helper.
    enum { N = 1000 };
    int idx[N], labels[N];
    float *img = malloc((size_t)N * TD_DIGIT_FLOATS * sizeof *img);
    for (int k = 0; k < N; k++) idx[k] = td_digits_split_index(k, TD_SPLIT_TEST);
    CHECK(img && td_digits_render(&data, idx, N, 777, img, labels, NULL) == TD_OK);
    CHECK(img && td_digit_class_accuracy(&m, img, labels, N, &acc_other) == TD_OK);
    free(img);
    CHECK_EQ(td_checkpoint_meta_double(&f, "test_accuracy", 0.0, 1.0, &stored), TD_OK);
    printf("    test accuracy %.1f%% (colour seed %u), %.1f%% (colour seed 777); metadata says %.1f%%\n",
           100.0 * acc, TD_DIGITS_EVAL_COLOR_SEED, 100.0 * acc_other, 100.0 * stored);
    CHECK(acc >= 0.98);
    CHECK(acc_other >= 0.98);
    CHECK_NEAR(acc, stored, 0.003);   // F16 rounding of the shipped weights may move a digit or two
    CHECK_EQ(m.cfg.hidden, 128);
    td_classifier_free(&m);
    td_safetensors_free(&f);
}

TEST(feature_frechet_distance_separates_other_classes_from_the_train_test_floor) {
    enum { N = 1000 };
    td_classifier m;
    td_safetensors f;
    if (!data_ok || load_shipped(&m, &f) != 0) { CHECK(0); return; }
    int H = m.cfg.hidden, idx[N], labels[N], n_low = 0, n_high = 0;
    float *img = malloc((size_t)N * TD_DIGIT_FLOATS * sizeof *img);
    float *test = malloc((size_t)N * (size_t)H * sizeof *test), *train = malloc((size_t)N * (size_t)H * sizeof *train);
    float *low = malloc((size_t)N * (size_t)H * sizeof *low), *high = malloc((size_t)N * (size_t)H * sizeof *high);
    td_classifier_work w;
    memset(&w, 0, sizeof w);
    if (!img || !test || !train || !low || !high || td_classifier_work_init(&w, &m, 100, 0) != TD_OK) {
        CHECK(0);
        goto done;
    }
    // Test split and every 9th train digit, both with fixed colours.
    for (int k = 0; k < N; k++) idx[k] = td_digits_split_index(k, TD_SPLIT_TEST);
    CHECK_EQ(td_digits_render(&data, idx, N, TD_DIGITS_EVAL_COLOR_SEED, img, labels, NULL), TD_OK);
    CHECK_EQ(td_classifier_predict(&m, &w, img, N, NULL, test), TD_OK);
    for (int k = 0; k < N; k++) {
        const float *row = test + (size_t)k * (size_t)H;
        float *dst = labels[k] < 5 ? low + (size_t)n_low++ * (size_t)H : high + (size_t)n_high++ * (size_t)H;
        memcpy(dst, row, (size_t)H * sizeof *dst);
    }
    for (int k = 0; k < N; k++) idx[k] = td_digits_split_index(9 * k + 4, TD_SPLIT_TRAIN);
    CHECK_EQ(td_digits_render(&data, idx, N, 1, img, NULL, NULL), TD_OK);
    CHECK_EQ(td_classifier_predict(&m, &w, img, N, NULL, train), TD_OK);
    double floor_fd = 0.0, split_fd = 0.0, self_fd = 1.0;
    CHECK_EQ(td_frechet_distance(train, N, test, N, H, &floor_fd), TD_OK);
    CHECK_EQ(td_frechet_distance(low, n_low, high, n_high, H, &split_fd), TD_OK);
    CHECK_EQ(td_frechet_distance(test, N, test, N, H, &self_fd), TD_OK);
    printf("    FD train vs test %.2f (the floor); classes 0-4 vs 5-9 %.2f; test vs itself %.1e\n",
           floor_fd, split_fd, self_fd);
    CHECK(floor_fd > 0.0 && floor_fd * 10.0 < split_fd);
    CHECK(fabs(self_fd) < 1e-6 * split_fd);
done:
    td_classifier_work_free(&w);
    free(img), free(test), free(train), free(low), free(high);
    td_classifier_free(&m);
    td_safetensors_free(&f);
}

int main(void) {
    data_ok = mnist_fixture_load(&data) == 0;
    RUN(backward_matches_finite_differences_through_every_layer);
    RUN(the_gradient_check_fires_on_a_gradient_wrong_by_three_percent);
    RUN(sixty_training_steps_lower_the_loss_on_held_out_coloured_digits);
    RUN(loading_rejects_other_models_and_mismatched_sizes);
    RUN(the_shipped_classifier_scores_at_least_98_percent_on_the_coloured_test_digits);
    RUN(feature_frechet_distance_separates_other_classes_from_the_train_test_floor);
    td_mnist_free(&data);
    return check_summary("test_classifier");
}
