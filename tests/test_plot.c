// test_plot.c - the CLI's outputs: .npy bytes exactly as NumPy writes them, PNG encode /
// decode round trips, and scatter plots that put ink where the points are.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/toy2d.h"
#include "io/npy.h"
#include "io/plot.h"
#include "io/png.h"

TEST(npy_header_is_numpys_and_the_data_follows_on_a_64_byte_boundary) {
    const float data[6] = {1.0f, -2.0f, 0.5f, 3.25f, 0.0f, 1e-3f};
    size_t shape[2] = {3, 2};
    uint8_t *b;
    size_t len;
    CHECK_EQ(td_npy_write_mem(data, 2, shape, &b, &len), TD_OK);
    CHECK(memcmp(b, "\x93NUMPY\x01\x00", 8) == 0);
    size_t header = (size_t)b[8] | (size_t)b[9] << 8;
    CHECK_EQ((10 + header) % 64, 0);
    CHECK_EQ(len, 10 + header + sizeof data);
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
    CHECK(memcmp(b + 10, dict, strlen(dict)) == 0);
    CHECK_EQ(b[10 + header - 1], '\n');
    CHECK_EQ(b[10 + header - 2], ' ');
    float back[6];
    memcpy(back, b + 10 + header, sizeof back);  // little-endian host: the bytes are the floats
    CHECK(memcmp(back, data, sizeof data) == 0);
    free(b);
    // One dimension needs the trailing comma of a Python 1-tuple; three dims list all.
    size_t one[1] = {6}, three[3] = {1, 3, 2};
    CHECK_EQ(td_npy_write_mem(data, 1, one, &b, &len), TD_OK);
    CHECK(strstr((const char *)b + 10, "'shape': (6,), }") != NULL);
    free(b);
    CHECK_EQ(td_npy_write_mem(data, 3, three, &b, &len), TD_OK);
    CHECK(strstr((const char *)b + 10, "'shape': (1, 3, 2), }") != NULL);
    free(b);
    CHECK_EQ(td_npy_write_mem(data, 0, one, &b, &len), TD_ERR_ARG);
    size_t huge[2] = {(size_t)-1, 4};
    CHECK_EQ(td_npy_write_mem(data, 2, huge, &b, &len), TD_ERR_LIMIT);
}

TEST(png_encoding_round_trips_pixels_exactly_and_garbage_is_refused) {
    enum { W = 37, H = 21 };
    uint8_t rgb[W * H * 3];
    for (int i = 0; i < W * H * 3; i++) rgb[i] = (uint8_t)(i * 7 + i / 5);
    uint8_t *png, *back;
    size_t len;
    int w, h;
    CHECK_EQ(td_png_encode(rgb, W, H, &png, &len), TD_OK);
    CHECK(memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    CHECK_EQ(td_png_decode(png, len, &back, &w, &h), TD_OK);
    CHECK_EQ(w, W);
    CHECK_EQ(h, H);
    CHECK(memcmp(back, rgb, sizeof rgb) == 0);
    free(back);
    png[len / 2] ^= 0x55;  // a flipped byte breaks the zlib stream or its checksum
    uint8_t *bad = NULL;
    td_status st = td_png_decode(png, len, &bad, &w, &h);
    if (st == TD_OK) free(bad);
    CHECK_EQ(td_png_decode((const uint8_t *)"not a png", 9, &back, &w, &h), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "not a PNG");
    CHECK_EQ(td_png_encode(rgb, 0, H, &png, &len), TD_ERR_ARG);
    free(png);
}

static int dark(const uint8_t *rgb, int size, int x, int y) {
    const uint8_t *p = rgb + 3 * ((size_t)y * (size_t)size + (size_t)x);
    return p[0] < 200;
}

TEST(a_scatter_plot_inks_the_eight_ring_modes_and_leaves_the_centre_white) {
    enum { S = 256, N = 4000 };
    static float xy[N * 2];
    static uint8_t rgb[S * S * 3];
    td_rng rng;
    td_rng_seed(&rng, 1, 0);
    CHECK_EQ(td_toy_sample(TD_TOY_RING8, &rng, xy, N), TD_OK);
    const float box[4] = {-4, 4, -4, 4};
    CHECK_EQ(td_plot_scatter(xy, N, box, S, rgb), TD_OK);
    int margin = S / 16, inner = S - 2 * margin, hit = 0;
    float centres[16];
    td_ring8 ring = td_ring8_default();
    td_ring8_centres(&ring, centres);
    for (int k = 0; k < 8; k++) {
        int x = margin + (int)((centres[2 * k] + 4.0f) / 8.0f * (float)inner);
        int y = margin + (int)((4.0f - centres[2 * k + 1]) / 8.0f * (float)inner);
        int any = 0;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) any |= dark(rgb, S, x + dx, y + dy);
        hit += any;
    }
    CHECK_EQ(hit, 8);
    CHECK(!dark(rgb, S, S / 2 + 10, S / 2 + 10));                 // inside the ring: empty
    CHECK(dark(rgb, S, margin, S / 3) && dark(rgb, S, S / 3, margin));  // the frame
    // No points: only the frame and axes are drawn, nothing at a mode.
    CHECK_EQ(td_plot_scatter(xy, 0, box, S, rgb), TD_OK);
    CHECK(!dark(rgb, S, margin + (int)(6.0f / 8.0f * (float)inner), S / 2 - 3));
    // NaN points are skipped, bad boxes and sizes refused.
    xy[0] = NAN;
    CHECK_EQ(td_plot_scatter(xy, N, box, S, rgb), TD_OK);
    const float empty[4] = {1, 1, -1, 1};
    CHECK_EQ(td_plot_scatter(xy, N, empty, S, rgb), TD_ERR_ARG);
    CHECK_EQ(td_plot_scatter(xy, N, box, 8, rgb), TD_ERR_ARG);
}

int main(void) {
    RUN(npy_header_is_numpys_and_the_data_follows_on_a_64_byte_boundary);
    RUN(png_encoding_round_trips_pixels_exactly_and_garbage_is_refused);
    RUN(a_scatter_plot_inks_the_eight_ring_modes_and_leaves_the_centre_white);
    return check_summary("test_plot");
}
