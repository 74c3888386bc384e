// cli_digits.h - `thinkdiff train digits --model NAME`: models of coloured MNIST,
// one row per model in cmd_train_digits.c's table.
#ifndef TD_CLI_DIGITS_H
#define TD_CLI_DIGITS_H

#include <stdint.h>

#include "cli/cli.h"
#include "core/status.h"
#include "data/mnist.h"

typedef struct {
    const char *model;       // --model
    const char *out;         // --out FILE.safetensors
    const char *data;        // --data: the MNIST cache (NULL: TD_MNIST_CACHE_PATH)
    int steps, batch;        // 0: the model's default
    int width;               // --width: the digit VAEs' hidden width (0: td_digit_vae_defaults)
    double lr;               // 0: the model's default
    uint64_t seed;
    int quiet;
    const td_mnist *mnist;   // the parsed cache
    const char *vae;         // --vae FILE: latent diffusion's VAE (NULL: the shipped one)
} cli_digits_train_args;

typedef struct {
    const char *name;
    const char *summary;
    int (*train)(const cli_command *cmd, const cli_digits_train_args *args);   // exit code
} cli_digits_train_entry;

// The whole `train digits ...` argv (argv[0] = "train", argv[1] = "digits").
int cli_train_digits(int argc, char **argv);

// Read and parse the MNIST cache at `path`; the reason names the fetch script on failure.
td_status cli_digits_load_mnist(const char *path, td_mnist *out);

#endif
