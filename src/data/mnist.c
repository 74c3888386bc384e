// mnist.c - parse and write the compact MNIST cache (format in mnist.h).
#include "data/mnist.h"

#include <stdlib.h>
#include <string.h>

static const char MAGIC[8] = {'T', 'D', 'M', 'N', 'I', 'S', 'T', '1'};

uint32_t td_fnv1a32(const uint8_t *bytes, size_t n) {
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++) h = (h ^ bytes[i]) * 0x01000193u;
    return h;
}

static uint32_t read_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void write_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

// Bytes after the header for `count` images: count * (784 + 1).
static int payload_size(size_t count, size_t *out) {
    return td_mul_size(count, (size_t)TD_MNIST_PIXELS + 1, out);
}

td_status td_mnist_parse(td_mnist *m, const uint8_t *bytes, size_t size) {
    if (!m) return td_fail(TD_ERR_ARG, "mnist: no output struct given");
    memset(m, 0, sizeof *m);
    if (!bytes && size > 0) return td_fail(TD_ERR_ARG, "mnist: NULL bytes with size %zu", size);
    if (size < TD_MNIST_HEADER_BYTES)
        return td_fail(TD_ERR_FORMAT, "mnist cache: %zu bytes is shorter than the %d-byte header",
                       size, TD_MNIST_HEADER_BYTES);
    if (memcmp(bytes, MAGIC, sizeof MAGIC) != 0)
        return td_fail(TD_ERR_FORMAT, "mnist cache: bad magic (expected \"TDMNIST1\")");
    uint32_t count = read_u32(bytes + 8), rows = read_u32(bytes + 12), cols = read_u32(bytes + 16);
    if (rows != TD_MNIST_SIDE || cols != TD_MNIST_SIDE)
        return td_fail(TD_ERR_FORMAT, "mnist cache: images are %u x %u, expected 28 x 28",
                       rows, cols);
    if (count == 0 || count > TD_MNIST_MAX_COUNT)
        return td_fail(TD_ERR_FORMAT, "mnist cache: count %u is outside 1..%d", count,
                       TD_MNIST_MAX_COUNT);
    size_t payload = 0, expected = 0;
    if (payload_size(count, &payload) || td_add_size(payload, TD_MNIST_HEADER_BYTES, &expected))
        return td_fail(TD_ERR_FORMAT, "mnist cache: count %u overflows the file size", count);
    if (size != expected)
        return td_fail(TD_ERR_FORMAT, "mnist cache: %zu bytes, expected %zu for %u images",
                       size, expected, count);
    const uint8_t *data = bytes + TD_MNIST_HEADER_BYTES;
    uint32_t stored = read_u32(bytes + 20), actual = td_fnv1a32(data, payload);
    if (stored != actual)
        return td_fail(TD_ERR_FORMAT, "mnist cache: checksum %08x does not match the data (%08x)",
                       stored, actual);
    size_t n_pixels = (size_t)count * TD_MNIST_PIXELS;   // < payload: cannot overflow
    const uint8_t *labels = data + n_pixels;
    for (uint32_t i = 0; i < count; i++) {
        if (labels[i] >= TD_MNIST_CLASSES)
            return td_fail(TD_ERR_FORMAT, "mnist cache: image %u has label %u, not 0..9", i,
                           labels[i]);
    }
    m->pixels = malloc(n_pixels);
    m->labels = malloc(count);
    if (!m->pixels || !m->labels) {
        td_mnist_free(m);
        return td_fail(TD_ERR_NOMEM, "mnist: cannot allocate %zu bytes of images", payload);
    }
    memcpy(m->pixels, data, n_pixels);
    memcpy(m->labels, labels, count);
    m->count = (int)count;
    return TD_OK;
}

td_status td_mnist_serialize(const uint8_t *pixels, const uint8_t *labels, int count,
                             uint8_t **out, size_t *out_size) {
    if (!out || !out_size) return td_fail(TD_ERR_ARG, "mnist: no output pointers given");
    *out = NULL;
    *out_size = 0;
    if (count <= 0 || count > TD_MNIST_MAX_COUNT || !pixels || !labels)
        return td_fail(TD_ERR_ARG, "mnist: cannot write %d images (1..%d with data)", count,
                       TD_MNIST_MAX_COUNT);
    for (int i = 0; i < count; i++) {
        if (labels[i] >= TD_MNIST_CLASSES)
            return td_fail(TD_ERR_ARG, "mnist: image %d has label %u, not 0..9", i, labels[i]);
    }
    size_t n = (size_t)count, payload = 0, total = 0;
    if (payload_size(n, &payload) || td_add_size(payload, TD_MNIST_HEADER_BYTES, &total))
        return td_fail(TD_ERR_LIMIT, "mnist: %d images overflow the file size", count);
    uint8_t *bytes = malloc(total);
    if (!bytes) return td_fail(TD_ERR_NOMEM, "mnist: cannot allocate %zu bytes", total);
    memcpy(bytes, MAGIC, sizeof MAGIC);
    write_u32(bytes + 8, (uint32_t)count);
    write_u32(bytes + 12, TD_MNIST_SIDE);
    write_u32(bytes + 16, TD_MNIST_SIDE);
    memcpy(bytes + TD_MNIST_HEADER_BYTES, pixels, n * TD_MNIST_PIXELS);
    memcpy(bytes + TD_MNIST_HEADER_BYTES + n * TD_MNIST_PIXELS, labels, n);
    write_u32(bytes + 20, td_fnv1a32(bytes + TD_MNIST_HEADER_BYTES, payload));
    *out = bytes;
    *out_size = total;
    return TD_OK;
}

void td_mnist_free(td_mnist *m) {
    if (!m) return;
    free(m->pixels);
    free(m->labels);
    memset(m, 0, sizeof *m);
}
