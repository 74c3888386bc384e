// test_image_read.c - reference digits from PNG bytes: grey, RGB on paper and RGBA on a
// transparent canvas all give the same MNIST-framed ink map; bad bytes give reasons.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/image_read.h"
#include "io/png.h"

// From stb_image_write (compiled into the library by io/stb_impl.c).
unsigned char *stbi_write_png_to_mem(const unsigned char *pixels, int stride_bytes, int x, int y, int n, int *out_len);

enum { W = 90, H = 60 };

// A slanted bar, 1 inside: the same "digit" drawn in each test.
static int stroke(int x, int y) { return y > 8 && y < 52 && abs(x - 45 - (30 - y) / 3) < 5; }

static uint8_t *png_of(int channels, int mode, int *len) {
    static uint8_t px[W * H * 4];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = px + (y * W + x) * channels;
            int s = stroke(x, y);
            for (int c = 0; c < channels; c++) {
                if (mode == 0) p[c] = s ? 255 : 0;                          // light ink on black
                else if (mode == 1) p[c] = s ? 20 : 235;                    // dark ink on paper
                else p[c] = c == 3 ? (uint8_t)(s ? 255 : 0) : 0;            // black ink, alpha canvas
            }
        }
    return stbi_write_png_to_mem(px, W * channels, W, H, channels, len);
}

static void mass_centre(const float *ink, double *cx, double *cy, double *m) {
    *cx = *cy = *m = 0.0;
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++) {
            double v = (double)ink[y * 28 + x];
            *m += v, *cx += v * (x + 0.5), *cy += v * (y + 0.5);
        }
    *cx /= *m, *cy /= *m;
}

TEST(grey_images_are_framed_as_mnist_frames_its_digits) {
    int len = 0;
    uint8_t *png = png_of(1, 0, &len);
    float ink[784];
    CHECK_EQ(td_image_read_ink(png, (size_t)len, ink), TD_OK);
    double cx, cy, m;
    mass_centre(ink, &cx, &cy, &m);
    int top = 28, bottom = -1;
    float peak = 0.0f;
    for (int i = 0; i < 784; i++) {
        if (ink[i] > 0.1f) top = i / 28 < top ? i / 28 : top, bottom = i / 28 > bottom ? i / 28 : bottom;
        peak = ink[i] > peak ? ink[i] : peak;
    }
    printf("    centre of mass (%.2f, %.2f), ink rows %d..%d, peak %.2f\n", cx, cy, top, bottom, (double)peak);
    CHECK_NEAR(cx, 14.0, 0.75);
    CHECK_NEAR(cy, 14.0, 0.75);
    CHECK_EQ(bottom - top + 1, 20);   // the taller side is scaled to 20 pixels
    CHECK(peak > 0.95f);
    free(png);
}

TEST(paper_and_transparent_canvases_give_the_same_ink) {
    int len0 = 0, len1 = 0, len2 = 0;
    uint8_t *a = png_of(1, 0, &len0), *b = png_of(3, 1, &len1), *c = png_of(4, 2, &len2);
    float ia[784], ib[784], ic[784];
    CHECK_EQ(td_image_read_ink(a, (size_t)len0, ia), TD_OK);
    CHECK_EQ(td_image_read_ink(b, (size_t)len1, ib), TD_OK);
    CHECK_EQ(td_image_read_ink(c, (size_t)len2, ic), TD_OK);
    double dab = 0.0, dac = 0.0;
    for (int i = 0; i < 784; i++) {
        dab = fmax(dab, fabs((double)ia[i] - (double)ib[i] * 235.0 / 215.0));   // ink 20 on paper 235
        dac = fmax(dac, fabs((double)ia[i] - (double)ic[i]));
    }
    printf("    worst difference: paper %.3f, alpha %.3f\n", dab, dac);
    CHECK(dab < 0.02);
    CHECK(dac < 1e-6);
    free(a);
    free(b);
    free(c);
}

TEST(unreadable_bytes_fail_with_a_reason) {
    float ink[784];
    const uint8_t junk[64] = "this is not a picture of a digit at all, it is text";
    CHECK_EQ(td_image_read_ink(junk, sizeof junk, ink), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "not a readable PNG");
    int len = 0;
    uint8_t *png = png_of(1, 0, &len);
    CHECK(td_image_read_ink(png, (size_t)len / 2, ink) != TD_OK);   // truncated
    CHECK(td_image_read_ink(png, 0, ink) != TD_OK);
    // A header claiming 100,000 pixels across is refused before decoding.
    uint8_t *big = malloc((size_t)len);
    memcpy(big, png, (size_t)len);
    big[16] = 0, big[17] = 1, big[18] = 0x86, big[19] = 0xa0;   // IHDR width = 100000
    CHECK_EQ(td_image_read_ink(big, (size_t)len, ink), TD_ERR_LIMIT);
    CHECK_CONTAINS(td_error_message(), "exceeds");
    free(big);
    free(png);
}

TEST(an_image_without_ink_is_refused) {
    static uint8_t black[32 * 32 * 3];
    uint8_t *png = NULL;
    size_t len = 0;
    CHECK_EQ(td_png_encode(black, 32, 32, &png, &len), TD_OK);
    float ink[784];
    CHECK_EQ(td_image_read_ink(png, len, ink), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "no ink");
    free(png);
}

int main(void) {
    RUN(grey_images_are_framed_as_mnist_frames_its_digits);
    RUN(paper_and_transparent_canvases_give_the_same_ink);
    RUN(unreadable_bytes_fail_with_a_reason);
    RUN(an_image_without_ink_is_refused);
    return check_summary("test_image_read");
}
