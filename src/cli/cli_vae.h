// cli_vae.h - the VAE family's rows for the train table and the checkpoint table:
// `train toy --model vae|hvae|map1d` and opening "vae" / "hvae" checkpoints for
// sample / eval (prior draws pushed through the decoder).
#ifndef TD_CLI_VAE_H
#define TD_CLI_VAE_H

#include "cli/cli_models.h"

// --model vae / hvae: hidden width = --width, --depth hidden layers per MLP, latent 2.
int cli_train_vae(const cli_command *cmd, const cli_train_args *args);
int cli_train_hvae(const cli_command *cmd, const cli_train_args *args);
// --model map1d: the 1-D monotone map with --width tanh units, target 0.5 N(-2, 0.5^2) +
// 0.5 N(2, 0.5^2) (--data is ignored); prints the error against the exact map.
int cli_train_map1d(const cli_command *cmd, const cli_train_args *args);

// Families for cli_model_open.
td_status cli_vae_open(const td_safetensors *st, cli_model *m);
td_status cli_hvae_open(const td_safetensors *st, cli_model *m);

#endif
