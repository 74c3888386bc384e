// png.h - RGB images to and from PNG bytes (stb_image_write / stb_image, in memory).
#ifndef TD_PNG_H
#define TD_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

enum { TD_PNG_MAX_SIDE = 16384 };  // pixels per side, either way

// rgb (h, w, 3) bytes -> a new malloc'd PNG file image (free() it).
td_status td_png_encode(const uint8_t *rgb, int w, int h, uint8_t **out, size_t *out_len);

// PNG bytes -> a new malloc'd rgb (h, w, 3) buffer (free() it); sides are capped.
td_status td_png_decode(const uint8_t *bytes, size_t len, uint8_t **rgb, int *w, int *h);

#endif
