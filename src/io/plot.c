// plot.c - density splatting, shading, frame and ticks.
#include "io/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void put(uint8_t *rgb, int size, int x, int y, uint8_t r, uint8_t g, uint8_t b) {
    if (x < 0 || y < 0 || x >= size || y >= size) return;
    uint8_t *p = rgb + 3 * ((size_t)y * (size_t)size + (size_t)x);
    p[0] = r;
    p[1] = g;
    p[2] = b;
}

td_status td_plot_scatter(const float *xy, int n, const float box[4], int size, uint8_t *rgb) {
    if (size < 32 || size > TD_PLOT_MAX_SIDE) return td_fail(TD_ERR_ARG, "plot size must be 32..%d, got %d", TD_PLOT_MAX_SIDE, size);
    if (n < 0 || (n > 0 && !xy)) return td_fail(TD_ERR_ARG, "plot needs n >= 0 points");
    if (!(box[1] > box[0]) || !(box[3] > box[2]) || !isfinite(box[0]) || !isfinite(box[1]) || !isfinite(box[2]) ||
        !isfinite(box[3]))
        return td_fail(TD_ERR_ARG, "plot box must be finite with xmin < xmax and ymin < ymax");
    size_t side = (size_t)size, pixels = side * side;
    float *density = calloc(pixels, sizeof(float));
    if (!density) return td_fail(TD_ERR_NOMEM, "cannot allocate a %d x %d plot", size, size);
    int margin = size / 16, inner = size - 2 * margin;   // the frame sits `margin` pixels in
    float sx = (float)inner / (box[1] - box[0]), sy = (float)inner / (box[3] - box[2]);
    for (int i = 0; i < n; i++) {
        float px = (float)margin + (xy[2 * i] - box[0]) * sx - 0.5f;
        float py = (float)margin + (box[3] - xy[2 * i + 1]) * sy - 0.5f;
        if (!(px >= (float)margin - 1.0f && px <= (float)(margin + inner)) ||
            !(py >= (float)margin - 1.0f && py <= (float)(margin + inner)))
            continue;  // also skips NaN
        int x0 = (int)floorf(px), y0 = (int)floorf(py);
        float fx = px - (float)x0, fy = py - (float)y0;
        float wts[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy};
        for (int k = 0; k < 4; k++) {
            int x = x0 + (k & 1), y = y0 + (k >> 1);
            if (x >= 0 && y >= 0 && x < size && y < size) density[(size_t)y * side + (size_t)x] += wts[k];
        }
    }
    // One point ~ a visible dot (up to 0.6 of full ink); dense modes saturate smoothly.
    for (size_t p = 0; p < pixels; p++) {
        float ink = 1.0f - expf(-density[p] * 0.9f);
        rgb[3 * p] = (uint8_t)(255.0f - ink * (255.0f - 20.0f));
        rgb[3 * p + 1] = (uint8_t)(255.0f - ink * (255.0f - 60.0f));
        rgb[3 * p + 2] = (uint8_t)(255.0f - ink * (255.0f - 140.0f));
    }
    free(density);
    // Faint axes through the origin, when it is inside the box.
    int ox = margin + (int)lroundf((0.0f - box[0]) * sx), oy = margin + (int)lroundf((box[3] - 0.0f) * sy);
    for (int k = margin; k <= margin + inner; k++) {
        if (box[0] < 0.0f && box[1] > 0.0f && rgb[3 * ((size_t)k * side + (size_t)ox)] == 255) put(rgb, size, ox, k, 225, 225, 225);
        if (box[2] < 0.0f && box[3] > 0.0f && rgb[3 * ((size_t)oy * side + (size_t)k)] == 255) put(rgb, size, k, oy, 225, 225, 225);
    }
    // The frame, and ticks at integer coordinates pointing outwards.
    for (int k = margin; k <= margin + inner; k++) {
        put(rgb, size, k, margin, 60, 60, 60);
        put(rgb, size, k, margin + inner, 60, 60, 60);
        put(rgb, size, margin, k, 60, 60, 60);
        put(rgb, size, margin + inner, k, 60, 60, 60);
    }
    int tick = margin / 3 > 2 ? margin / 3 : 2;
    for (int v = (int)ceilf(box[0]); (float)v <= box[1]; v++) {
        int x = margin + (int)lroundf(((float)v - box[0]) * sx);
        for (int t = 1; t <= tick; t++) {
            put(rgb, size, x, margin + inner + t, 60, 60, 60);
            put(rgb, size, x, margin - t, 60, 60, 60);
        }
    }
    for (int v = (int)ceilf(box[2]); (float)v <= box[3]; v++) {
        int y = margin + (int)lroundf((box[3] - (float)v) * sy);
        for (int t = 1; t <= tick; t++) {
            put(rgb, size, margin - t, y, 60, 60, 60);
            put(rgb, size, margin + inner + t, y, 60, 60, 60);
        }
    }
    return TD_OK;
}
