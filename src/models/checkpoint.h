// checkpoint.h - a model's parameters and metadata as a .safetensors file, and back.
//
// A checkpoint is every tensor of a td_params (declaration order, F32 or F16) plus
// string metadata. Two keys are always written first and always checked on load:
//   "model"           the model family ("diffusion", "vae", ...): which loader builds it
//   "format_version"  TD_CHECKPOINT_FORMAT_VERSION
// The remaining keys hold the sizes a loader needs to rebuild the architecture, and
// whatever describes the training run (data set, seed, steps, final loss).
//
// Loading is: parse the bytes (io/safetensors.h), td_checkpoint_check the family and
// version, read sizes with td_checkpoint_meta_int/_double/_string (each failure names
// the key), declare the architecture in a td_params, allocate, then
// td_checkpoint_read_params: every declared tensor must be present with exactly its
// shape, and the file must hold no other tensor. Messages name the offending tensor.
#ifndef TD_CHECKPOINT_H
#define TD_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "io/safetensors.h"
#include "nn/params.h"

#define TD_CHECKPOINT_FORMAT_VERSION 1

enum {
    TD_META_MAX = 64,         // metadata entries a td_meta_list holds
    TD_META_VALUE_MAX = 256,  // bytes per key or value, NUL included
};

// A small owned list of metadata pairs, filled with the td_meta_add_* helpers.
typedef struct {
    int n;
    char keys[TD_META_MAX][TD_META_VALUE_MAX];
    char values[TD_META_MAX][TD_META_VALUE_MAX];
} td_meta_list;

void td_meta_init(td_meta_list *m);
// Add (or replace) key = value. TD_ERR_LIMIT when full or a string is too long.
td_status td_meta_add_string(td_meta_list *m, const char *key, const char *value);
td_status td_meta_add_int(td_meta_list *m, const char *key, long long value);
td_status td_meta_add_double(td_meta_list *m, const char *key, double value);  // round-trips exactly
// Add (or replace) every entry of `extra` (NULL adds nothing): a saver's caller-supplied keys.
td_status td_meta_add_all(td_meta_list *m, const td_meta_list *extra);

// Serialise p (allocated) with "model" = kind, "format_version", then `meta` (may be
// NULL) into a new malloc'd buffer. `meta` must not set "model" or "format_version".
td_status td_checkpoint_write_mem(const td_params *p, const char *kind, const td_meta_list *meta,
                                  td_dtype dtype, uint8_t **out, size_t *out_len);

// The same written atomically to `path`.
td_status td_checkpoint_save(const char *path, const td_params *p, const char *kind,
                             const td_meta_list *meta, td_dtype dtype);

// The file's "model" value, or NULL when it has none.
const char *td_checkpoint_kind(const td_safetensors *st);

// "model" must equal `kind` and "format_version" must be one this build reads;
// TD_ERR_FORMAT otherwise, naming what was found.
td_status td_checkpoint_check(const td_safetensors *st, const char *kind);

// Metadata values, parsed completely and range-checked; failures name the key.
td_status td_checkpoint_meta_string(const td_safetensors *st, const char *key, const char **out);
td_status td_checkpoint_meta_int(const td_safetensors *st, const char *key, long long lo,
                                 long long hi, int *out);
td_status td_checkpoint_meta_double(const td_safetensors *st, const char *key, double lo,
                                    double hi, double *out);

// Copy every tensor of p (allocated) from the file, checking shapes; the file may not
// hold tensors p does not declare. TD_ERR_SHAPE / TD_ERR_FORMAT naming the tensor.
td_status td_checkpoint_read_params(const td_safetensors *st, td_params *p);

#endif
