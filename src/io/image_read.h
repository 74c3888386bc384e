// image_read.h - a reference digit from image bytes: any size, any channel count ->
// a 28 x 28 ink map in [0, 1] (1 = stroke), framed as MNIST frames its digits.
//
// Steps (stb_image decodes; everything after is ours):
//   1. decode to RGBA (grey, grey+alpha, RGB and RGBA files alike); sides are capped
//      at TD_IMAGE_MAX_SIDE and the pixel count at TD_IMAGE_MAX_PIXELS before decoding;
//   2. ink per pixel: if the alpha channel is used (some pixel below 250), ink = alpha
//      (a drawing on a transparent canvas); else the brightest channel, inverted when
//      the border is mostly bright (dark ink on paper), with the border level as 0;
//   3. MNIST's framing: crop to the box of pixels with ink > 0.1, scale it (area
//      average, aspect kept) so its longer side is 20 pixels, and place it in the 28 x 28
//      frame with its centre of mass at the centre (14, 14). An image without ink fails.
//
// Loading from memory is the real loader; the CLI reads the file and hands the bytes.
#ifndef TD_IMAGE_READ_H
#define TD_IMAGE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

enum {
    TD_IMAGE_MAX_SIDE = 8192,
    TD_IMAGE_MAX_PIXELS = 1 << 24,
    TD_IMAGE_OUT_SIDE = 28,
};

// bytes (a PNG file) -> ink (28 * 28) floats in [0, 1], row-major. TD_ERR_FORMAT with
// stb_image's reason for bytes that are not a readable image, TD_ERR_LIMIT for an image
// over the caps, TD_ERR_ARG for an image with no ink.
td_status td_image_read_ink(const uint8_t *bytes, size_t len, float *ink);

// The framing step alone: src (h, w) ink in [0, 1] -> ink (28 * 28) as above.
td_status td_image_frame_digit(const float *src, int w, int h, float *ink);

#endif
