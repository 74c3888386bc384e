// cli_run.h - run the built `thinkdiff` binary as a user would, for the CLI test
// programs: capture stdout, stderr and the exit code. Native only (needs a shell).
#ifndef TD_CLI_RUN_H
#define TD_CLI_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#define CLI_BIN TD_BUILD_DIR "/thinkdiff"

typedef struct {
    int code;          // exit status, or -1 when the program did not exit normally
    char out[16384];   // stdout
    char err[8192];    // stderr
} run_result;

static void slurp(const char *path, char *buf, size_t size) {
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

// Run `thinkdiff ARGS` (ARGS is shell text); `tmp` prefixes the capture files.
static run_result cli_run(const char *tmp, const char *args) {
    static run_result r;
    char cmd[4096], out_path[1024], err_path[1024];
    snprintf(out_path, sizeof out_path, "%sout.txt", tmp);
    snprintf(err_path, sizeof err_path, "%serr.txt", tmp);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s' </dev/null", CLI_BIN, args, out_path, err_path);
    int status = system(cmd);
    r.code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    slurp(out_path, r.out, sizeof r.out);
    slurp(err_path, r.err, sizeof r.err);
    return r;
}

static inline int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

#endif
