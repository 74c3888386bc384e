// npy.c - the .npy writer: magic, padded header dict, little-endian float32 data.
#include "io/npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/file.h"

td_status td_npy_write_mem(const float *data, int ndim, const size_t *shape, uint8_t **out,
                           size_t *out_len) {
    if (ndim < 1 || ndim > TD_NPY_MAX_DIMS) return td_fail(TD_ERR_ARG, "npy arrays have 1..%d dims, got %d", TD_NPY_MAX_DIMS, ndim);
    size_t count = 1, bytes;
    char dict[512];
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < ndim; i++) {
        if (td_mul_size(count, shape[i], &count)) return td_fail(TD_ERR_LIMIT, "npy array size overflows");
        len += snprintf(dict + len, sizeof dict - (size_t)len, "%zu%s", shape[i], ndim == 1 ? "," : i + 1 < ndim ? ", " : "");
    }
    len += snprintf(dict + len, sizeof dict - (size_t)len, "), }");
    if (count > 0 && !data) return td_fail(TD_ERR_ARG, "npy data is NULL");
    // magic (6) + version (2) + header length (2) + dict + padding + '\n' = multiple of 64
    size_t head = 10 + (size_t)len + 1;
    size_t pad = (64 - head % 64) % 64, header_len = (size_t)len + pad + 1;
    if (td_mul_size(count, 4, &bytes) || td_add_size(bytes, 10 + header_len, &bytes))
        return td_fail(TD_ERR_LIMIT, "npy array size overflows");
    uint8_t *buf = malloc(bytes);
    if (!buf) return td_fail(TD_ERR_NOMEM, "cannot allocate %zu bytes for the npy file", bytes);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (uint8_t)(header_len & 0xff);
    buf[9] = (uint8_t)(header_len >> 8);
    memcpy(buf + 10, dict, (size_t)len);
    memset(buf + 10 + len, ' ', pad);
    buf[10 + header_len - 1] = '\n';
    uint8_t *p = buf + 10 + header_len;
    for (size_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &data[i], 4);
        p[4 * i] = (uint8_t)u;
        p[4 * i + 1] = (uint8_t)(u >> 8);
        p[4 * i + 2] = (uint8_t)(u >> 16);
        p[4 * i + 3] = (uint8_t)(u >> 24);
    }
    *out = buf;
    *out_len = bytes;
    return TD_OK;
}

td_status td_npy_write_file(const char *path, const float *data, int ndim, const size_t *shape) {
    uint8_t *buf;
    size_t len;
    td_status st = td_npy_write_mem(data, ndim, shape, &buf, &len);
    if (st != TD_OK) return st;
    st = td_file_write_atomic(path, buf, len);
    free(buf);
    return st;
}
