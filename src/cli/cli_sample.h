// cli_sample.h - the argument checks of `thinkdiff sample` (2-D models), apart from
// the run, so tests and the fuzzer (tests/fuzz/fuzz_cli_sample.c) can drive them
// without opening a model or sampling.
#ifndef TD_CLI_SAMPLE_H
#define TD_CLI_SAMPLE_H

#include <stdint.h>

#include "diffusion/samplers.h"

// Caps the checks enforce (the usage text in cmd_sample.c quotes them).
#define CLI_MAX_TRAJECTORY_FLOATS ((size_t)200000000)

typedef struct {
    const char *model;        // a checkpoint path or "exact"
    const char *sde, *data;   // --model exact only (NULL: the defaults)
    const char *out;          // .npy or .png
    const char *trajectory;   // .npy or NULL
    int steps, n;
    uint64_t seed;
    td_sampler_kind sampler;
    int png;                  // --out ends in .png
} cli_sample_args;

// Parse argv (argv[0] = "sample") into `a`, checking every value that does not need
// the model: ranges of --steps and --n, the seed, the sampler name, file suffixes,
// option combinations and the trajectory cap for 2-D samples. Opens no file. Returns
// CLI_OK, or prints one usage error to stderr and returns CLI_USAGE.
int cli_sample_parse(int argc, char **argv, cli_sample_args *a);

#endif
