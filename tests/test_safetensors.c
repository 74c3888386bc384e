// test_safetensors.c - round trips, half precision, and hostile files.
//
// Every corrupt file is built by hand here and must be rejected with its own
// specific message (not merely "an error"), and without a crash: the same
// program runs clean under -fsanitize=address,undefined (TD_SANITIZE=ON).
// It also leaves two files in the build directory for the independent Python
// reader (tests/safetensors_crosscheck.py).
#define _POSIX_C_SOURCE 200809L

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "io/file.h"
#include "io/safetensors.h"
#include "prob/rng.h"

// ---- helpers ----------------------------------------------------------------

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float float_of(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

// A file with an explicit header-length field, `header_len` header bytes and
// `data_len` data bytes (filled with a pattern).
static uint8_t *make_raw(uint64_t n_field, const char *header, size_t header_len, size_t data_len,
                         size_t *len) {
    *len = 8 + header_len + data_len;
    uint8_t *b = malloc(*len);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(n_field >> (8 * i));
    memcpy(b + 8, header, header_len);
    for (size_t i = 0; i < data_len; i++) b[8 + header_len + i] = (uint8_t)(i * 7 + 1);
    return b;
}

// Parse a hand-made file; return the rejection message, or "(accepted)".
static const char *reject_raw(uint64_t n_field, const char *header, size_t header_len,
                              size_t data_len) {
    static char message[600];
    size_t len;
    uint8_t *b = make_raw(n_field, header, header_len, data_len, &len);
    td_safetensors st;
    td_clear_error();
    td_status s = td_safetensors_parse(b, len, &st);
    snprintf(message, sizeof message, "%s", s ? td_error_message() : "(accepted)");
    if (s && !td_error_message()[0]) snprintf(message, sizeof message, "(rejected, no message)");
    // A failed parse must leave `st` empty, so freeing it is harmless.
    if (s) CHECK(st.n_tensors == 0 && st.tensors == NULL && st.meta == NULL);
    td_safetensors_free(&st);
    free(b);
    return message;
}

// The same for a NUL-terminated header and an empty data buffer.
static const char *reject(const char *header) {
    return reject_raw(strlen(header), header, strlen(header), 0);
}

// ---- half precision ---------------------------------------------------------

TEST(every_finite_half_survives_half_to_float_to_half_exactly) {
    int bad = 0, nan_bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = td_half_to_float((uint16_t)h);
        int is_nan = ((h >> 10) & 0x1F) == 0x1F && (h & 0x3FF);
        if (is_nan) nan_bad += !isnan(f) || (td_float_to_half(f) & 0x7C00) != 0x7C00 ||
                               !(td_float_to_half(f) & 0x3FF);
        else bad += td_float_to_half(f) != h;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(nan_bad, 0);
}

TEST(half_edge_cases_round_to_nearest_even_with_subnormals_infinity_and_nan) {
    CHECK_EQ(td_float_to_half(0.0f), 0x0000);
    CHECK_EQ(td_float_to_half(-0.0f), 0x8000);
    CHECK_EQ(td_float_to_half(1.0f), 0x3C00);
    CHECK_EQ(td_float_to_half(1.0f / 3.0f), 0x3555);
    CHECK_EQ(td_float_to_half(65504.0f), 0x7BFF);          // largest finite
    CHECK_EQ(td_float_to_half(65519.99f), 0x7BFF);         // just below the halfway point
    CHECK_EQ(td_float_to_half(65520.0f), 0x7C00);          // halfway to 2^16 ties up to inf
    CHECK_EQ(td_float_to_half(1e6f), 0x7C00);
    CHECK_EQ(td_float_to_half(-INFINITY), 0xFC00);
    CHECK_EQ(td_float_to_half(ldexpf(1.0f, -14)), 0x0400);  // least normal
    CHECK_EQ(td_float_to_half(ldexpf(1.0f, -24)), 0x0001);  // least subnormal
    CHECK_EQ(td_float_to_half(ldexpf(1.0f, -25)), 0x0000);  // tie between 0 and 1: even is 0
    CHECK_EQ(td_float_to_half(ldexpf(1.5f, -25)), 0x0001);  // above the tie
    CHECK_EQ(td_float_to_half(ldexpf(3.0f, -25)), 0x0002);  // tie between 1 and 2: even is 2
    CHECK_EQ(td_float_to_half(ldexpf(5.0f, -25)), 0x0002);  // tie between 2 and 3: even is 2
    CHECK_EQ(td_float_to_half(ldexpf(1.0f, -14) - ldexpf(1.0f, -25)), 0x0400);  // 0x3FF|0x400 tie
    CHECK_EQ(td_float_to_half(-ldexpf(1.0f, -26)), 0x8000);  // underflow keeps the sign
    CHECK_EQ(td_float_to_half(FLT_TRUE_MIN), 0x0000);
    CHECK_EQ(td_float_to_half(1.0f + ldexpf(1.0f, -11)), 0x3C00);      // tie: even mantissa
    CHECK_EQ(td_float_to_half(1.0f + 3 * ldexpf(1.0f, -11)), 0x3C02);  // tie: rounds up to even
    uint16_t nan = td_float_to_half(NAN);
    CHECK((nan & 0x7C00) == 0x7C00 && (nan & 0x03FF) != 0);
    CHECK(isnan(td_half_to_float(nan)));
    CHECK(td_half_to_float(0x0001) == ldexpf(1.0f, -24));
    CHECK(td_half_to_float(0x0001) == float_of(0x33800000u));  // 2^-24 by its bits
    CHECK(td_half_to_float(0x03FF) == ldexpf(1023.0f, -24));
    CHECK(td_half_to_float(0x7BFF) == 65504.0f);
    CHECK(isinf(td_half_to_float(0xFC00)) && td_half_to_float(0xFC00) < 0);
    CHECK(signbit(td_half_to_float(0x8000)));
    CHECK(td_bf16_to_float(0x3F80) == 1.0f && td_bf16_to_float(0xC000) == -2.0f);
}

TEST(midpoints_between_neighbouring_halves_round_to_the_even_one) {
    int bad = 0;
    for (uint32_t h = 0; h < 0x7BFF; h++) {
        float lo = td_half_to_float((uint16_t)h), hi = td_half_to_float((uint16_t)(h + 1));
        float mid = (lo + hi) * 0.5f;  // exact: halves have 11 significant bits
        uint16_t even = (uint16_t)((h & 1) ? h + 1 : h);
        bad += td_float_to_half(mid) != even;
        bad += td_float_to_half(nextafterf(mid, 0.0f)) != h;
        bad += td_float_to_half(nextafterf(mid, INFINITY)) != h + 1;
        bad += td_float_to_half(-mid) != (even | 0x8000);
    }
    CHECK_EQ(bad, 0);
}

TEST(float_to_half_agrees_with_the_compilers_float16_on_a_million_random_floats) {
#ifdef __FLT16_MAX__
    td_rng rng;
    td_rng_seed(&rng, 16, 0);
    int bad = 0;
    for (int i = 0; i < 1000000; i++) {
        // Random bit patterns concentrated on the half range, plus raw ones.
        uint32_t u = td_rng_u32(&rng);
        if (i % 4) u = (u & 0x807FFFFFu) | (uint32_t)(96 + td_rng_below(&rng, 50)) << 23;
        float f = float_of(u);
        if (isnan(f)) continue;
        volatile _Float16 ref = (_Float16)f;
        uint16_t want;
        memcpy(&want, (const void *)&ref, 2);
        bad += td_float_to_half(f) != want;
    }
    CHECK_EQ(bad, 0);
#else
    printf("    (compiler has no _Float16: skipped)\n");
#endif
}

// ---- round trips ------------------------------------------------------------

enum { N_A = 15, N_B = 7 };

static void fill(float *x, size_t n, uint64_t seed) {
    td_rng rng;
    td_rng_seed(&rng, seed, 1);
    for (size_t i = 0; i < n; i++) x[i] = (float)td_rng_normal(&rng);
}

TEST(f32_round_trip_keeps_every_bit_shape_order_and_metadata) {
    float a[N_A], b[N_B], scalar = -2.5f, big[3] = {FLT_MAX, -FLT_TRUE_MIN, INFINITY};
    fill(a, N_A, 1);
    fill(b, N_B, 2);
    td_st_entry t[] = {
        {"enc.0.weight", 2, {3, 5}, a},
        {"enc.0.bias", 1, {N_B}, b},
        {"temperature", 0, {0}, &scalar},
        {"empty", 2, {0, 4}, NULL},
        {"extremes", 1, {3}, big},
    };
    td_st_pair meta[] = {{"kind", "vae"}, {"note", "quote \" backslash \\ newline \n sigma \xcf\x83"}};
    uint8_t *bytes;
    size_t len;
    CHECK_EQ(td_safetensors_write_mem(t, 5, meta, 2, TD_DTYPE_F32, &bytes, &len), TD_OK);
    td_safetensors st;
    CHECK_EQ(td_safetensors_parse(bytes, len, &st), TD_OK);
    CHECK_EQ(st.header_len % 8, 0);
    CHECK_EQ(st.n_tensors, 5);
    CHECK_EQ(st.data_len, (N_A + N_B + 1 + 0 + 3) * 4);
    for (size_t i = 0; i < 5 && i < st.n_tensors; i++) CHECK(strcmp(st.tensors[i].name, t[i].name) == 0);
    const td_st_tensor *w = td_safetensors_find(&st, "enc.0.weight");
    CHECK(w && w->ndim == 2 && w->shape[0] == 3 && w->shape[1] == 5 && w->numel == 15);
    CHECK(w && w->dtype == TD_DTYPE_F32);
    float got[N_A] = {0};
    CHECK_EQ(td_safetensors_copy_f32(&st, w, got, N_A), TD_OK);
    CHECK(memcmp(got, a, sizeof a) == 0);
    const td_st_tensor *s = td_safetensors_find(&st, "temperature");
    CHECK(s && s->ndim == 0 && s->numel == 1);
    float sv = 0;
    CHECK_EQ(td_safetensors_copy_f32(&st, s, &sv, 1), TD_OK);
    CHECK(sv == -2.5f);
    const td_st_tensor *e = td_safetensors_find(&st, "empty");
    CHECK(e && e->numel == 0 && e->ndim == 2 && e->shape[0] == 0 && e->shape[1] == 4);
    CHECK(e && e->begin == e->end);
    float ex[3];
    CHECK_EQ(td_safetensors_copy_f32(&st, td_safetensors_find(&st, "extremes"), ex, 3), TD_OK);
    CHECK(bits_of(ex[0]) == bits_of(FLT_MAX) && bits_of(ex[1]) == bits_of(-FLT_TRUE_MIN));
    CHECK(isinf(ex[2]));
    CHECK(td_safetensors_find(&st, "enc.0") == NULL);
    CHECK(td_safetensors_find(&st, "nope") == NULL);
    CHECK(strcmp(td_safetensors_meta(&st, "kind"), "vae") == 0);
    CHECK(strcmp(td_safetensors_meta(&st, "note"), meta[1].value) == 0);
    CHECK(td_safetensors_meta(&st, "missing") == NULL);
    td_safetensors_free(&st);
    free(bytes);
}

TEST(f16_round_trip_stores_each_value_rounded_to_the_nearest_half) {
    float a[N_A], exact[4] = {0.5f, -1024.0f, 65504.0f, ldexpf(1.0f, -24)};
    fill(a, N_A, 3);
    td_st_entry t[] = {{"a", 3, {1, 3, 5}, a}, {"exact", 1, {4}, exact}};
    uint8_t *bytes;
    size_t len;
    CHECK_EQ(td_safetensors_write_mem(t, 2, NULL, 0, TD_DTYPE_F16, &bytes, &len), TD_OK);
    td_safetensors st;
    CHECK_EQ(td_safetensors_parse(bytes, len, &st), TD_OK);
    CHECK_EQ(st.data_len, (N_A + 4) * 2);
    CHECK(st.n_tensors == 2 && st.tensors[0].dtype == TD_DTYPE_F16);
    float got[N_A];
    CHECK_EQ(td_safetensors_copy_f32(&st, td_safetensors_find(&st, "a"), got, N_A), TD_OK);
    int bad = 0;
    for (int i = 0; i < N_A; i++) bad += got[i] != td_half_to_float(td_float_to_half(a[i]));
    CHECK_EQ(bad, 0);
    CHECK(fabsf(got[0] - a[0]) <= fabsf(a[0]) * 0x1p-11f);  // and that is close
    float ex[4];
    CHECK_EQ(td_safetensors_expect(&st, "exact", 1, (int[]){4}, ex), TD_OK);
    CHECK(memcmp(ex, exact, sizeof ex) == 0);
    td_safetensors_free(&st);
    free(bytes);
}

TEST(an_empty_file_with_only_metadata_round_trips) {
    td_st_pair meta[] = {{"a", ""}};
    uint8_t *bytes;
    size_t len;
    CHECK_EQ(td_safetensors_write_mem(NULL, 0, meta, 1, TD_DTYPE_F32, &bytes, &len), TD_OK);
    td_safetensors st;
    CHECK_EQ(td_safetensors_parse(bytes, len, &st), TD_OK);
    CHECK(st.n_tensors == 0 && st.n_meta == 1 && st.data_len == 0);
    CHECK(td_safetensors_meta(&st, "a") && td_safetensors_meta(&st, "a")[0] == '\0');
    td_safetensors_free(&st);
    free(bytes);
}

TEST(expect_checks_the_shape_and_names_the_offending_tensor) {
    static float w[64 * 32];
    td_st_entry t[] = {{"dec.1.weight", 2, {64, 32}, w}};
    uint8_t *bytes;
    size_t len;
    CHECK_EQ(td_safetensors_write_mem(t, 1, NULL, 0, TD_DTYPE_F32, &bytes, &len), TD_OK);
    td_safetensors st;
    CHECK_EQ(td_safetensors_parse(bytes, len, &st), TD_OK);
    static float dst[64 * 32];
    CHECK_EQ(td_safetensors_expect(&st, "dec.1.weight", 2, (int[]){64, 32}, dst), TD_OK);
    CHECK_EQ(td_safetensors_expect(&st, "dec.1.weight", 2, (int[]){64, 16}, dst), TD_ERR_SHAPE);
    CHECK_CONTAINS(td_error_message(),
                   "tensor 'dec.1.weight' has shape [64, 32] but the model needs [64, 16]");
    CHECK_EQ(td_safetensors_expect(&st, "dec.1.weight", 1, (int[]){2048}, dst), TD_ERR_SHAPE);
    CHECK_CONTAINS(td_error_message(), "has shape [64, 32] but the model needs [2048]");
    CHECK_EQ(td_safetensors_expect(&st, "dec.2.weight", 2, (int[]){64, 32}, dst), TD_ERR_SHAPE);
    CHECK_CONTAINS(td_error_message(), "tensor 'dec.2.weight' is missing from the file");
    CHECK_EQ(td_safetensors_expect(&st, "dec.1.weight", 2, (int[]){64, -1}, dst), TD_ERR_ARG);
    CHECK_EQ(td_safetensors_copy_f32(&st, &st.tensors[0], dst, 100), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "has 2048 elements but the destination holds 100");
    td_safetensors_free(&st);
    free(bytes);
}

TEST(the_writer_refuses_what_the_reader_would_reject) {
    float x[2] = {1, 2};
    uint8_t *bytes = NULL;
    size_t len;
    td_st_entry dup[] = {{"w", 1, {2}, x}, {"w", 1, {2}, x}};
    CHECK_EQ(td_safetensors_write_mem(dup, 2, NULL, 0, TD_DTYPE_F32, &bytes, &len), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "duplicate key 'w'");
    td_st_entry empty[] = {{"", 1, {2}, x}};
    CHECK_EQ(td_safetensors_write_mem(empty, 1, NULL, 0, TD_DTYPE_F32, &bytes, &len), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "empty name");
    td_st_entry neg[] = {{"w", 2, {2, -1}, x}};
    CHECK_EQ(td_safetensors_write_mem(neg, 1, NULL, 0, TD_DTYPE_F32, &bytes, &len), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "negative dim -1");
    td_st_entry five[] = {{"w", 5, {1, 1, 1, 1}, x}};
    CHECK_EQ(td_safetensors_write_mem(five, 1, NULL, 0, TD_DTYPE_F32, &bytes, &len), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "has 5 dims");
    td_st_entry nodata[] = {{"w", 1, {2}, NULL}};
    CHECK_EQ(td_safetensors_write_mem(nodata, 1, NULL, 0, TD_DTYPE_F32, &bytes, &len), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "has no data");
    td_st_entry utf[] = {{"bad\xff", 1, {2}, x}};
    CHECK_EQ(td_safetensors_write_mem(utf, 1, NULL, 0, TD_DTYPE_F32, &bytes, &len), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "invalid UTF-8");
    td_st_pair meta[] = {{"k", "1"}, {"k", "2"}};
    CHECK_EQ(td_safetensors_write_mem(NULL, 0, meta, 2, TD_DTYPE_F32, &bytes, &len), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "duplicate key 'k'");
    CHECK_EQ(td_safetensors_write_mem(NULL, 0, NULL, 0, TD_DTYPE_BF16, &bytes, &len), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "can only write F32 or F16");
    CHECK(bytes == NULL);
}

// ---- files ------------------------------------------------------------------

TEST(files_round_trip_atomically_and_missing_or_directory_paths_fail_clearly) {
    const char *path = TD_BUILD_DIR "/test_safetensors_roundtrip.safetensors";
    float a[N_A];
    fill(a, N_A, 4);
    td_st_entry t[] = {{"a", 2, {5, 3}, a}};
    td_st_pair meta[] = {{"seed", "4"}};
    CHECK_EQ(td_safetensors_write_file(path, t, 1, meta, 1, TD_DTYPE_F32), TD_OK);
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.0", path, (long)getpid());
    CHECK(access(tmp, F_OK) != 0);  // the temporary was renamed away
    td_safetensors st;
    CHECK_EQ(td_safetensors_read_file(path, &st), TD_OK);
    float got[N_A];
    CHECK_EQ(td_safetensors_expect(&st, "a", 2, (int[]){5, 3}, got), TD_OK);
    CHECK(memcmp(got, a, sizeof a) == 0);
    CHECK(strcmp(td_safetensors_meta(&st, "seed"), "4") == 0);
    td_safetensors_free(&st);

    CHECK_EQ(td_safetensors_read_file(TD_BUILD_DIR "/no/such.safetensors", &st), TD_ERR_IO);
    CHECK_CONTAINS(td_error_message(), "cannot read '" TD_BUILD_DIR "/no/such.safetensors': ");
    CHECK_CONTAINS(td_error_message(), "No such file");
    CHECK_EQ(td_safetensors_read_file(TD_BUILD_DIR, &st), TD_ERR_IO);
    CHECK_CONTAINS(td_error_message(), "it is a directory");
    uint8_t *bytes;
    size_t len;
    CHECK_EQ(td_file_read(path, 16, &bytes, &len), TD_ERR_LIMIT);
    CHECK_CONTAINS(td_error_message(), "over the 16-byte limit");
    CHECK_EQ(td_file_write_atomic(TD_BUILD_DIR "/no/such/dir/x", "x", 1), TD_ERR_IO);
    CHECK_CONTAINS(td_error_message(), "cannot write '");

    // A corrupt file's message says which file and what is wrong with it.
    CHECK_EQ(td_file_write_atomic(path, "\x02\0\0\0\0\0\0\0{]", 10), TD_OK);
    CHECK_EQ(td_safetensors_read_file(path, &st), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "cannot read '" TD_BUILD_DIR
                                       "/test_safetensors_roundtrip.safetensors': header: invalid JSON");
    unlink(path);
}

// Files for tests/safetensors_crosscheck.py: value i of tensor "ramp" is
// (i - 7) / 4 (exact in F16 too), "tricky" holds awkward values whose F16
// rounding numpy checks independently.
TEST(crosscheck_files_for_the_python_reader_are_written) {
    float ramp[2 * 3 * 4], tricky[16];
    for (int i = 0; i < 24; i++) ramp[i] = (float)(i - 7) / 4.0f;
    const float special[16] = {65504.0f, 65519.0f, 65520.0f, -1e6f, 1.0f / 3.0f,
                               0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1.8p-24f, 0x1p-14f - 0x1p-25f,
                               1.0f + 0x1p-11f, 1.0f + 0x1.8p-10f, -0.0f, 3.14159265f, 1e-8f, -7.1f};
    memcpy(tricky, special, sizeof tricky);
    float scalar = 42.0f;
    td_st_entry t[] = {{"ramp", 3, {2, 3, 4}, ramp},
                       {"tricky", 1, {16}, tricky},
                       {"scalar", 0, {0}, &scalar},
                       {"nothing", 2, {3, 0}, NULL}};
    td_st_pair meta[] = {{"format", "pt"}, {"model", "crosscheck"}, {"unicode", "\xcf\x83\xc2\xb2"}};
    CHECK_EQ(td_safetensors_write_file(TD_BUILD_DIR "/crosscheck_f32.safetensors", t, 4, meta, 3,
                                       TD_DTYPE_F32), TD_OK);
    CHECK_EQ(td_safetensors_write_file(TD_BUILD_DIR "/crosscheck_f16.safetensors", t, 4, meta, 3,
                                       TD_DTYPE_F16), TD_OK);
}

// ---- tolerated variations ---------------------------------------------------

TEST(json_member_order_need_not_match_offset_order_and_padding_is_allowed) {
    const char *h = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                    "\"__metadata__\":{\"x\":\"y\"},"
                    "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}     \n\t ";
    size_t len;
    uint8_t *b = make_raw(strlen(h), h, strlen(h), 8, &len);
    td_safetensors st;
    CHECK_EQ(td_safetensors_parse(b, len, &st), TD_OK);
    CHECK(st.n_tensors == 2 && strcmp(st.tensors[0].name, "a") == 0);
    CHECK(td_safetensors_find(&st, "b") && td_safetensors_find(&st, "b")->begin == 4);
    td_safetensors_free(&st);
    free(b);
}

TEST(bf16_files_are_read_and_converted_to_float) {
    const char *h = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
    size_t len;
    uint8_t *b = make_raw(strlen(h), h, strlen(h), 4, &len);
    uint8_t *d = b + 8 + strlen(h);
    d[0] = 0x80; d[1] = 0x3F; d[2] = 0x40; d[3] = 0xC0;  // 1.0, -3.0
    td_safetensors st;
    float w[2];
    CHECK_EQ(td_safetensors_parse(b, len, &st), TD_OK);
    CHECK_EQ(td_safetensors_expect(&st, "w", 1, (int[]){2}, w), TD_OK);
    CHECK(w[0] == 1.0f && w[1] == -3.0f);
    td_safetensors_free(&st);
    free(b);
}

// ---- hostile files: each rejected with its own message ------------------------

#define T1(dtype, shape, offsets) \
    "{\"w\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" offsets "}}"

TEST(the_header_length_field_is_checked_against_the_file_and_a_cap) {
    CHECK_CONTAINS(reject_raw(0, "", 0, 0) , "expected a value, found the end of the input");
    uint8_t five[5] = {1, 0, 0, 0, 0};
    td_safetensors st;
    CHECK_EQ(td_safetensors_parse(five, 5, &st), TD_ERR_FORMAT);
    CHECK_CONTAINS(td_error_message(), "file is 5 bytes, too short to hold the 8-byte header length");
    CHECK_EQ(td_safetensors_parse(five, 0, &st), TD_ERR_FORMAT);
    CHECK_CONTAINS(reject_raw(100, "{}", 2, 10), "header length 100 is larger than the 12 bytes");
    CHECK_CONTAINS(reject_raw((uint64_t)1 << 63, "{}", 2, 0), "exceeds the 16777216-byte (16 MiB) cap");
    CHECK_CONTAINS(reject_raw(UINT64_MAX, "{}", 2, 0), "header length 18446744073709551615 exceeds");
    CHECK_CONTAINS(reject_raw(16 * 1024 * 1024 + 1, "{}", 2, 0), "exceeds the");
}

TEST(headers_that_are_not_one_strict_json_object_are_rejected) {
    CHECK_CONTAINS(reject("[1, 2]"), "header must be a JSON object, got an array");
    CHECK_CONTAINS(reject("\"w\""), "header must be a JSON object, got a string");
    CHECK_CONTAINS(reject("{\"w\":}"), "invalid JSON at byte 5: expected a value, found '}'");
    CHECK_CONTAINS(reject("{\"w"), "unterminated string starting at byte 1");
    CHECK_CONTAINS(reject("{} x"), "trailing 'x' after the value");
    CHECK_CONTAINS(reject("{}{}"), "trailing '{' after the value");
    CHECK_CONTAINS(reject("{\"a\":1,}"), "expected a string key, found '}'");
    CHECK_CONTAINS(reject("{\"a\":[1,]}"), "expected a value, found ']'");
    CHECK_CONTAINS(reject("{\"a\":[01]}"), "number with a leading zero");
    CHECK_CONTAINS(reject("{\"a\":NaN}"), "expected a value, found 'N'");
    CHECK_CONTAINS(reject("{/*c*/}"), "expected a string key, found '/'");
    CHECK_CONTAINS(reject("\xef\xbb\xbf{}"), "found byte 0xef");  // a byte-order mark
    CHECK_CONTAINS(reject("{\"a\\q\":1}"), "bad escape \\ followed by 'q'");
    CHECK_CONTAINS(reject("{\"\\ud800x\":1}"), "high surrogate without its pair");
    CHECK_CONTAINS(reject("{\"\\udc00\":1}"), "lone low surrogate");
    CHECK_CONTAINS(reject("{\"\xc0\xaf\":1}"), "invalid UTF-8");   // overlong '/'
    CHECK_CONTAINS(reject("{\"\xed\xa0\x80\":1}"), "invalid UTF-8");  // encoded surrogate
    CHECK_CONTAINS(reject("{\"a\":tru}"), "expected a value, found 't'");
    CHECK_CONTAINS(reject("{\"a\":1e}"), "expected a digit in the exponent");
}

TEST(nul_bytes_anywhere_in_the_header_are_rejected) {
    CHECK_CONTAINS(reject_raw(3, "{}\0", 3, 0), "trailing byte 0x00 after the value");
    CHECK_CONTAINS(reject_raw(8, "{\"a\0\":1}", 8, 0), "control character 0x00 inside a string");
    CHECK_CONTAINS(reject("{\"w\\u0000x\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}"),
                   "contains a NUL byte");
    CHECK_CONTAINS(reject("{\"__metadata__\":{\"k\":\"v\\u0000\"}}"),
                   "__metadata__ entry 'k' contains a NUL byte");
}

TEST(nesting_and_value_counts_are_bounded) {
    char deep[2100];
    for (int i = 0; i < 1000; i++) deep[i] = '[';
    for (int i = 0; i < 1000; i++) deep[1000 + i] = ']';
    deep[2000] = '\0';
    CHECK_CONTAINS(reject(deep), "nested deeper than 8 levels");
    CHECK_CONTAINS(reject("{\"w\":{\"shape\":[[[[[[[[1]]]]]]]]}}"), "nested deeper than 8 levels");
    // 1.1 million values in one shape array: stopped at the value cap.
    size_t n = 1100000, len = 0;
    char *many = malloc(2 * n + 16);
    len += (size_t)sprintf(many, "{\"w\":[");
    for (size_t i = 0; i < n; i++) {
        many[len++] = '0';
        many[len++] = ',';
    }
    memcpy(many + len, "0]}", 4);
    CHECK_CONTAINS(reject(many), "more than 1048576 values");
    free(many);
}

TEST(dtype_and_shape_must_be_supported_and_well_formed) {
    CHECK_CONTAINS(reject(T1("F64", "[1]", "[0,8]")), "tensor 'w': dtype 'F64' is not supported");
    CHECK_CONTAINS(reject(T1("f32", "[1]", "[0,4]")), "dtype 'f32' is not supported");
    CHECK_CONTAINS(reject("{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}"),
                   "tensor 'w': dtype must be a string, got a number");
    CHECK_CONTAINS(reject(T1("F32", "[1,1,1,1,1]", "[0,4]")),
                   "tensor 'w': shape has 5 dims, more than the 4 supported");
    CHECK_CONTAINS(reject(T1("F32", "[2,-3]", "[0,4]")), "tensor 'w': dim 1 of shape is negative (-3)");
    CHECK_CONTAINS(reject(T1("F32", "[2.5]", "[0,4]")),
                   "tensor 'w': dim 0 of shape is a fraction or too large, not an integer");
    CHECK_CONTAINS(reject(T1("F32", "[1e2]", "[0,400]")), "dim 0 of shape is a fraction");
    CHECK_CONTAINS(reject(T1("F32", "[99999999999999999999]", "[0,4]")), "dim 0 of shape is a fraction or too large");
    CHECK_CONTAINS(reject(T1("F32", "[\"4\"]", "[0,16]")), "dim 0 of shape is a string, not an integer");
    CHECK_CONTAINS(reject(T1("F32", "4", "[0,16]")), "tensor 'w': shape must be an array, got a number");
    CHECK_CONTAINS(reject(T1("F32", "[4294967296,4294967296,4294967296]", "[0,4]")),
                   "tensor 'w': element count of the shape overflows");
    // Elements that fit in size_t but whose bytes do not (2^62 natively, 2^30 in wasm32).
    char header[160], want[96];
    size_t half = SIZE_MAX / 4 + 1;
    snprintf(header, sizeof header, T1("F32", "[%zu]", "[0,4]"), half);
    snprintf(want, sizeof want, "tensor 'w': byte count of shape [%zu] overflows", half);
    CHECK_CONTAINS(reject(header), want);
}

TEST(data_offsets_must_match_the_shape_and_stay_inside_the_buffer) {
    CHECK_CONTAINS(reject_raw(strlen(T1("F32", "[4,4]", "[0,12]")), T1("F32", "[4,4]", "[0,12]"),
                              strlen(T1("F32", "[4,4]", "[0,12]")), 12),
                   "tensor 'w': data_offsets [0, 12] hold 12 bytes but shape [4, 4] of F32 needs 64");
    CHECK_CONTAINS(reject(T1("F32", "[1]", "[8,4]")), "tensor 'w': data_offsets [8, 4] end before they begin");
    CHECK_CONTAINS(reject(T1("F32", "[250]", "[0,1000]")),
                   "tensor 'w': data_offsets [0, 1000] reach past the end of the 0-byte data buffer");
    CHECK_CONTAINS(reject(T1("F32", "[1]", "[0,18446744073709551616]")), "data_offsets end is a fraction or too large");
    CHECK_CONTAINS(reject(T1("F32", "[1]", "[-4,0]")), "data_offsets begin is negative (-4)");
    CHECK_CONTAINS(reject(T1("F32", "[1]", "[0,4,8]")), "tensor 'w': data_offsets must be an array of 2 integers");
    CHECK_CONTAINS(reject(T1("F32", "[1]", "{}")), "data_offsets must be an array of 2 integers");
}

#define T2(a_off, b_off) \
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" a_off "}," \
    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" b_off "}}"

TEST(tensors_must_tile_the_data_buffer_without_gap_or_overlap) {
    CHECK_CONTAINS(reject_raw(strlen(T2("[0,8]", "[4,12]")), T2("[0,8]", "[4,12]"),
                              strlen(T2("[0,8]", "[4,12]")), 12),
                   "tensor 'b': data_offsets [4, 12] overlap tensor 'a' which ends at 8");
    CHECK_CONTAINS(reject_raw(strlen(T2("[0,8]", "[12,20]")), T2("[0,8]", "[12,20]"),
                              strlen(T2("[0,8]", "[12,20]")), 20),
                   "tensor 'b': data_offsets [12, 20] leave a gap after tensor 'a' which ends at 8");
    CHECK_CONTAINS(reject_raw(strlen(T2("[4,12]", "[12,20]")), T2("[4,12]", "[12,20]"),
                              strlen(T2("[4,12]", "[12,20]")), 20),
                   "tensor 'a': data_offsets [4, 12] leave a gap at the start of the data buffer");
    CHECK_CONTAINS(reject_raw(strlen(T2("[0,8]", "[0,8]")), T2("[0,8]", "[0,8]"),
                              strlen(T2("[0,8]", "[0,8]")), 8),
                   "overlap tensor");
    CHECK_CONTAINS(reject_raw(strlen(T2("[0,8]", "[8,16]")), T2("[0,8]", "[8,16]"),
                              strlen(T2("[0,8]", "[8,16]")), 20),
                   "tensors end at byte 16 but the data buffer holds 20 bytes");
    CHECK_CONTAINS(reject_raw(2, "{}", 2, 3), "tensors end at byte 0 but the data buffer holds 3 bytes");
    // The well-formed version of the same file is accepted.
    CHECK_CONTAINS(reject_raw(strlen(T2("[0,8]", "[8,16]")), T2("[0,8]", "[8,16]"),
                              strlen(T2("[0,8]", "[8,16]")), 16),
                   "(accepted)");
}

TEST(names_fields_and_metadata_are_checked) {
    CHECK_CONTAINS(reject("{\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                          "\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]}}"),
                   "duplicate key 'w'");
    CHECK_CONTAINS(reject("{\"\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}"),
                   "a tensor name is empty");
    char longname[400];
    snprintf(longname, sizeof longname, "{\"%0300d\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 7);
    CHECK_CONTAINS(reject(longname), "is 300 bytes, over the 255-byte limit");
    CHECK_CONTAINS(reject("{\"w\":[1,2]}"), "tensor 'w': entry must be an object, got an array");
    CHECK_CONTAINS(reject("{\"w\":{\"dtype\":\"F32\",\"shape\":[]}}"), "tensor 'w': missing field 'data_offsets'");
    CHECK_CONTAINS(reject("{\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"extra\":1}}"),
                   "tensor 'w': unknown field 'extra'");
    CHECK_CONTAINS(reject("{\"__metadata__\":[\"a\"]}"), "__metadata__ must be an object of strings, got an array");
    CHECK_CONTAINS(reject("{\"__metadata__\":{\"epochs\":10}}"),
                   "__metadata__ value for 'epochs' must be a string, got a number");
    CHECK_CONTAINS(reject("{\"__metadata__\":{\"a\":\"1\"},\"__metadata__\":{}}"), "duplicate key '__metadata__'");
}

TEST(every_truncation_and_random_byte_corruption_of_a_valid_file_is_handled) {
    float a[N_A];
    fill(a, N_A, 5);
    td_st_entry t[] = {{"a", 2, {3, 5}, a}, {"b", 1, {4}, a}};
    td_st_pair meta[] = {{"k", "v"}};
    uint8_t *bytes;
    size_t len;
    CHECK_EQ(td_safetensors_write_mem(t, 2, meta, 1, TD_DTYPE_F16, &bytes, &len), TD_OK);
    int accepted_prefix = 0, silent = 0, accepted_flip = 0, rejected_flip = 0;
    td_safetensors st;
    for (size_t n = 0; n < len; n++) {
        td_clear_error();
        td_status s = td_safetensors_parse(bytes, n, &st);
        accepted_prefix += s == TD_OK;
        silent += s != TD_OK && !td_error_message()[0];
        td_safetensors_free(&st);
    }
    td_rng rng;
    td_rng_seed(&rng, 9, 0);
    uint8_t *copy = malloc(len);
    size_t header_end = 8 + (size_t)(bytes[0] | bytes[1] << 8);  // a short header
    for (int i = 0; i < 20000; i++) {
        memcpy(copy, bytes, len);
        // Corrupt the length field and header (the data bytes are free-form).
        size_t at = td_rng_below(&rng, (uint32_t)header_end);
        copy[at] = (uint8_t)td_rng_u32(&rng);
        td_clear_error();
        td_status s = td_safetensors_parse(copy, len, &st);
        if (s == TD_OK) {
            accepted_flip++;
            float out[16];
            for (size_t k = 0; k < st.n_tensors; k++)
                if (st.tensors[k].numel <= 16) CHECK_EQ(td_safetensors_copy_f32(&st, &st.tensors[k], out, 16), TD_OK);
        } else {
            rejected_flip++;
            silent += !td_error_message()[0];
        }
        td_safetensors_free(&st);
    }
    printf("    %d corrupted files rejected, %d still valid (e.g. a changed name)\n", rejected_flip,
           accepted_flip);
    CHECK_EQ(accepted_prefix, 0);
    CHECK_EQ(silent, 0);
    CHECK(rejected_flip > 10000);
    free(copy);
    free(bytes);
}

int main(void) {
    RUN(every_finite_half_survives_half_to_float_to_half_exactly);
    RUN(half_edge_cases_round_to_nearest_even_with_subnormals_infinity_and_nan);
    RUN(midpoints_between_neighbouring_halves_round_to_the_even_one);
    RUN(float_to_half_agrees_with_the_compilers_float16_on_a_million_random_floats);
    RUN(f32_round_trip_keeps_every_bit_shape_order_and_metadata);
    RUN(f16_round_trip_stores_each_value_rounded_to_the_nearest_half);
    RUN(an_empty_file_with_only_metadata_round_trips);
    RUN(expect_checks_the_shape_and_names_the_offending_tensor);
    RUN(the_writer_refuses_what_the_reader_would_reject);
    RUN(files_round_trip_atomically_and_missing_or_directory_paths_fail_clearly);
    RUN(crosscheck_files_for_the_python_reader_are_written);
    RUN(json_member_order_need_not_match_offset_order_and_padding_is_allowed);
    RUN(bf16_files_are_read_and_converted_to_float);
    RUN(the_header_length_field_is_checked_against_the_file_and_a_cap);
    RUN(headers_that_are_not_one_strict_json_object_are_rejected);
    RUN(nul_bytes_anywhere_in_the_header_are_rejected);
    RUN(nesting_and_value_counts_are_bounded);
    RUN(dtype_and_shape_must_be_supported_and_well_formed);
    RUN(data_offsets_must_match_the_shape_and_stay_inside_the_buffer);
    RUN(tensors_must_tile_the_data_buffer_without_gap_or_overlap);
    RUN(names_fields_and_metadata_are_checked);
    RUN(every_truncation_and_random_byte_corruption_of_a_valid_file_is_handled);
    return check_summary("test_safetensors");
}
