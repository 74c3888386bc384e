// image_read.c - decode (stb_image, compiled in io/stb_impl.c), ink map, MNIST framing.
#include "io/image_read.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stb_image.h"

enum { BOX = 20 };   // MNIST fits each digit into 20 x 20, then centres its mass in 28 x 28

// Area-average resampling: src (sh, sw) region starting at (y0, x0) of a (.., stride)
// image -> dst (dh, dw). Each output pixel averages the source area it covers.
static void resample(const float *src, int stride, int x0, int y0, int sw, int sh, float *dst, int dw, int dh) {
    const double sx = (double)sw / dw, sy = (double)sh / dh;
    for (int i = 0; i < dh; i++) {
        double ya = i * sy, yb = (i + 1) * sy;
        for (int j = 0; j < dw; j++) {
            double xa = j * sx, xb = (j + 1) * sx, acc = 0.0, area = 0.0;
            for (int y = (int)ya; y < sh && y < yb; y++) {
                double wy = fmin(yb, y + 1.0) - fmax(ya, (double)y);
                if (wy <= 0.0) continue;
                for (int x = (int)xa; x < sw && x < xb; x++) {
                    double wx = fmin(xb, x + 1.0) - fmax(xa, (double)x);
                    if (wx <= 0.0) continue;
                    acc += wx * wy * (double)src[(size_t)(y0 + y) * (size_t)stride + (size_t)(x0 + x)];
                    area += wx * wy;
                }
            }
            dst[i * dw + j] = area > 0.0 ? (float)(acc / area) : 0.0f;
        }
    }
}

td_status td_image_frame_digit(const float *src, int w, int h, float *ink) {
    if (!src || !ink || w <= 0 || h <= 0) return td_fail(TD_ERR_ARG, "framing needs an image of positive size");
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (src[(size_t)y * (size_t)w + (size_t)x] > 0.1f) {
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
    if (x1 < 0) return td_fail(TD_ERR_ARG, "the reference image has no ink (no stroke brighter than 10%%)");
    int cw = x1 - x0 + 1, ch = y1 - y0 + 1;
    int bw = cw >= ch ? BOX : (int)lround((double)BOX * cw / ch), bh = ch >= cw ? BOX : (int)lround((double)BOX * ch / cw);
    if (bw < 1) bw = 1;
    if (bh < 1) bh = 1;
    float box[BOX * BOX];
    resample(src, w, x0, y0, cw, ch, box, bw, bh);
    // Centre of mass of the box -> offsets placing it at (14, 14), kept inside the frame.
    double m = 0.0, mx = 0.0, my = 0.0;
    for (int i = 0; i < bh; i++)
        for (int j = 0; j < bw; j++) {
            double v = (double)box[i * bw + j];
            m += v;
            mx += v * (j + 0.5);
            my += v * (i + 0.5);
        }
    int ox = (int)lround(14.0 - (m > 0.0 ? mx / m : bw / 2.0)), oy = (int)lround(14.0 - (m > 0.0 ? my / m : bh / 2.0));
    ox = ox < 0 ? 0 : ox > TD_IMAGE_OUT_SIDE - bw ? TD_IMAGE_OUT_SIDE - bw : ox;
    oy = oy < 0 ? 0 : oy > TD_IMAGE_OUT_SIDE - bh ? TD_IMAGE_OUT_SIDE - bh : oy;
    memset(ink, 0, TD_IMAGE_OUT_SIDE * TD_IMAGE_OUT_SIDE * sizeof(float));
    for (int i = 0; i < bh; i++)
        for (int j = 0; j < bw; j++) {
            float v = box[i * bw + j];
            ink[(oy + i) * TD_IMAGE_OUT_SIDE + ox + j] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        }
    return TD_OK;
}

td_status td_image_read_ink(const uint8_t *bytes, size_t len, float *ink) {
    if (!bytes || !ink) return td_fail(TD_ERR_ARG, "reading an image needs bytes and an output");
    if (len == 0 || len > (size_t)0x7fffffff) return td_fail(TD_ERR_FORMAT, "an image file of %zu bytes cannot be read", len);
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(bytes, (int)len, &w, &h, &comp))
        return td_fail(TD_ERR_FORMAT, "the reference is not a readable PNG image (%s)", stbi_failure_reason());
    if (w <= 0 || h <= 0 || w > TD_IMAGE_MAX_SIDE || h > TD_IMAGE_MAX_SIDE ||
        (size_t)w * (size_t)h > (size_t)TD_IMAGE_MAX_PIXELS)
        return td_fail(TD_ERR_LIMIT, "a %d x %d reference image exceeds the cap of %d pixels a side and %d pixels",
                       w, h, TD_IMAGE_MAX_SIDE, TD_IMAGE_MAX_PIXELS);
    int n = 0;
    unsigned char *rgba = stbi_load_from_memory(bytes, (int)len, &w, &h, &n, 4);
    if (!rgba) {
        const char *why = stbi_failure_reason();   // NULL or "" on some of stb's paths
        if (why && strcmp(why, "outofmem") == 0)     // stb_impl.c's allocation cap
            return td_fail(TD_ERR_LIMIT, "the reference image claims more data than a %d x %d image can hold", w, h);
        return td_fail(TD_ERR_FORMAT, "the reference image could not be decoded (%s)",
                       why && *why ? why : "corrupt or truncated data");
    }
    size_t count = (size_t)w * (size_t)h;
    float *val = malloc(count * sizeof(float));
    if (!val) {
        stbi_image_free(rgba);
        return td_fail(TD_ERR_NOMEM, "out of memory for a %d x %d image", w, h);
    }
    int uses_alpha = 0;
    for (size_t i = 0; i < count; i++) uses_alpha |= rgba[4 * i + 3] < 250;
    double border = 0.0;
    long n_border = 0;
    for (size_t i = 0; i < count; i++) {
        const unsigned char *px = rgba + 4 * i;
        unsigned char mx = px[0] > px[1] ? px[0] : px[1];
        mx = mx > px[2] ? mx : px[2];
        val[i] = uses_alpha ? px[3] / 255.0f : mx / 255.0f;
        size_t y = i / (size_t)w, x = i % (size_t)w;
        if (y == 0 || x == 0 || y + 1 == (size_t)h || x + 1 == (size_t)w) {
            border += (double)val[i];
            n_border++;
        }
    }
    stbi_image_free(rgba);
    if (!uses_alpha && n_border > 0) {
        // Dark ink on light paper is inverted; then the background level (the border's
        // mean) becomes 0 and full ink stays 1, so grey paper does not count as ink.
        double b = border / (double)n_border;
        int invert = b > 0.5;
        float bg = (float)(invert ? 1.0 - b : b), span = 1.0f - bg;
        for (size_t i = 0; i < count; i++) {
            float v = invert ? 1.0f - val[i] : val[i];
            v = span > 1e-3f ? (v - bg) / span : v;
            val[i] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        }
    }
    td_status st = td_image_frame_digit(val, w, h, ink);
    free(val);
    return st;
}
