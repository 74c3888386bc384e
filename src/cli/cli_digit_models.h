// cli_digit_models.h - the digit VAEs, latent diffusion and style on the command line:
//   train digits --model vae|cvae|latent   (rows of cmd_train_digits.c's table)
//   sample --model digit_*.safetensors ... (cmd_sample.c hands over digit checkpoints)
//   eval digits ...                        (cmd_eval.c hands over)
#ifndef TD_CLI_DIGIT_MODELS_H
#define TD_CLI_DIGIT_MODELS_H

#include "cli/cli.h"
#include "cli/cli_digits.h"

// Where the shipped weights live, relative to the repository root.
#define CLI_DIGIT_WEIGHTS "web/weights/"
#define CLI_DIGIT_VAE_FILE CLI_DIGIT_WEIGHTS "digit_vae.safetensors"
#define CLI_DIGIT_CVAE_FILE CLI_DIGIT_WEIGHTS "digit_cvae.safetensors"
#define CLI_DIGIT_LATENT_FILE CLI_DIGIT_WEIGHTS "digit_latent.safetensors"
#define CLI_DIGIT_CLASSIFIER_FILE CLI_DIGIT_WEIGHTS "classifier.safetensors"

int cli_train_digit_vae(const cli_command *cmd, const cli_digits_train_args *a);
int cli_train_digit_cvae(const cli_command *cmd, const cli_digits_train_args *a);
int cli_train_digit_latent(const cli_command *cmd, const cli_digits_train_args *a);

// 1 when argv has `--model FILE` (or --model=FILE) naming a checkpoint whose "model"
// metadata starts with "digit-": cmd_sample.c then calls cli_digits_sample.
int cli_digits_is_digit_model(int argc, char **argv);

extern const cli_command cli_digits_sample_cmd, cli_digits_eval_cmd;
int cli_digits_sample(int argc, char **argv);
int cli_digits_eval(int argc, char **argv);

#endif
