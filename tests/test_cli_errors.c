// test_cli_errors.c - bad input from people, at the command line: every mistake gets
// one clear sentence on stderr (plus, for usage errors, the pointer to the help), a
// non-zero exit status, and no output file. Covers names (samplers, SDEs, model files
// of the wrong family or version), numbers (steps, sample counts, seeds, trajectory
// size, classes), colours, reference images (empty, huge, truncated, not an image, a
// hostile PNG the fuzzer found, a directory) and paths that do not exist or are
// directories. Runs the built binary (TD_BUILD_DIR/thinkdiff) through the shell.
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "cli_run.h"

#define TMP TD_BUILD_DIR "/test_cli_errors_"
#define W TD_SOURCE_DIR "/web/weights/"
#define OUT TMP "out.npy"
#define REGRESS TD_SOURCE_DIR "/tests/fuzz/regressions/"

// Run `thinkdiff ARGS` (shell text) with OUT removed first.
static run_result run(const char *args) {
    remove(OUT);
    return cli_run(TMP, args);
}

// The shape of every refusal: exit `code`, stderr is "thinkdiff...: <sentence>\n" (a
// usage error adds "Try 'thinkdiff help CMD'." or "Run 'thinkdiff --help' ..."), the sentence mentions `word`, and the
// output file was not written.
static void check_refused(const char *args, int code, const char *word) {
    run_result r = run(args);
    int ok = r.code == code && strncmp(r.err, "thinkdiff", 9) == 0 && strstr(r.err, word) &&
             count_lines(r.err) == (code == 2 ? 2 : 1) && access(OUT, F_OK) != 0 &&
             (code != 2 || strstr(r.err, "\nTry 'thinkdiff help ") || strstr(r.err, "\nRun 'thinkdiff --help'"));
    if (!ok) printf("    thinkdiff %s\n    -> exit %d, stderr: %s", args, r.code, r.err);
    CHECK(ok);
}

static void write_file(const char *path, const void *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(bytes, 1, len, f);
    fclose(f);
}

// `src` with the first `from` in its first 4 kB replaced by `to` (same length) -> dst.
static int rewrite(const char *src, const char *dst, const char *from, const char *to) {
    FILE *f = fopen(src, "rb");
    if (!f) return -1;
    static char buf[1 << 21];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    size_t m = strlen(from);
    for (size_t i = 0; i + m <= n && i < 4096; i++)
        if (memcmp(buf + i, from, m) == 0) {
            memcpy(buf + i, to, m);
            write_file(dst, buf, n);
            return 0;
        }
    return -1;
}

TEST(the_check_accepts_a_good_run_and_notices_a_written_file) {
    // The helper's conditions can fail: a correct command exits 0 and writes OUT.
    run_result r = run("sample --model exact --steps 5 --n 10 --out '" OUT "'");
    CHECK_EQ(r.code, 0);
    CHECK(access(OUT, F_OK) == 0);
    CHECK_EQ(strlen(r.err), 0);
}

TEST(unknown_sampler_sde_data_and_command_names_are_refused) {
    check_refused("sample --model exact --sampler bogus --out '" OUT "'", 2, "unknown sampler 'bogus'");
    check_refused("sample --model exact --sampler '' --out '" OUT "'", 2, "unknown sampler");
    check_refused("sample --model exact --sde bogus --out '" OUT "'", 1, "unknown SDE");
    check_refused("sample --model exact --data moons --out '" OUT "'", 2, "ring8 only");
    check_refused("sample --model exact --out '" TMP "x.txt'", 2, "must end in .npy or .png");
    check_refused("sampel --model exact", 2, "unknown command 'sampel'");
    check_refused("sample --model exact --bogus 1 --out '" OUT "'", 2, "unknown option '--bogus'");
    check_refused("train toy --model bogus --out '" TMP "m.safetensors'", 2, "bogus");
}

TEST(steps_of_zero_negative_huge_or_not_a_number_are_refused) {
    check_refused("sample --model exact --steps 0 --out '" OUT "'", 2, "--steps must be between 1 and 100000, got 0");
    check_refused("sample --model exact --steps -3 --out '" OUT "'", 2, "got -3");
    check_refused("sample --model exact --steps 100001 --out '" OUT "'", 2, "got 100001");
    check_refused("sample --model exact --steps 99999999999 --out '" OUT "'", 2, "--steps needs an integer");
    check_refused("sample --model exact --steps 1e3 --out '" OUT "'", 2, "--steps needs an integer");
    check_refused("sample --model exact --steps= --out '" OUT "'", 2, "--steps needs an integer");
    check_refused("sample --model exact --out '" OUT "' --steps", 2, "--steps needs a value");
}

TEST(a_digit_vae_width_out_of_range_or_for_another_model_is_refused) {
    check_refused("train digits --model vae --width 0 --out " OUT, 2, "width");
    check_refused("train digits --model cvae --width 4097 --out " OUT, 2, "width");
    check_refused("train digits --model vae --width wide --out " OUT, 2, "width");
    check_refused("train digits --model latent --width 256 --out " OUT, 2, "width");
}

TEST(a_ddpm_schedule_refuses_more_steps_than_it_has) {
    check_refused("sample --model exact --sde ddpm-linear --steps 5000 --n 4 --out '" OUT "'", 1, "1000");
}

TEST(sample_counts_and_trajectories_over_their_caps_are_refused) {
    check_refused("sample --model exact --n 0 --out '" OUT "'", 2, "--n must be between 1 and 1000000, got 0");
    check_refused("sample --model exact --n 1000001 --out '" OUT "'", 2, "got 1000001");
    check_refused("sample --model exact --n 1000000 --steps 1000 --trajectory '" TMP "t.npy' --out '" OUT "'", 2,
                  "exceeds 200 million floats");
    check_refused("eval --model exact --n 0", 2, "--n");
    check_refused("sample --model '" W "digit_latent.safetensors' --class 3 --color '#ff0000' --n 10001 --out '" OUT "'", 2, "--n must be between 1 and 10000, got 10001");
    check_refused("sample --model '" W "digit_latent.safetensors' --grid --steps 0 --out '" OUT "'", 2,
                  "--steps must be between 1 and 100000, got 0");
}

TEST(seeds_out_of_range_or_malformed_are_refused) {
    check_refused("sample --model exact --seed -1 --out '" OUT "'", 2, "--seed needs an integer in 0 .. 2^64-1, got '-1'");
    check_refused("sample --model exact --seed 18446744073709551616 --out '" OUT "'", 2, "18446744073709551616");
    check_refused("sample --model exact --seed 1.5 --out '" OUT "'", 2, "'1.5'");
    check_refused("sample --model exact --seed '' --out '" OUT "'", 2, "--seed");
    check_refused("sample --model exact --seed ' 7' --out '" OUT "'", 2, "--seed");
    // The largest seed is accepted.
    run_result r = run("sample --model exact --seed 18446744073709551615 --steps 2 --n 2 --out '" OUT "'");
    CHECK_EQ(r.code, 0);
}

TEST(missing_files_directories_and_junk_as_models_are_refused) {
    check_refused("sample --model '" TMP "nonexistent.safetensors' --out '" OUT "'", 1, "No such file");
    check_refused("sample --model '" TD_SOURCE_DIR "/web' --out '" OUT "'", 1, "is a directory");
    check_refused("sample --model '" TD_SOURCE_DIR "/README.md' --out '" OUT "'", 1, "README.md");
    write_file(TMP "empty.safetensors", "", 0);
    check_refused("sample --model '" TMP "empty.safetensors' --out '" OUT "'", 1, "empty.safetensors");
    check_refused("info '" TD_SOURCE_DIR "/web'", 1, "is a directory");
    check_refused("info '" TMP "nonexistent.safetensors'", 1, "No such file");
}

TEST(a_weight_file_of_another_family_or_version_is_refused) {
    check_refused("sample --model '" W "classifier.safetensors' --out '" OUT "'", 1, "'classifier' model");
    check_refused("sample --model '" W "map1d.safetensors' --out '" OUT "'", 1, "'map1d' model");
    CHECK_EQ(rewrite(W "ring8-vp.safetensors", TMP "v9.safetensors", "\"format_version\":\"1\"",
                     "\"format_version\":\"9\""), 0);
    check_refused("sample --model '" TMP "v9.safetensors' --out '" OUT "'", 1, "version");
    CHECK_EQ(rewrite(W "ring8-vp.safetensors", TMP "kind.safetensors", "\"model\":\"diffusion\"",
                     "\"model\":\"diffusioN\""), 0);
    check_refused("sample --model '" TMP "kind.safetensors' --out '" OUT "'", 1, "diffusioN");
    CHECK_EQ(rewrite(W "ring8-vp.safetensors", TMP "width.safetensors", "\"width\":\"128\"", "\"width\":\"129\""), 0);
    check_refused("sample --model '" TMP "width.safetensors' --out '" OUT "'", 1, "shape");
    check_refused("eval --model '" W "classifier.safetensors' --n 10", 1, "'classifier' model");
}

// ---- digit models: colours and reference images ------------------------------------------

#define DIGIT "sample --model '" W "digit_cvae.safetensors' --class 3 "

TEST(malformed_colours_and_classes_are_refused) {
    check_refused(DIGIT "--color red --out '" OUT "'", 2, "colour 'red' is not of the form #rrggbb");
    check_refused(DIGIT "--color '#12345' --out '" OUT "'", 2, "'#12345'");
    check_refused(DIGIT "--color '#1234567' --out '" OUT "'", 2, "'#1234567'");
    check_refused(DIGIT "--color '#gg0000' --out '" OUT "'", 2, "'#gg0000'");
    check_refused(DIGIT "--color '' --out '" OUT "'", 2, "#rrggbb");
    check_refused("sample --model '" W "digit_cvae.safetensors' --class 10 --color '#ff0000' --out '" OUT "'", 2,
                  "--class must be between 0 and 9, got 10");
}

// Reference images reach td_image_read_ink; each refusal names the reference.
TEST(reference_images_empty_huge_truncated_or_not_images_are_refused) {
    static const uint8_t png_head[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    write_file(TMP "empty.png", "", 0);
    check_refused(DIGIT "--color '#ff0000' --style '" TMP "empty.png' --out '" OUT "'", 1, "0 bytes");
    write_file(TMP "text.png", "not an image\n", 13);
    check_refused(DIGIT "--color '#ff0000' --style '" TMP "text.png' --out '" OUT "'", 1, "not a readable PNG");
    // A PNG signature and nothing else: truncated before its header.
    write_file(TMP "truncated.png", png_head, sizeof png_head);
    check_refused(DIGIT "--color '#ff0000' --style '" TMP "truncated.png' --out '" OUT "'", 1, "not a readable PNG");
    // A header claiming 10000 x 10000 pixels (no data needed: refused before decoding).
    uint8_t huge[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                        0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10, 8, 6, 0, 0, 0, 0, 0, 0, 0};
    write_file(TMP "huge.png", huge, sizeof huge);
    check_refused(DIGIT "--color '#ff0000' --style '" TMP "huge.png' --out '" OUT "'", 1, "exceeds the cap");
    // Found by fuzz_image: a 16 x 16 PNG whose IDAT chunk claims 1.2 GB.
    check_refused(DIGIT "--color '#ff0000' --style '" REGRESS "image/idat-claims-1.2GB.png' --out '" OUT "'", 1,
                  "claims more data");
    check_refused(DIGIT "--color '#ff0000' --style '" TD_SOURCE_DIR "/web' --out '" OUT "'", 1, "is a directory");
}

int main(void) {
    RUN(the_check_accepts_a_good_run_and_notices_a_written_file);
    RUN(unknown_sampler_sde_data_and_command_names_are_refused);
    RUN(steps_of_zero_negative_huge_or_not_a_number_are_refused);
    RUN(a_digit_vae_width_out_of_range_or_for_another_model_is_refused);
    RUN(a_ddpm_schedule_refuses_more_steps_than_it_has);
    RUN(sample_counts_and_trajectories_over_their_caps_are_refused);
    RUN(seeds_out_of_range_or_malformed_are_refused);
    RUN(missing_files_directories_and_junk_as_models_are_refused);
    RUN(a_weight_file_of_another_family_or_version_is_refused);
    RUN(malformed_colours_and_classes_are_refused);
    RUN(reference_images_empty_huge_truncated_or_not_images_are_refused);
    remove(OUT);
    return check_summary("test_cli_errors");
}
