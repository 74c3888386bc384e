// mnist_fixture.h - load the MNIST cache for tests that need real digits.
//
// The cache is built by scripts/fetch-mnist.sh (scripts/test.sh runs it first).
// A missing cache is a failure, not a skip: the message says how to make it.
#ifndef TD_MNIST_FIXTURE_H
#define TD_MNIST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "data/mnist.h"
#include "io/file.h"

#define MNIST_FIXTURE_PATH TD_SOURCE_DIR "/" TD_MNIST_CACHE_PATH

// 0 and a filled `m`, or -1 after printing why (then every later check fails).
static int mnist_fixture_load(td_mnist *m) {
    uint8_t *bytes = NULL;
    size_t size = 0;
    if (td_file_read(MNIST_FIXTURE_PATH, 64u << 20, &bytes, &size) != TD_OK) {
        printf("    %s\n    (run `bash scripts/fetch-mnist.sh` to build the cache)\n",
               td_error_message());
        return -1;
    }
    td_status st = td_mnist_parse(m, bytes, size);
    free(bytes);
    if (st != TD_OK) {
        printf("    %s\n", td_error_message());
        return -1;
    }
    return 0;
}

#endif
