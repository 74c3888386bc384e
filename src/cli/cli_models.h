// cli_models.h - what train / sample / eval / sweep share: data sources, seeds, and
// models opened by name through small tables.
//
// Two tables make a new model family a few lines:
//   - cli_train_table: `train toy --model NAME` -> a function that trains and saves;
//   - cli_family_table: a checkpoint's "model" metadata -> a function that opens it as a
//     cli_model, whose generate() draws samples (the sampler options are for families
//     that use them; a VAE just decodes prior draws).
#ifndef TD_CLI_MODELS_H
#define TD_CLI_MODELS_H

#include <stdint.h>

#include "cli/cli.h"
#include "data/csv_points.h"
#include "data/toy2d.h"
#include "diffusion/samplers.h"
#include "io/safetensors.h"
#include "prob/metrics.h"

enum { CLI_MAX_STEPS = 100000, CLI_MAX_N = 1000000 };

// ---- arguments ----------------------------------------------------------------------

// A seed: a decimal integer in 0 .. 2^64 - 1. Prints a usage error on anything else.
int cli_parse_seed(const cli_command *cmd, const char *text, uint64_t *out);

// An integer option in lo .. hi (inclusive), or a usage error naming it.
int cli_check_range(const cli_command *cmd, const char *name, int value, int lo, int hi);

// ---- data: a built-in toy set or a CSV file of points ------------------------------

typedef struct {
    int is_toy;
    td_toy_kind toy;
    td_points points;     // CSV points (is_toy == 0)
    char name[256];       // as given: "ring8" or the file path
} cli_data;

// Open `name` (a toy name, or a path ending in .csv). On failure prints nothing and
// returns a td_status with the reason (unknown names list the valid ones).
td_status cli_data_open(cli_data *d, const char *name);
void cli_data_close(cli_data *d);

// td_sampler2d / td_data_fn: draws from the toy set, or resamples the CSV points.
td_status cli_data_draw(void *ctx, td_rng *rng, float *out, int n);

// ---- training, by --model name ------------------------------------------------------

typedef struct {
    const char *model;      // the --model name
    const char *schedule;   // linear | cosine (DDPM only), NULL for the default
    const char *data;       // data set name or CSV path
    const char *out;        // .safetensors path
    int steps, batch, width, depth;
    double lr;
    uint64_t seed;
    int quiet;              // no progress line
} cli_train_args;

typedef struct {
    const char *name;       // --model value
    const char *summary;
    int (*train)(const cli_command *cmd, const cli_train_args *args);  // exit code
} cli_train_entry;

const cli_train_entry *cli_train_table(int *count);

// ---- opening a model for sampling ------------------------------------------------------

typedef struct {
    td_sampler_kind sampler;
    int steps;
    int n;
    td_rng *rng;
    td_sampler_options opts;
} cli_gen_request;

typedef struct cli_model cli_model;
struct cli_model {
    char kind[32];          // "diffusion", "exact", ...
    char sde_name[32];      // for families that have one ("" otherwise)
    int dim;                // dims of a sample (2 for the toys)
    char data[256];         // the data set the model models ("ring8", a CSV path, ...)
    void *impl;
    // out (n, dim); trajectory (steps + 1, n, dim) or NULL; nfe may be NULL.
    td_status (*generate)(cli_model *m, const cli_gen_request *req, float *out, float *trajectory,
                          long *nfe);
    void (*close)(cli_model *m);
};

// Open FILE (dispatching on its "model" metadata) or "exact" (the exact score of the
// noised ring, on the SDE called `sde_name`: vp, subvp, ve, ddpm-linear, ddpm-cosine).
// Returns a td_status with the reason on failure.
td_status cli_model_open(cli_model *m, const char *spec, const char *sde_name);
void cli_model_close(cli_model *m);

// Parse a sampler name; prints a usage error listing the names on failure.
int cli_parse_sampler(const cli_command *cmd, const char *name, td_sampler_kind *out);

// Evaluate samples x (n, 2) against the model's data set (mode metrics for the ring)
// and print td_metrics_format's block to stdout. Returns an exit code.
int cli_print_metrics(const float *x, int n, const char *data, uint64_t seed);

// Compute the metrics only (for the sweep).
td_status cli_metrics(const float *x, int n, const char *data, uint64_t seed, td_metrics *out);

#endif
