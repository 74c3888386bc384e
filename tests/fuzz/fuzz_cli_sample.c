// fuzz_cli_sample.c - libFuzzer target: the argument checks of `thinkdiff sample`.
//
// The input is split at NUL and newline bytes into at most MAX_ARGS arguments
// after "sample" (each in its own exact-size heap block, so ASan sees any read
// past an argument's end). cli_sample_parse opens no file and runs nothing; when
// it accepts, what it returns must satisfy the ranges the usage text promises.
// Usage errors go to stderr: run with -close_fd_mask=2 (scripts/fuzz.sh does) to
// keep them out of libFuzzer's log.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_models.h"
#include "cli/cli_sample.h"

enum { MAX_ARGS = 24 };

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *argv[MAX_ARGS + 2] = {0};
    int argc = 0;
    char name[] = "sample";
    argv[argc++] = name;
    size_t start = 0;
    for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
        if (i < size && data[i] != '\0' && data[i] != '\n') continue;
        size_t len = i - start;
        char *arg = malloc(len + 1);
        if (!arg) break;
        memcpy(arg, data + start, len);
        arg[len] = '\0';
        argv[argc++] = arg;
        start = i + 1;
    }
    cli_sample_args a;
    if (cli_sample_parse(argc, argv, &a) == CLI_OK) {
        if (a.steps < 1 || a.steps > CLI_MAX_STEPS || a.n < 1 || a.n > CLI_MAX_N) abort();
        if (!a.model || !a.out || !(ends_with(a.out, ".png") || ends_with(a.out, ".npy"))) abort();
        if (a.trajectory && (size_t)(a.steps + 1) * (size_t)a.n * 2 > CLI_MAX_TRAJECTORY_FLOATS) abort();
    }
    for (int i = 1; i < argc; i++) free(argv[i]);
    return 0;
}
