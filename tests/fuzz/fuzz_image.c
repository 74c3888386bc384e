// fuzz_image.c - libFuzzer target: td_image_read_ink (stb_image behind our caps).
//
// Any bytes: a status, never a crash, and an accepted image gives 28 x 28 ink
// values in [0, 1]. The caps (TD_IMAGE_MAX_SIDE, TD_IMAGE_MAX_PIXELS) are checked
// before stb_image allocates, so a tiny file claiming a huge image is refused
// cheaply; -rss_limit_mb catches a cap that does not hold.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "io/image_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    float ink[TD_IMAGE_OUT_SIDE * TD_IMAGE_OUT_SIDE];
    if (td_image_read_ink(data, size, ink) == TD_OK)
        for (int i = 0; i < TD_IMAGE_OUT_SIDE * TD_IMAGE_OUT_SIDE; i++)
            if (!(ink[i] >= 0.0f && ink[i] <= 1.0f)) abort();
    return 0;
}
