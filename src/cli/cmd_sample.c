// cmd_sample.c - `thinkdiff sample --model FILE|exact ... --out FILE.npy|FILE.png`.
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_digit_models.h"
#include "cli/cli_models.h"
#include "cli/cli_sample.h"
#include "io/file.h"
#include "io/npy.h"
#include "io/plot.h"
#include "io/png.h"

static int run_sample(int argc, char **argv);

const cli_command cli_cmd_sample = {
    "sample", "Draw samples from a model into a .npy array or a .png scatter plot",
    "Usage: thinkdiff sample --model FILE.safetensors|exact --out FILE.npy|FILE.png [options]\n"
    "\n"
    "Run a sampler from the prior to data and write the N samples: FILE.npy holds an\n"
    "(N, 2) float32 array (numpy.load reads it); FILE.png is a 768 x 768 scatter plot of\n"
    "the square [-4, 4]^2 with a frame and ticks at integer coordinates.\n"
    "\n"
    "Options:\n"
    "  --model FILE|exact  a checkpoint from 'thinkdiff train', or 'exact': the exact\n"
    "                      score of the noised ring8 mixture (the perfect network)\n"
    "  --sampler NAME      ddpm, ddpm-beta, ddim, em, ode-euler, ode-heun, pc, pc-em\n"
    "                      (default ddpm)\n"
    "  --steps N           grid points, 1 .. 100000 (default 100; a DDPM schedule allows\n"
    "                      at most its own steps, 1000)\n"
    "  --n N               samples, 1 .. 1000000 (default 10000)\n"
    "  --seed S            integer 0 .. 2^64-1 (default 0)\n"
    "  --out FILE          .npy or .png (required)\n"
    "  --trajectory FILE   also write every intermediate state as a (steps + 1, N, 2)\n"
    "                      float32 .npy (first slice: the prior draws; last: the samples);\n"
    "                      capped at 200 million floats\n"
    "  --sde NAME          with --model exact: vp (default), subvp, ve, ddpm-linear,\n"
    "                      ddpm-cosine\n"
    "  --data NAME         with --model exact: the data set, ring8 (the only one with an\n"
    "                      exact score)\n"
    "\n"
    "Exit status: 0 on success, 1 if the model cannot be read, sampling or writing fails,\n"
    "2 on a usage error.\n",
    run_sample, 0};

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static td_status write_png(const char *path, const float *x, int n) {
    enum { SIDE = 768 };
    const float box[4] = {-4.0f, 4.0f, -4.0f, 4.0f};
    uint8_t *rgb = malloc((size_t)SIDE * SIDE * 3), *png = NULL;
    size_t len = 0;
    if (!rgb) return td_fail(TD_ERR_NOMEM, "cannot allocate the plot");
    td_status st = td_plot_scatter(x, n, box, SIDE, rgb);
    if (st == TD_OK) st = td_png_encode(rgb, SIDE, SIDE, &png, &len);
    if (st == TD_OK) st = td_file_write_atomic(path, png, len);
    free(rgb);
    free(png);
    return st;
}

int cli_sample_parse(int argc, char **argv, cli_sample_args *a) {
    const char *sampler = "ddpm", *seed_text = "0";
    *a = (cli_sample_args){.steps = 100, .n = 10000};
    cli_option opts[] = {
        {"model", CLI_OPT_STRING, &a->model}, {"sampler", CLI_OPT_STRING, &sampler},
        {"steps", CLI_OPT_INT, &a->steps},    {"n", CLI_OPT_INT, &a->n},
        {"seed", CLI_OPT_STRING, &seed_text}, {"sde", CLI_OPT_STRING, &a->sde},
        {"data", CLI_OPT_STRING, &a->data},   {"out", CLI_OPT_STRING, &a->out},
        {"trajectory", CLI_OPT_STRING, &a->trajectory},
    };
    const cli_command *cmd = &cli_cmd_sample;
    int n_pos, rc = cli_parse_args(cmd, argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, 0, &n_pos);
    if (rc) return rc;
    if ((rc = cli_parse_seed(cmd, seed_text, &a->seed))) return rc;
    if ((rc = cli_check_range(cmd, "steps", a->steps, 1, CLI_MAX_STEPS))) return rc;
    if ((rc = cli_check_range(cmd, "n", a->n, 1, CLI_MAX_N))) return rc;
    if ((rc = cli_parse_sampler(cmd, sampler, &a->sampler))) return rc;
    if (!a->model) return cli_usage_error(cmd, "--model FILE|exact is required");
    if (!a->out) return cli_usage_error(cmd, "--out FILE.npy|FILE.png is required");
    a->png = ends_with(a->out, ".png");
    if (!a->png && !ends_with(a->out, ".npy")) return cli_usage_error(cmd, "--out must end in .npy or .png, got '%s'", a->out);
    if (a->trajectory && !ends_with(a->trajectory, ".npy"))
        return cli_usage_error(cmd, "--trajectory must end in .npy, got '%s'", a->trajectory);
    int exact = strcmp(a->model, "exact") == 0;
    if (!exact && (a->sde || a->data)) return cli_usage_error(cmd, "--sde and --data apply to --model exact only");
    if (a->data && strcmp(a->data, "ring8") != 0)
        return cli_usage_error(cmd, "the exact score exists for ring8 only, got --data '%s'", a->data);
    if (a->trajectory && (size_t)(a->steps + 1) * (size_t)a->n * 2 > CLI_MAX_TRAJECTORY_FLOATS)
        return cli_usage_error(cmd, "a trajectory of %d steps x %d samples exceeds 200 million floats", a->steps, a->n);
    return CLI_OK;
}

static int run_sample(int argc, char **argv) {
    if (cli_digits_is_digit_model(argc, argv)) return cli_digits_sample(argc, argv);  // digit models
    cli_sample_args a;
    int rc = cli_sample_parse(argc, argv, &a);
    if (rc) return rc;
    const char *out = a.out, *traj_path = a.trajectory;
    int steps = a.steps, n = a.n, png = a.png;

    cli_model m;
    if (cli_model_open(&m, a.model, a.sde) != TD_OK) return cli_fail("%s", td_error_message());
    size_t dim = (size_t)m.dim, count = (size_t)n * dim;
    // The parse checked the cap for 2-D samples; a model of more dims checks it again.
    if (traj_path && (size_t)(steps + 1) * count > CLI_MAX_TRAJECTORY_FLOATS) {
        cli_model_close(&m);
        return cli_fail("a trajectory of %d steps x %d samples of %zu dims exceeds 200 million floats", steps, n, dim);
    }
    float *x = malloc(count * sizeof(float));
    float *traj = traj_path ? malloc((size_t)(steps + 1) * count * sizeof(float)) : NULL;
    if (!x || (traj_path && !traj)) {
        free(x);
        free(traj);
        cli_model_close(&m);
        return cli_fail("cannot allocate %d samples%s", n, traj_path ? " and their trajectory" : "");
    }
    td_rng rng;
    td_rng_seed(&rng, a.seed, 1);
    cli_gen_request req = {a.sampler, steps, n, &rng, td_sampler_options_default()};
    td_status st = m.generate(&m, &req, x, traj, NULL);
    if (st == TD_OK && png && dim != 2) st = td_fail(TD_ERR_ARG, "a scatter plot needs 2-D samples, these have %zu dims", dim);
    if (st == TD_OK) {
        size_t shape[2] = {(size_t)n, dim};
        st = png ? write_png(out, x, n) : td_npy_write_file(out, x, 2, shape);
    }
    if (st == TD_OK && traj_path) {
        size_t shape[3] = {(size_t)steps + 1, (size_t)n, dim};
        st = td_npy_write_file(traj_path, traj, 3, shape);
    }
    rc = st == TD_OK ? CLI_OK : cli_fail("%s", td_error_message());
    free(x);
    free(traj);
    cli_model_close(&m);
    return rc;
}
