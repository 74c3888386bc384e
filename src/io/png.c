// png.c - thin, checked wrappers over stb's PNG writer and reader.
#include "io/png.h"

#include <stdlib.h>
#include <string.h>

#include "stb_image.h"
#include "stb_image_write.h"

typedef struct {
    uint8_t *buf;
    size_t len, cap;
    int failed;
} sink;

// stb calls this with each piece of the file; we append to a growing buffer.
static void sink_write(void *ctx, void *data, int size) {
    sink *s = ctx;
    if (s->failed || size <= 0) return;
    size_t n = (size_t)size;
    if (n > s->cap - s->len) {
        size_t cap = s->cap ? s->cap : 4096;
        while (n > cap - s->len && cap < ((size_t)1 << 31)) cap *= 2;
        uint8_t *grown = n <= cap - s->len ? realloc(s->buf, cap) : NULL;
        if (!grown) {
            s->failed = 1;
            return;
        }
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
}

td_status td_png_encode(const uint8_t *rgb, int w, int h, uint8_t **out, size_t *out_len) {
    if (!rgb || w < 1 || h < 1 || w > TD_PNG_MAX_SIDE || h > TD_PNG_MAX_SIDE)
        return td_fail(TD_ERR_ARG, "PNG images must be 1..%d pixels a side, got %d x %d", TD_PNG_MAX_SIDE, w, h);
    sink s = {NULL, 0, 0, 0};
    int ok = stbi_write_png_to_func(sink_write, &s, w, h, 3, rgb, w * 3);
    if (!ok || s.failed) {
        free(s.buf);
        return td_fail(TD_ERR_NOMEM, "cannot encode a %d x %d PNG", w, h);
    }
    *out = s.buf;
    *out_len = s.len;
    return TD_OK;
}

td_status td_png_decode(const uint8_t *bytes, size_t len, uint8_t **rgb, int *w, int *h) {
    int x, y, comp;
    if (!bytes || len == 0 || len > (size_t)0x7fffffff) return td_fail(TD_ERR_ARG, "PNG data is empty or too large");
    if (!stbi_info_from_memory(bytes, (int)len, &x, &y, &comp))
        return td_fail(TD_ERR_FORMAT, "not a PNG image (%s)", stbi_failure_reason());
    if (x < 1 || y < 1 || x > TD_PNG_MAX_SIDE || y > TD_PNG_MAX_SIDE)
        return td_fail(TD_ERR_LIMIT, "PNG image of %d x %d exceeds %d pixels a side", x, y, TD_PNG_MAX_SIDE);
    uint8_t *pixels = stbi_load_from_memory(bytes, (int)len, &x, &y, &comp, 3);
    if (!pixels) return td_fail(TD_ERR_FORMAT, "cannot decode the PNG (%s)", stbi_failure_reason());
    // stbi_image_free is free() by default; copy so callers can free() with certainty.
    size_t n = (size_t)x * (size_t)y * 3;
    uint8_t *copy = malloc(n);
    if (copy) memcpy(copy, pixels, n);
    stbi_image_free(pixels);
    if (!copy) return td_fail(TD_ERR_NOMEM, "cannot allocate the decoded PNG");
    *rgb = copy;
    *w = x;
    *h = y;
    return TD_OK;
}
