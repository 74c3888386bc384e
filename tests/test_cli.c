// test_cli.c - the `thinkdiff` program as a user meets it: help, version,
// `info` on real files, and the exit codes and stderr sentences of failures.
// Runs the built binary (TD_BUILD_DIR/thinkdiff) through the shell.
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "cli_run.h"
#include "io/safetensors.h"

#define TMP TD_BUILD_DIR "/test_cli_"

// Run `thinkdiff ARGS` (ARGS is shell text) capturing stdout, stderr and the exit code.
static run_result run(const char *args) { return cli_run(TMP, args); }

TEST(the_binary_exists) { CHECK(access(CLI_BIN, X_OK) == 0); }

TEST(help_lists_every_command_and_exits_zero) {
    run_result r = run("--help");
    CHECK_EQ(r.code, 0);
    CHECK_CONTAINS(r.out, "Usage: thinkdiff COMMAND [ARGS...]");
    CHECK_CONTAINS(r.out, "\n  info ");
    CHECK_CONTAINS(r.out, "\n  version ");
    CHECK_CONTAINS(r.out, "\n  help ");
    CHECK_CONTAINS(r.out, "Show the tensors, metadata and parameter count");
    CHECK_EQ(strlen(r.err), 0);
    run_result h = run("-h");
    CHECK_EQ(h.code, 0);
    CHECK_CONTAINS(h.out, "Usage: thinkdiff COMMAND");
    run_result hh = run("help");
    CHECK_EQ(hh.code, 0);
    CHECK_CONTAINS(hh.out, "Usage: thinkdiff COMMAND");
}

TEST(help_command_and_command_help_flag_print_the_same_usage) {
    run_result a = run("help info");
    CHECK_EQ(a.code, 0);
    CHECK_CONTAINS(a.out, "Usage: thinkdiff info FILE.safetensors");
    CHECK_CONTAINS(a.out, "total parameter count");
    char first[sizeof a.out];
    memcpy(first, a.out, sizeof first);
    run_result b = run("info --help");
    CHECK_EQ(b.code, 0);
    CHECK(strcmp(first, b.out) == 0);
    run_result c = run("help version");
    CHECK_CONTAINS(c.out, "Usage: thinkdiff version");
    run_result d = run("help help");
    CHECK_CONTAINS(d.out, "Usage: thinkdiff help [COMMAND]");
}

TEST(version_prints_the_program_name_and_version) {
    run_result a = run("version");
    CHECK_EQ(a.code, 0);
    CHECK_CONTAINS(a.out, "thinkdiff 0.");
    char first[sizeof a.out];
    memcpy(first, a.out, sizeof first);
    run_result b = run("--version");
    CHECK_EQ(b.code, 0);
    CHECK(strcmp(first, b.out) == 0);
    CHECK_EQ(run("version extra").code, 2);
}

TEST(info_prints_tensors_metadata_and_the_parameter_count) {
    float w[12], b[4] = {0}, s = 1.0f;
    for (int i = 0; i < 12; i++) w[i] = (float)i;
    td_st_entry t[] = {{"enc.0.weight", 2, {4, 3}, w}, {"enc.0.bias", 1, {4}, b},
                       {"log_scale", 0, {0}, &s}, {"unused", 2, {0, 7}, NULL}};
    td_st_pair meta[] = {{"kind", "vae"}, {"steps", "1000"}, {"evil", "a\nb\x1b[31m"}};
    CHECK_EQ(td_safetensors_write_file(TMP "model.safetensors", t, 4, meta, 3, TD_DTYPE_F16), TD_OK);
    run_result r = run("info '" TMP "model.safetensors'");
    CHECK_EQ(r.code, 0);
    CHECK_EQ(strlen(r.err), 0);
    CHECK_CONTAINS(r.out, "tensors: 4\n");
    CHECK_CONTAINS(r.out, "  enc.0.weight  F16    [4, 3]                           12\n");
    CHECK_CONTAINS(r.out, "  enc.0.bias    F16    [4]                               4\n");
    CHECK_CONTAINS(r.out, "  log_scale     F16    []                                1\n");
    CHECK_CONTAINS(r.out, "  unused        F16    [0, 7]                            0\n");
    CHECK_CONTAINS(r.out, "metadata: 3\n  kind = vae\n  steps = 1000\n");
    CHECK_CONTAINS(r.out, "  evil = a\\x0ab\\x1b[31m\n");  // control bytes escaped
    CHECK(strchr(r.out, '\x1b') == NULL);
    CHECK_CONTAINS(r.out, "parameters: 17\n");
    // The order of the listing is the file's order.
    char *weight = strstr(r.out, "enc.0.weight  "), *bias = strstr(r.out, "enc.0.bias  ");
    CHECK(weight && bias && weight < bias);
    unlink(TMP "model.safetensors");
}

TEST(a_corrupt_file_fails_with_one_sentence_on_stderr_and_exit_code_one) {
    const char *header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,12]}}";
    FILE *f = fopen(TMP "corrupt.safetensors", "wb");
    CHECK(f != NULL);
    if (!f) return;
    unsigned char len[8] = {(unsigned char)strlen(header)};
    fwrite(len, 1, 8, f);
    fwrite(header, 1, strlen(header), f);
    fwrite("0123456789ab", 1, 12, f);
    fclose(f);
    run_result r = run("info '" TMP "corrupt.safetensors'");
    CHECK_EQ(r.code, 1);
    CHECK_EQ(strlen(r.out), 0);
    CHECK_CONTAINS(r.err, "thinkdiff: cannot read '" TMP "corrupt.safetensors': tensor 'w': "
                          "data_offsets [0, 12] hold 12 bytes but shape [4, 4] of F32 needs 64\n");
    CHECK_EQ(count_lines(r.err), 1);
    unlink(TMP "corrupt.safetensors");
}

TEST(a_missing_file_or_a_directory_fails_clearly) {
    run_result r = run("info '" TMP "does-not-exist.safetensors'");
    CHECK_EQ(r.code, 1);
    CHECK_CONTAINS(r.err, "thinkdiff: cannot read '" TMP "does-not-exist.safetensors': No such file or directory\n");
    CHECK_EQ(count_lines(r.err), 1);
    mkdir(TMP "dir.safetensors", 0755);
    r = run("info '" TMP "dir.safetensors'");
    CHECK_EQ(r.code, 1);
    CHECK_CONTAINS(r.err, "thinkdiff: cannot read '" TMP "dir.safetensors': it is a directory\n");
    CHECK_EQ(count_lines(r.err), 1);
    rmdir(TMP "dir.safetensors");
}

TEST(unknown_commands_options_and_missing_arguments_are_usage_errors) {
    run_result r = run("frobnicate");
    CHECK_EQ(r.code, 2);
    CHECK_CONTAINS(r.err, "thinkdiff: unknown command 'frobnicate'");
    CHECK_EQ(strlen(r.out), 0);
    r = run("--frobnicate");
    CHECK_EQ(r.code, 2);
    CHECK_CONTAINS(r.err, "thinkdiff: unknown option '--frobnicate'");
    r = run("");
    CHECK_EQ(r.code, 2);
    CHECK_CONTAINS(r.err, "Usage: thinkdiff COMMAND");
    r = run("info");
    CHECK_EQ(r.code, 2);
    CHECK_CONTAINS(r.err, "thinkdiff info: missing argument");
    CHECK_CONTAINS(r.err, "Try 'thinkdiff help info'.");
    r = run("info --verbose x.safetensors");
    CHECK_EQ(r.code, 2);
    CHECK_CONTAINS(r.err, "thinkdiff info: unknown option '--verbose'");
    r = run("info a.safetensors b.safetensors");
    CHECK_EQ(r.code, 2);
    CHECK_CONTAINS(r.err, "unexpected argument 'b.safetensors'");
    r = run("help frobnicate");
    CHECK_EQ(r.code, 2);
    CHECK_CONTAINS(r.err, "unknown command 'frobnicate'");
    // After "--" a dash-led name is a file, not an option.
    r = run("info -- --help");
    CHECK_EQ(r.code, 1);
    CHECK_CONTAINS(r.err, "cannot read '--help'");
}

int main(void) {
    RUN(the_binary_exists);
    RUN(help_lists_every_command_and_exits_zero);
    RUN(help_command_and_command_help_flag_print_the_same_usage);
    RUN(version_prints_the_program_name_and_version);
    RUN(info_prints_tensors_metadata_and_the_parameter_count);
    RUN(a_corrupt_file_fails_with_one_sentence_on_stderr_and_exit_code_one);
    RUN(a_missing_file_or_a_directory_fails_clearly);
    RUN(unknown_commands_options_and_missing_arguments_are_usage_errors);
    unlink(TMP "out.txt");
    unlink(TMP "err.txt");
    return check_summary("test_cli");
}
