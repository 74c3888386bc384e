// safetensors.h - read and write .safetensors weight files, trusting nothing.
//
// The format (https://github.com/huggingface/safetensors):
//   [8 bytes]  N, the header length, unsigned little-endian
//   [N bytes]  UTF-8 JSON object: tensor name -> {"dtype", "shape", "data_offsets"},
//              plus an optional "__metadata__": {string: string}
//   [rest]     the data buffer; data_offsets [begin, end) are relative to it
//
// The reader checks everything a hostile file could get wrong before touching
// a data byte: header length against a cap and the file size; strict JSON; a
// dtype whitelist; at most 4 dims; overflow-checked element and byte counts;
// byte count == end - begin; tensors that, sorted by offset, tile the data
// buffer exactly from 0 with no gap or overlap; names non-empty, at most 255
// bytes and unique. Every failure names the tensor or field at fault.
//
// Reading from memory is the primitive (the page hands us bytes); the file
// reader is a thin wrapper. F16 and BF16 data are converted to float on copy.
#ifndef TD_SAFETENSORS_H
#define TD_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

enum {
    TD_ST_MAX_DIMS = 4,
    TD_ST_MAX_NAME = 255,                      // bytes in a tensor name
    TD_ST_MAX_HEADER = 16 * 1024 * 1024,       // bytes of JSON header
};

// Largest file td_safetensors_read_file accepts (1 GiB).
#define TD_ST_MAX_FILE ((size_t)1 << 30)

typedef enum {
    TD_DTYPE_F32,
    TD_DTYPE_F16,
    TD_DTYPE_BF16,   // read only
} td_dtype;

typedef struct {
    char *name;                     // NUL-terminated
    td_dtype dtype;
    int ndim;                       // 0 (a scalar) .. TD_ST_MAX_DIMS
    size_t shape[TD_ST_MAX_DIMS];   // unused entries are 0
    size_t numel;                   // product of shape (1 for a scalar)
    size_t begin, end;              // byte range within the data buffer
} td_st_tensor;

typedef struct {
    char *key, *value;              // NUL-terminated
} td_st_meta;

typedef struct {
    td_st_tensor *tensors;          // in data-buffer order
    size_t n_tensors;
    td_st_meta *meta;               // in header order
    size_t n_meta;
    size_t header_len;              // N
    const uint8_t *data;            // the data buffer (borrowed, or inside `owned`)
    size_t data_len;
    uint8_t *owned;                 // the file's bytes when read by td_safetensors_read_file
    td_st_tensor **by_name;         // the tensors sorted by name, for lookup
} td_safetensors;

// Parse `len` bytes. `bytes` is borrowed: it must outlive `out`. On failure
// `out` is left empty (safe to free) and the message says what is wrong.
td_status td_safetensors_parse(const uint8_t *bytes, size_t len, td_safetensors *out);

// Read and parse a whole file (at most TD_ST_MAX_FILE bytes). Messages start
// with "cannot read 'PATH': ".
td_status td_safetensors_read_file(const char *path, td_safetensors *out);

void td_safetensors_free(td_safetensors *st);

// The tensor called `name`, or NULL.
const td_st_tensor *td_safetensors_find(const td_safetensors *st, const char *name);

// Copy tensor `t` into `dst` as float (converting F16/BF16); `capacity` is the
// number of floats `dst` holds and must be at least t->numel.
td_status td_safetensors_copy_f32(const td_safetensors *st, const td_st_tensor *t, float *dst,
                                  size_t capacity);

// For model loaders: the tensor `name` must exist with exactly this shape
// (`ndim` ints); copy it into `dst` as float. Fails naming the tensor
// ("tensor 'dec.1.weight' has shape [64, 32] but the model needs [64, 16]").
td_status td_safetensors_expect(const td_safetensors *st, const char *name, int ndim,
                                const int *shape, float *dst);

// The metadata value for `key`, or NULL.
const char *td_safetensors_meta(const td_safetensors *st, const char *key);

// ---- writing ----------------------------------------------------------------

typedef struct {
    const char *name;
    int ndim;
    int shape[TD_ST_MAX_DIMS];
    const float *data;              // numel floats (may be NULL when numel is 0)
} td_st_entry;

typedef struct {
    const char *key, *value;
} td_st_pair;

// Serialise tensors (stored in the order given, as `dtype`: F32 or F16) and
// metadata into a new malloc'd buffer. The header is padded with spaces to a
// multiple of 8 bytes, as the reference implementation does.
td_status td_safetensors_write_mem(const td_st_entry *tensors, size_t n_tensors,
                                   const td_st_pair *meta, size_t n_meta, td_dtype dtype,
                                   uint8_t **out, size_t *out_len);

// The same, written atomically to `path` (temporary file + rename).
td_status td_safetensors_write_file(const char *path, const td_st_entry *tensors,
                                    size_t n_tensors, const td_st_pair *meta, size_t n_meta,
                                    td_dtype dtype);

// ---- element types ------------------------------------------------------------

const char *td_dtype_name(td_dtype dtype);   // "F32", "F16", "BF16"
size_t td_dtype_size(td_dtype dtype);        // bytes per element

// IEEE 754 binary16 <-> binary32. To-half rounds to nearest, ties to even;
// overflow gives infinity, tiny values give subnormals or signed zero, NaN
// stays NaN (quiet, sign and top payload bits kept). To-float is exact.
uint16_t td_float_to_half(float f);
float td_half_to_float(uint16_t h);
float td_bf16_to_float(uint16_t b);

#endif
