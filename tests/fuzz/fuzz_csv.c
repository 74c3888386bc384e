// fuzz_csv.c - libFuzzer target: td_points_parse_csv on arbitrary bytes.
//
// The parser takes a buffer that is not NUL-terminated, so the input is copied
// into an exact-size heap block: ASan then catches any read past its end. An
// accepted file must give between TD_CSV_MIN_POINTS and TD_CSV_MAX_POINTS finite
// points.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv_points.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size ? size : 1);
    if (!text) return 0;
    if (size) memcpy(text, data, size);
    td_points p;
    if (td_points_parse_csv(&p, text, size) == TD_OK) {
        if (p.n < TD_CSV_MIN_POINTS || p.n > TD_CSV_MAX_POINTS) abort();
        for (int i = 0; i < 2 * p.n; i++)
            if (!isfinite(p.xy[i])) abort();
    }
    td_points_free(&p);
    free(text);
    return 0;
}
