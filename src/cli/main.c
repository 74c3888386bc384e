// main.c - the `thinkdiff` program: the command table and dispatch.
//
//   thinkdiff COMMAND [ARGS...]     run a command
//   thinkdiff --help | help [CMD]   list commands / explain one
//   thinkdiff CMD --help            explain one
//   thinkdiff --version | version   print the version
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int run_help(int argc, char **argv);
static int run_version(int argc, char **argv);

static const cli_command cmd_help = {
    "help", "Explain the commands, or one command",
    "Usage: thinkdiff help [COMMAND]\n"
    "\n"
    "Without COMMAND, list every command with a one-line summary.\n"
    "With COMMAND, print its full usage (the same as 'thinkdiff COMMAND --help').\n",
    run_help, 0};

static const cli_command cmd_version = {
    "version", "Print the version of thinkdiff",
    "Usage: thinkdiff version\n"
    "\n"
    "Print the program name and version (also 'thinkdiff --version').\n",
    run_version, 0};

// The command table: add a row here (and a declaration in cli.h) for a new command.
static const cli_command *const commands[] = {
    &cli_cmd_train,
    &cli_cmd_sample,
    &cli_cmd_eval,
    &cli_cmd_sweep,
    &cli_cmd_info,
    &cmd_version,
    &cmd_help,
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static const cli_command *find_command(const char *name) {
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0) return commands[i];
    return NULL;
}

static void print_overview(FILE *out) {
    fprintf(out,
            "thinkdiff %s - diffusion models from scratch: VAE, DDPM and score SDEs in C\n"
            "\n"
            "Usage: thinkdiff COMMAND [ARGS...]\n"
            "\n"
            "Commands:\n",
            TD_VERSION);
    for (int i = 0; i < N_COMMANDS; i++)
        if (!commands[i]->hidden)
            fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out,
            "\n"
            "Run 'thinkdiff help COMMAND' or 'thinkdiff COMMAND --help' for details.\n"
            "Exit status: 0 on success, 1 on failure, 2 on a usage error.\n");
}

static int run_help(int argc, char **argv) {
    char *name = NULL;
    int n_pos;
    int rc = cli_parse_args(&cmd_help, argc, argv, NULL, 0, &name, 0, 1, &n_pos);
    if (rc) return rc;
    if (!name) {
        print_overview(stdout);
        return CLI_OK;
    }
    const cli_command *cmd = find_command(name);
    if (!cmd) return cli_usage_error(&cmd_help, "unknown command '%s'", name);
    fputs(cmd->usage, stdout);
    return CLI_OK;
}

static int run_version(int argc, char **argv) {
    int n_pos;
    int rc = cli_parse_args(&cmd_version, argc, argv, NULL, 0, NULL, 0, 0, &n_pos);
    if (rc) return rc;
    printf("thinkdiff %s\n", TD_VERSION);
    return CLI_OK;
}

// True when the command's own arguments ask for help (before any "--").
static int wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) return 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_overview(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_overview(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0) name = "version";
    const cli_command *cmd = find_command(name);
    if (!cmd) {
        if (name[0] == '-') fprintf(stderr, "thinkdiff: unknown option '%s'\n", name);
        else fprintf(stderr, "thinkdiff: unknown command '%s'\n", name);
        fprintf(stderr, "Run 'thinkdiff --help' for the list of commands.\n");
        return CLI_USAGE;
    }
    if (wants_help(argc - 1, argv + 1)) {
        fputs(cmd->usage, stdout);
        return CLI_OK;
    }
    int rc = cmd->run(argc - 1, argv + 1);
    if (fflush(stdout) != 0 && rc == CLI_OK) return cli_fail("cannot write the output");
    return rc;
}
