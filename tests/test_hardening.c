// test_hardening.c - every input the fuzzers (tests/fuzz/) found a problem with,
// replayed through the same library entry point, with the outcome the fix gives.
// Native, in Node (wasm) and under ASan + UBSan, unlike the fuzzers themselves.
//
// To add a finding: copy libFuzzer's artifact to tests/fuzz/regressions/TARGET/NAME
// (scripts/fuzz.sh replays that directory too) and add a TEST here.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/image_read.h"

#define REGRESS TD_SOURCE_DIR "/tests/fuzz/regressions/"

static uint8_t *read_all(const char *path, size_t *len) {
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = malloc(1 << 16);
    if (buf) *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

// fuzz_image: a 72-byte 16 x 16 PNG whose IDAT chunk claims 0x4849000f bytes. stb_image
// reallocated its buffer to the claimed size (1.2 GB) before finding the data missing;
// in the page that is an allocation the 512 MB heap cannot give. stb_impl.c now caps
// stb's allocations, and the reader says what was wrong.
TEST(a_png_whose_data_chunk_claims_a_gigabyte_is_refused_without_allocating_it) {
    size_t len;
    uint8_t *bytes = read_all(REGRESS "image/idat-claims-1.2GB.png", &len);
    CHECK(bytes != NULL);
    CHECK_EQ(len, 72);
    float ink[TD_IMAGE_OUT_SIDE * TD_IMAGE_OUT_SIDE];
    td_clear_error();
    CHECK_EQ(td_image_read_ink(bytes, len, ink), TD_ERR_LIMIT);
    CHECK_CONTAINS(td_error_message(), "claims more data than a 16 x 16 image can hold");
    // With the chunk's true length (15) the same file decodes: a blank image, no ink.
    if (bytes && len == 72) {
        bytes[33] = 0, bytes[34] = 0, bytes[35] = 0, bytes[36] = 15;
        CHECK_EQ(td_image_read_ink(bytes, len, ink), TD_ERR_ARG);
        CHECK_CONTAINS(td_error_message(), "ink");
    }
    free(bytes);
}

// fuzz_image: a 16 x 16 PNG whose first IDAT chunk is empty. stb_image then adds 0 to
// its still-NULL buffer pointer (undefined, harmless; third-party code left as it is,
// see tests/fuzz/fuzz.cmake) and fails without setting a reason: the message must still
// say something.
TEST(a_png_with_an_empty_data_chunk_is_refused_with_a_reason) {
    size_t len;
    uint8_t *bytes = read_all(REGRESS "image/empty-idat-null-plus-zero.png", &len);
    CHECK(bytes != NULL);
    float ink[TD_IMAGE_OUT_SIDE * TD_IMAGE_OUT_SIDE];
    CHECK_EQ(td_image_read_ink(bytes, len, ink), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "could not be decoded (");
    CHECK(strstr(td_error_message(), "()") == NULL);
    free(bytes);
}

int main(void) {
    RUN(a_png_whose_data_chunk_claims_a_gigabyte_is_refused_without_allocating_it);
    RUN(a_png_with_an_empty_data_chunk_is_refused_with_a_reason);
    return check_summary("test_hardening");
}
