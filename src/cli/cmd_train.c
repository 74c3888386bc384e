// cmd_train.c - `thinkdiff train toy --model NAME ...`: train a model on 2-D data and save it.
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_digits.h"
#include "cli/cli_models.h"
#include "cli/cli_vae.h"
#include "models/score_model.h"
#include "models/train.h"

static int run_train(int argc, char **argv);

const cli_command cli_cmd_train = {
    "train", "Train a model on 2-D toy data and save it as .safetensors",
    "Usage: thinkdiff train toy --model ddpm|vp|subvp|ve --out FILE.safetensors [options]\n"
    "\n"
    "Train a denoising network on 2-D points and save its EMA weights with metadata\n"
    "(model kind, sizes, SDE and its parameters, data set, seed, steps, final loss).\n"
    "Every model is an epsilon-prediction MLP [x, time embedding] -> 3 x 128 SiLU -> 2\n"
    "trained with the 'simple' loss |eps_hat - eps|^2, which is denoising score matching\n"
    "with weight sigma(t)^2 (score = -eps / sigma).\n"
    "\n"
    "Options:\n"
    "  --model NAME       ddpm  discrete 1000-step schedule (Ho et al.), VP in the limit\n"
    "                     vp    variance-preserving SDE, beta 0.1 .. 20\n"
    "                     subvp sub-VP SDE, beta 0.1 .. 20\n"
    "                     ve    variance-exploding SDE, sigma 0.01 .. 10\n"
    "  --schedule NAME    ddpm only: linear (beta 1e-4 .. 0.02, default) or cosine\n"
    "  --data NAME        ring8 (default), moons, swissroll, checkerboard, or FILE.csv\n"
    "                     (points 'x,y' per line, resampled with replacement)\n"
    "  --steps N          optimiser steps, 1 .. 100000 (default 20000)\n"
    "  --batch B          rows per step, 1 .. 65536 (default 512)\n"
    "  --lr LR            peak learning rate, (0, 1] (default 0.002); warm-up over 200\n"
    "                     steps, then cosine decay to 1% of it\n"
    "  --width W          hidden units per layer, 1 .. 4096 (default 128)\n"
    "  --depth D          hidden layers, 1 .. 8 (default 3)\n"
    "  --seed S           integer 0 .. 2^64-1 (default 0): weights, data and noise draws\n"
    "  --out FILE         where to write the checkpoint (required)\n"
    "  --quiet            no progress line\n"
    "\n"
    "Progress (step, smoothed loss, steps/s, time left) goes to stderr: one line updated\n"
    "in place on a terminal, a line every 5% otherwise.\n"
    "Exit status: 0 on success, 1 if training or writing fails, 2 on a usage error.\n"
    "\n"
    "Coloured digits: thinkdiff train digits --model classifier --out FILE [--steps N]\n"
    "[--batch B] [--lr LR] [--seed S] [--data MNIST_CACHE] [--quiet]; see\n"
    "src/cli/cmd_train_digits.c (the classifier is the evaluation conv net).\n",
    run_train, 0};

// ---- progress line ------------------------------------------------------------------------

typedef struct {
    int tty;
    int last_percent;
} progress_state;

static int print_progress(void *ctx, const td_train_progress *p) {
    progress_state *s = ctx;
    int percent = (int)(100.0 * p->step / p->steps);
    int last = p->step == p->steps;
    if (!s->tty && !last && percent < s->last_percent + 5) return 0;
    s->last_percent = percent;
    fprintf(stderr, "%sstep %6d/%d  loss %.5f  %7.0f steps/s  %5.0f s left%s", s->tty ? "\r" : "", p->step, p->steps,
            p->loss_smooth, p->steps_per_s, p->eta, s->tty && !last ? "" : "\n");
    fflush(stderr);
    return 0;
}

// ---- the diffusion models ------------------------------------------------------------------

static int train_diffusion(const cli_command *cmd, const cli_train_args *a) {
    td_sde sde;
    const char *sde_name = a->model;
    if (strcmp(a->model, "ddpm") == 0) {
        const char *sched = a->schedule ? a->schedule : "linear";
        if (strcmp(sched, "linear") && strcmp(sched, "cosine"))
            return cli_usage_error(cmd, "unknown schedule '%s' (choose linear or cosine)", sched);
        sde_name = strcmp(sched, "linear") == 0 ? "ddpm-linear" : "ddpm-cosine";
    } else if (a->schedule) {
        return cli_usage_error(cmd, "--schedule applies to --model ddpm only");
    }
    if (td_sde_from_name(sde_name, &sde) != TD_OK) return cli_fail("%s", td_error_message());

    cli_data data;
    if (cli_data_open(&data, a->data) != TD_OK) return cli_fail("%s", td_error_message());
    td_score_net_config cfg = td_score_net_defaults();
    cfg.width = a->width;
    cfg.depth = a->depth;
    td_rng init_rng;
    td_rng_seed(&init_rng, a->seed, 0);
    td_score_model model;
    td_score_trainer tr;
    if (td_score_model_init(&model, &cfg, &sde, &init_rng) != TD_OK) {
        cli_data_close(&data);
        return cli_fail("%s", td_error_message());
    }
    if (td_score_trainer_init(&tr, &model, a->batch, cli_data_draw, &data, a->seed) != TD_OK) {
        td_score_model_free(&model);
        cli_data_close(&data);
        return cli_fail("%s", td_error_message());
    }
    td_train_config tc = td_train_defaults();
    tc.steps = a->steps;
    tc.lr = (float)a->lr;
    if (tc.warmup >= tc.steps) tc.warmup = tc.steps / 10;
    progress_state ps = {isatty(fileno(stderr)), -100};
    td_train_progress final;
    td_status st = td_train_run(&model.params, &tc, td_score_trainer_step, &tr, a->quiet ? NULL : print_progress,
                                &ps, &final);
    int rc = CLI_OK;
    if (st != TD_OK) {
        rc = cli_fail("%s", td_error_message());
    } else {
        static td_meta_list meta;
        char seed[32];
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)a->seed);
        td_meta_init(&meta);
        st = td_meta_add_string(&meta, "data", a->data);
        if (st == TD_OK) st = td_meta_add_string(&meta, "seed", seed);
        if (st == TD_OK) st = td_meta_add_int(&meta, "train_steps", final.step);
        if (st == TD_OK) st = td_meta_add_int(&meta, "batch", a->batch);
        if (st == TD_OK) st = td_meta_add_double(&meta, "lr", a->lr);
        if (st == TD_OK) st = td_meta_add_double(&meta, "ema_decay", (double)tc.ema_decay);
        if (st == TD_OK) st = td_meta_add_double(&meta, "final_loss", final.loss_smooth);
        if (st == TD_OK) st = td_meta_add_string(&meta, "trainer", "thinkdiff " TD_VERSION);
        if (st == TD_OK) st = td_score_model_save(&model, a->out, &meta, TD_DTYPE_F32);
        if (st != TD_OK) rc = cli_fail("%s", td_error_message());
        else if (!a->quiet)
            fprintf(stderr, "saved %s (%s, %zu parameters, %.1f s, final loss %.5f)\n", a->out, sde_name,
                    model.params.total, final.elapsed, final.loss_smooth);
    }
    td_score_trainer_free(&tr);
    td_score_model_free(&model);
    cli_data_close(&data);
    return rc;
}

// The --model table: add a row for a new family (the VAE's "vae", "hvae").
static const cli_train_entry train_table[] = {
    {"ddpm", "discrete DDPM schedule, eps prediction", train_diffusion},
    {"vp", "variance-preserving SDE, eps prediction", train_diffusion},
    {"subvp", "sub-VP SDE, eps prediction", train_diffusion},
    {"ve", "variance-exploding SDE, eps prediction", train_diffusion},
    {"vae", "VAE, 2-D latent (models/vae.h)", cli_train_vae},
    {"hvae", "two-level hierarchical VAE (models/hvae.h)", cli_train_hvae},
    {"map1d", "1-D monotone map N(0,1) -> two-Gaussian mixture (--width = units)", cli_train_map1d},
};

const cli_train_entry *cli_train_table(int *count) {
    *count = (int)(sizeof train_table / sizeof train_table[0]);
    return train_table;
}

static int run_train(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "digits") == 0) return cli_train_digits(argc, argv);
    cli_train_args a;
    memset(&a, 0, sizeof a);
    const char *seed = "0";
    a.data = "ring8";
    a.steps = 20000;
    a.batch = 512;
    a.width = 128;
    a.depth = 3;
    a.lr = 2e-3;
    cli_option opts[] = {
        {"model", CLI_OPT_STRING, &a.model},   {"schedule", CLI_OPT_STRING, &a.schedule},
        {"data", CLI_OPT_STRING, &a.data},     {"out", CLI_OPT_STRING, &a.out},
        {"steps", CLI_OPT_INT, &a.steps},      {"batch", CLI_OPT_INT, &a.batch},
        {"width", CLI_OPT_INT, &a.width},      {"depth", CLI_OPT_INT, &a.depth},
        {"lr", CLI_OPT_DOUBLE, &a.lr},         {"seed", CLI_OPT_STRING, &seed},
        {"quiet", CLI_OPT_FLAG, &a.quiet},
    };
    char *what = NULL;
    int n_pos, rc = cli_parse_args(&cli_cmd_train, argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), &what, 1,
                                   1, &n_pos);
    if (rc) return rc;
    if (strcmp(what, "toy") != 0) return cli_usage_error(&cli_cmd_train, "unknown task '%s' (expected: toy or digits)", what);
    if ((rc = cli_parse_seed(&cli_cmd_train, seed, &a.seed))) return rc;
    if ((rc = cli_check_range(&cli_cmd_train, "steps", a.steps, 1, CLI_MAX_STEPS))) return rc;
    if ((rc = cli_check_range(&cli_cmd_train, "batch", a.batch, 1, 65536))) return rc;
    if ((rc = cli_check_range(&cli_cmd_train, "width", a.width, 1, 4096))) return rc;
    if ((rc = cli_check_range(&cli_cmd_train, "depth", a.depth, 1, 8))) return rc;
    if (!(a.lr > 0.0 && a.lr <= 1.0)) return cli_usage_error(&cli_cmd_train, "--lr must lie in (0, 1], got %g", a.lr);
    if (!a.out) return cli_usage_error(&cli_cmd_train, "--out FILE.safetensors is required");
    size_t dlen = strlen(a.data);
    td_toy_kind toy;
    if ((dlen < 4 || strcmp(a.data + dlen - 4, ".csv") != 0) && td_toy_parse(a.data, &toy) != TD_OK)
        return cli_usage_error(&cli_cmd_train, "unknown data set '%s' (choose ring8, moons, swissroll, checkerboard or a FILE.csv)",
                               a.data);
    int count;
    const cli_train_entry *table = cli_train_table(&count);
    char names[256] = "";
    for (int i = 0; i < count; i++) {
        if (a.model && strcmp(a.model, table[i].name) == 0) return table[i].train(&cli_cmd_train, &a);
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", table[i].name);
    }
    if (!a.model) return cli_usage_error(&cli_cmd_train, "--model is required (choose one of: %s)", names);
    return cli_usage_error(&cli_cmd_train, "unknown model '%s' (choose one of: %s)", a.model, names);
}
