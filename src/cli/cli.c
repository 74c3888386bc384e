// cli.c - helpers shared by the commands: error reporting and option parsing.
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_fail(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    fputs("thinkdiff: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    return CLI_FAILED;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "thinkdiff %s: ", cmd->name);
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\nTry 'thinkdiff help %s'.\n", cmd->name);
    va_end(args);
    return CLI_USAGE;
}

static int parse_value(const cli_command *cmd, const cli_option *opt, const char *value) {
    char *end;
    errno = 0;
    switch (opt->kind) {
    case CLI_OPT_INT: {
        long v = strtol(value, &end, 10);
        if (!*value || *end || errno || v < INT_MIN || v > INT_MAX)
            return cli_usage_error(cmd, "--%s needs an integer, got '%s'", opt->name, value);
        *(int *)opt->dst = (int)v;
        return CLI_OK;
    }
    case CLI_OPT_DOUBLE: {
        double v = strtod(value, &end);
        if (!*value || *end || errno || !isfinite(v))
            return cli_usage_error(cmd, "--%s needs a finite number, got '%s'", opt->name, value);
        *(double *)opt->dst = v;
        return CLI_OK;
    }
    case CLI_OPT_STRING:
        *(const char **)opt->dst = value;
        return CLI_OK;
    case CLI_OPT_FLAG:
        break;
    }
    return cli_usage_error(cmd, "--%s takes no value", opt->name);
}

int cli_parse_args(const cli_command *cmd, int argc, char **argv, const cli_option *opts,
                   int n_opts, char **positional, int min_pos, int max_pos, int *n_pos) {
    int options_done = 0;
    *n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (options_done || arg[0] != '-' || arg[1] == '\0') {  // "-" alone is positional
            if (*n_pos >= max_pos)
                return cli_usage_error(cmd, "unexpected argument '%s'", arg);
            positional[(*n_pos)++] = argv[i];
            continue;
        }
        const char *name = arg + (arg[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_option *opt = NULL;
        for (int k = 0; k < n_opts && !opt; k++)
            if (strlen(opts[k].name) == name_len && strncmp(opts[k].name, name, name_len) == 0)
                opt = &opts[k];
        if (!opt || arg[1] != '-') return cli_usage_error(cmd, "unknown option '%s'", arg);
        if (opt->kind == CLI_OPT_FLAG) {
            if (eq) return cli_usage_error(cmd, "--%s takes no value", opt->name);
            *(int *)opt->dst = 1;
            continue;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc) return cli_usage_error(cmd, "--%s needs a value", opt->name);
            value = argv[++i];
        }
        int rc = parse_value(cmd, opt, value);
        if (rc) return rc;
    }
    if (*n_pos < min_pos)
        return cli_usage_error(cmd, "missing argument (expected %d, got %d)", min_pos, *n_pos);
    return CLI_OK;
}

void cli_print_escaped(FILE *out, const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) fprintf(out, "\\x%02x", c);
        else fputc(c, out);
    }
}
