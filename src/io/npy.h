// npy.h - float32 arrays in NumPy's .npy format (version 1.0), for the CLI's samples
// and trajectories: np.load("samples.npy") gives an (N, 2) float32 array.
//
// Layout: "\x93NUMPY", version 1 0, a 2-byte little-endian header length, then an
// ASCII dict {'descr': '<f4', 'fortran_order': False, 'shape': (N, 2), } padded with
// spaces and a '\n' so the data starts on a 64-byte boundary, then the data (C order).
#ifndef TD_NPY_H
#define TD_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

enum { TD_NPY_MAX_DIMS = 8 };

// data (shape[0], ..., shape[ndim-1]) -> a new malloc'd buffer. ndim 1..8, dims >= 0.
// Values are stored little-endian whatever the host.
td_status td_npy_write_mem(const float *data, int ndim, const size_t *shape, uint8_t **out,
                           size_t *out_len);

// The same, written atomically to `path`.
td_status td_npy_write_file(const char *path, const float *data, int ndim, const size_t *shape);

#endif
