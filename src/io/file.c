// file.c - POSIX file access for the front ends: capped reads, atomic writes.
#define _POSIX_C_SOURCE 200809L

#include "io/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

td_status td_file_read(const char *path, size_t max_bytes, uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    if (!path || !*path) return td_fail(TD_ERR_ARG, "cannot read a file with an empty path");
    // O_NONBLOCK so a FIFO cannot hang the open; it is rejected just below.
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return td_fail(TD_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    struct stat info;
    if (fstat(fd, &info) != 0) {
        td_status s = td_fail(TD_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
        close(fd);
        return s;
    }
    if (!S_ISREG(info.st_mode)) {
        close(fd);
        return td_fail(TD_ERR_IO, "cannot read '%s': it is %s", path,
                       S_ISDIR(info.st_mode) ? "a directory" : "not a regular file");
    }
    if (info.st_size < 0 || (uintmax_t)info.st_size > max_bytes) {
        close(fd);
        return td_fail(TD_ERR_LIMIT, "cannot read '%s': it is %jd bytes, over the %zu-byte limit",
                       path, (intmax_t)info.st_size, max_bytes);
    }
    size_t size = (size_t)info.st_size, got = 0;
    uint8_t *bytes = malloc(size ? size : 1);
    if (!bytes) {
        close(fd);
        return td_fail(TD_ERR_NOMEM, "cannot read '%s': out of memory for %zu bytes", path, size);
    }
    // Read exactly `size` bytes, then make sure nothing follows (a file that
    // grew while we read would otherwise be silently cut).
    for (;;) {
        uint8_t extra;
        uint8_t *dst = got < size ? bytes + got : &extra;
        size_t want = got < size ? size - got : 1;
        ssize_t n = read(fd, dst, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            td_status s = td_fail(TD_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
            free(bytes);
            close(fd);
            return s;
        }
        if (n == 0) break;
        if (got >= size) {
            free(bytes);
            close(fd);
            return td_fail(TD_ERR_IO, "cannot read '%s': it changed size while being read", path);
        }
        got += (size_t)n;
    }
    close(fd);
    if (got != size) {
        free(bytes);
        return td_fail(TD_ERR_IO, "cannot read '%s': it changed size while being read", path);
    }
    *out = bytes;
    *out_len = size;
    return TD_OK;
}

static td_status write_all(int fd, const uint8_t *bytes, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, bytes, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return TD_ERR_IO;
        bytes += n;
        len -= (size_t)n;
    }
    return TD_OK;
}

td_status td_file_write_atomic(const char *path, const void *bytes, size_t len) {
    if (!path || !*path) return td_fail(TD_ERR_ARG, "cannot write a file with an empty path");
    if (!bytes && len) return td_fail(TD_ERR_ARG, "cannot write '%s': no bytes given", path);
    // The temporary sits beside the target so rename() stays on one file system.
    // O_EXCL with a pid-and-counter name avoids clobbering a concurrent writer's.
    size_t tmp_size = strlen(path) + 48;
    char *tmp = malloc(tmp_size);
    if (!tmp) return td_fail(TD_ERR_NOMEM, "cannot write '%s': out of memory", path);
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, tmp_size, "%s.tmp.%ld.%d", path, (long)getpid(), attempt);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        td_status s = td_fail(TD_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        free(tmp);
        return s;
    }
    int failed = write_all(fd, bytes, len) != TD_OK || fsync(fd) != 0;
    int saved = errno;
    if (close(fd) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (!failed && rename(tmp, path) != 0) {
        failed = 1;
        saved = errno;
    }
    td_status s = TD_OK;
    if (failed) {
        unlink(tmp);
        s = td_fail(TD_ERR_IO, "cannot write '%s': %s", path, strerror(saved));
    }
    free(tmp);
    return s;
}
