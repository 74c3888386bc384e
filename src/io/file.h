// file.h - whole-file read with a size cap, and atomic whole-file write.
//
// The only place the library touches the file system. Loaders take bytes;
// front ends (the CLI, tests) use these to get them. Messages have the form
// "cannot read 'PATH': reason" / "cannot write 'PATH': reason".
#ifndef TD_FILE_H
#define TD_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

// Read the regular file `path` into a new malloc'd buffer (free() it). Fails
// on a missing file, a directory or other non-regular file, or a file larger
// than `max_bytes` (checked before reading, and again while reading in case
// the file grows).
td_status td_file_read(const char *path, size_t max_bytes, uint8_t **out, size_t *out_len);

// Write `len` bytes to `path` atomically: into a temporary file beside it,
// flushed to disk, then renamed over `path`. Readers see the old file or the
// new one, never half of one; on failure the temporary is removed.
td_status td_file_write_atomic(const char *path, const void *bytes, size_t len);

#endif
