// stb_impl.c - the implementations of Debian's stb_image_write.h and stb_image.h (PNG
// only), compiled once here without our warning flags (third-party code). Memory only:
// no stdio, so the library still touches files in io/file.c alone.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include "stb_image_write.h"

// stb_image trusts a PNG chunk's length before reading the chunk: a 72-byte file can
// make it ask for a 1.2 GB buffer (found by tests/fuzz/fuzz_image.c). Its allocations
// go through these, which refuse more than the largest image under image_read.h's caps
// can need (16M pixels of 16-bit RGBA is 128 MB); stb then fails with "outofmem".
#include <stdlib.h>
#define TD_STB_MAX_ALLOC ((size_t)256 << 20)
static void *td_stb_malloc(size_t n) { return n > TD_STB_MAX_ALLOC ? NULL : malloc(n); }
static void *td_stb_realloc(void *p, size_t n) { return n > TD_STB_MAX_ALLOC ? NULL : realloc(p, n); }
#define STBI_MALLOC td_stb_malloc
#define STBI_REALLOC td_stb_realloc
#define STBI_FREE free

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#include "stb_image.h"
