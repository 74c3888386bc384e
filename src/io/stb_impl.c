// stb_impl.c - the implementations of Debian's stb_image_write.h and stb_image.h (PNG
// only), compiled once here without our warning flags (third-party code). Memory only:
// no stdio, so the library still touches files in io/file.c alone.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include "stb_image_write.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#include "stb_image.h"
