// cli.h - the command table and the helpers every command shares.
//
// A command is one row: name, one-line summary, full usage text and a run
// function. To add one (say `train`): write src/cli/cmd_train.c defining
// `const cli_command cli_cmd_train = {...}`, declare it below, and list it in
// the `commands` table in main.c. `thinkdiff --help`, `thinkdiff help train`
// and `thinkdiff train --help` then work without further code.
//
// Exit codes: 0 success, 1 failure (bad file, failed run), 2 usage error.
// Errors go to stderr as one sentence starting "thinkdiff: ".
#ifndef TD_CLI_H
#define TD_CLI_H

#include <stdio.h>

#define TD_VERSION "0.1.0"

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

typedef struct {
    const char *name;
    const char *summary;   // one line, shown by `thinkdiff --help`
    const char *usage;     // the full text shown by `thinkdiff help NAME`
    // argv[0] is the command's name; `--help` was already handled. Returns an exit code.
    int (*run)(int argc, char **argv);
    int hidden;            // left out of the command list (debug helpers)
} cli_command;

extern const cli_command cli_cmd_info;
extern const cli_command cli_cmd_train, cli_cmd_sample, cli_cmd_eval, cli_cmd_sweep;

// Print "thinkdiff: MESSAGE" to stderr and return CLI_FAILED.
int cli_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

// Print "thinkdiff CMD: MESSAGE" and a pointer to the help, return CLI_USAGE.
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

// ---- option parsing ------------------------------------------------------------

typedef enum { CLI_OPT_FLAG, CLI_OPT_INT, CLI_OPT_DOUBLE, CLI_OPT_STRING } cli_opt_kind;

typedef struct {
    const char *name;      // without dashes: "steps" matches --steps N and --steps=N
    cli_opt_kind kind;
    void *dst;             // int* (FLAG, INT), double* (DOUBLE), const char** (STRING)
} cli_option;

// Parse a command's argv[1..]: options into their destinations, the rest into
// `positional` (at most `max_pos`, at least `min_pos`); "--" ends options.
// Numbers must parse completely and be finite/in range. On a bad or unknown
// option or a wrong positional count, print a usage error and return CLI_USAGE.
int cli_parse_args(const cli_command *cmd, int argc, char **argv, const cli_option *opts,
                   int n_opts, char **positional, int min_pos, int max_pos, int *n_pos);

// Print `s` to `out`, escaping control bytes (names and metadata come from
// untrusted files and must not drive the terminal).
void cli_print_escaped(FILE *out, const char *s);

#endif
