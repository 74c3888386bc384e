// test_cli_models.c - `thinkdiff train / sample / eval / sweep` as a user meets them:
// files that other tools read (.npy, .png, .safetensors), progress and metric output,
// and the exit codes and one-sentence reasons of every kind of bad request.
// Runs the built binary (TD_BUILD_DIR/thinkdiff) through the shell: native only.
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "cli_run.h"
#include "io/safetensors.h"

#define TMP TD_BUILD_DIR "/test_cli_models_"

static run_result run(const char *args) { return cli_run(TMP, args); }

static long file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static int count_occurrences(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++) n++;
    return n;
}

TEST(every_new_command_is_listed_and_its_help_explains_every_option) {
    run_result r = run("--help");
    CHECK_EQ(r.code, 0);
    CHECK_CONTAINS(r.out, "\n  train ");
    CHECK_CONTAINS(r.out, "\n  sample ");
    CHECK_CONTAINS(r.out, "\n  eval ");
    CHECK_CONTAINS(r.out, "\n  sweep ");
    static const char *const train_opts[] = {"--model", "--schedule", "--data", "--steps", "--batch", "--lr",
                                             "--width", "--depth", "--seed", "--out", "--quiet"};
    r = run("train --help");
    CHECK_EQ(r.code, 0);
    for (size_t i = 0; i < sizeof train_opts / sizeof *train_opts; i++) CHECK_CONTAINS(r.out, train_opts[i]);
    static const char *const sample_opts[] = {"--model", "--sampler", "--steps", "--n", "--seed", "--out",
                                              "--trajectory", "--sde", "--data"};
    r = run("sample --help");
    for (size_t i = 0; i < sizeof sample_opts / sizeof *sample_opts; i++) CHECK_CONTAINS(r.out, sample_opts[i]);
    r = run("help eval");
    CHECK_CONTAINS(r.out, "--sampler");
    CHECK_CONTAINS(r.out, "noise floor");
    r = run("sweep --help");
    CHECK_CONTAINS(r.out, "--n N");
}

TEST(train_writes_a_checkpoint_with_metadata_and_reports_progress_lines_without_a_tty) {
    run_result r = run("train toy --model vp --steps 60 --batch 64 --width 16 --depth 1 --seed 3 --out " TMP "vp.safetensors");
    CHECK_EQ(r.code, 0);
    CHECK_CONTAINS(r.err, "step     60/60");
    CHECK_CONTAINS(r.err, "steps/s");
    CHECK_CONTAINS(r.err, "s left");
    CHECK(strchr(r.err, '\r') == NULL);   // not a terminal: whole lines only
    CHECK(count_occurrences(r.err, "step ") <= 22);  // about every 5%, not every step
    CHECK_CONTAINS(r.err, "saved ");
    td_safetensors st;
    CHECK_EQ(td_safetensors_read_file(TMP "vp.safetensors", &st), TD_OK);
    if (st.n_tensors) {
        CHECK(strcmp(td_safetensors_meta(&st, "model"), "diffusion") == 0);
        CHECK(strcmp(td_safetensors_meta(&st, "sde"), "vp") == 0);
        CHECK(strcmp(td_safetensors_meta(&st, "data"), "ring8") == 0);
        CHECK(strcmp(td_safetensors_meta(&st, "seed"), "3") == 0);
        CHECK(strcmp(td_safetensors_meta(&st, "train_steps"), "60") == 0);
        CHECK(strcmp(td_safetensors_meta(&st, "width"), "16") == 0);
        CHECK(td_safetensors_meta(&st, "final_loss") != NULL);
        CHECK(td_safetensors_meta(&st, "format_version") != NULL);
        td_safetensors_free(&st);
    }
    // The same seed trains the same bytes; --quiet prints nothing.
    r = run("train toy --model vp --steps 60 --batch 64 --width 16 --depth 1 --seed 3 --quiet --out " TMP "vp2.safetensors");
    CHECK_EQ(r.code, 0);
    CHECK_EQ(strlen(r.err), 0);
    r = run("info " TMP "vp.safetensors");
    char first[sizeof r.out];
    memcpy(first, strstr(r.out, "tensors:"), sizeof first - 64);
    r = run("info " TMP "vp2.safetensors");
    CHECK(strncmp(first, strstr(r.out, "tensors:"), 200) == 0);
    CHECK(system("cmp -s '" TMP "vp.safetensors' '" TMP "vp2.safetensors'") == 0);
}

TEST(train_on_a_csv_file_and_with_the_cosine_schedule) {
    FILE *f = fopen(TMP "points.csv", "w");
    CHECK(f != NULL);
    if (!f) return;
    fprintf(f, "x,y\n");
    for (int i = 0; i < 50; i++) fprintf(f, "%d,%g\n", i % 5, 0.1 * i);
    fclose(f);
    run_result r = run("train toy --model ddpm --schedule cosine --data " TMP "points.csv --steps 20 --width 8 --depth 1 --quiet --out " TMP "csv.safetensors");
    CHECK_EQ(r.code, 0);
    r = run("info " TMP "csv.safetensors");
    CHECK_CONTAINS(r.out, "sde = ddpm-cosine");
    CHECK_CONTAINS(r.out, "points.csv");
    r = run("train toy --model ddpm --data " TMP "missing.csv --steps 20 --out " TMP "x.safetensors");
    CHECK_EQ(r.code, 1);
    CHECK_CONTAINS(r.err, "thinkdiff: cannot read");
}

TEST(sample_writes_an_npy_array_a_trajectory_and_a_png) {
    run_result r = run("sample --model exact --sampler ddim --steps 10 --n 300 --seed 5 --out " TMP "s.npy --trajectory " TMP "t.npy");
    CHECK_EQ(r.code, 0);
    CHECK_EQ(file_size(TMP "s.npy"), 128 + 300 * 2 * 4);
    CHECK_EQ(file_size(TMP "t.npy"), 128 + 11 * 300 * 2 * 4);
    char head[129];
    slurp(TMP "t.npy", head, sizeof head);
    CHECK_CONTAINS(head + 10, "'shape': (11, 300, 2)");
    // The trajectory's last slice is the samples.
    FILE *a = fopen(TMP "s.npy", "rb"), *b = fopen(TMP "t.npy", "rb");
    static float xs[600], xt[600];
    if (a && b) {
        fseek(a, 128, SEEK_SET);
        fseek(b, 128 + 10 * 300 * 2 * 4, SEEK_SET);
        CHECK_EQ(fread(xs, 4, 600, a), 600);
        CHECK_EQ(fread(xt, 4, 600, b), 600);
        CHECK(memcmp(xs, xt, sizeof xs) == 0);
    }
    if (a) fclose(a);
    if (b) fclose(b);
    r = run("sample --model " TMP "vp.safetensors --sampler ode-heun --steps 5 --n 500 --out " TMP "s.png");
    CHECK_EQ(r.code, 0);
    char png[9];
    slurp(TMP "s.png", png, sizeof png);
    CHECK(memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
}

TEST(eval_on_the_exact_score_prints_every_metric_with_its_floor) {
    run_result r = run("eval --model exact --sampler ode-heun --steps 30 --n 2000 --seed 1");
    CHECK_EQ(r.code, 0);
    CHECK_CONTAINS(r.out, "ode-heun, 30 steps, 59 network evaluations");
    CHECK_CONTAINS(r.out, "modes covered     8 / 8");
    CHECK_CONTAINS(r.out, "high quality");
    CHECK_CONTAINS(r.out, "mode KL");
    CHECK_CONTAINS(r.out, "floor");
    CHECK_CONTAINS(r.out, "MMD^2");
    r = run("eval --model exact --sde ve --sampler pc --steps 20 --n 500");
    CHECK_EQ(r.code, 0);
    CHECK_CONTAINS(r.out, "(exact, ve)");
}

TEST(sweep_prints_a_row_per_sampler_and_budget) {
    run_result r = run("sweep --model exact --n 200 --quiet");
    CHECK_EQ(r.code, 0);
    CHECK_CONTAINS(r.out, "| sampler   |  NFE | steps |");
    CHECK_EQ(count_occurrences(r.out, "\n| "), 1 + 40);  // the header and 40 rows ("|---" is not counted)
    CHECK_CONTAINS(r.out, "| ode-heun  |    9 |     5 |");
    CHECK_CONTAINS(r.out, "| pc        | 1000 |   500 |");
    CHECK_EQ(strlen(r.err), 0);
}

TEST(absurd_values_are_usage_errors_with_one_sentence) {
    static const char *const bad[][2] = {
        {"sample --model exact --steps 0 --out " TMP "x.npy", "--steps must be between 1 and 100000, got 0"},
        {"sample --model exact --steps 100001 --out " TMP "x.npy", "--steps must be between"},
        {"sample --model exact --n 0 --out " TMP "x.npy", "--n must be between 1 and 1000000, got 0"},
        {"eval --model exact --n 1000001", "--n must be between"},
        {"sample --model exact --sampler heun --out " TMP "x.npy", "unknown sampler 'heun' (choose one of: ddpm, ddpm-beta"},
        {"sample --model exact --seed -1 --out " TMP "x.npy", "--seed needs an integer in 0 .. 2^64-1"},
        {"sample --model exact --seed 18446744073709551616 --out " TMP "x.npy", "--seed needs an integer"},
        {"sample --model exact --seed 1.5 --out " TMP "x.npy", "--seed needs an integer"},
        {"sample --model exact --out " TMP "x.txt", "--out must end in .npy or .png"},
        {"sample --model exact --data moons --out " TMP "x.npy", "exact score exists for ring8 only"},
        {"train toy --model vae2 --out " TMP "x.safetensors", "unknown model 'vae2' (choose one of: ddpm, vp, subvp, ve"},
        {"train toy --model vp", "--out FILE.safetensors is required"},
        {"train toy --model vp --data spiral --out " TMP "x.safetensors", "unknown data set 'spiral'"},
        {"train toy --model vp --schedule cosine --out " TMP "x.safetensors", "--schedule applies to --model ddpm only"},
        {"train toy --model ddpm --schedule quadratic --out " TMP "x.safetensors", "unknown schedule 'quadratic'"},
        {"train faces --model vp --out " TMP "x.safetensors", "unknown task 'faces'"},
        {"train toy --model vp --lr 0 --out " TMP "x.safetensors", "--lr must lie in (0, 1]"},
        {"sweep", "--model FILE|exact is required"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run_result r = run(bad[i][0]);
        CHECK_EQ(r.code, 2);
        CHECK_CONTAINS(r.err, bad[i][1]);
        CHECK_CONTAINS(r.err, "Try 'thinkdiff help");
    }
    run_result ok = run("sample --model exact --seed 18446744073709551615 --steps 3 --n 10 --out " TMP "x.npy");
    CHECK_EQ(ok.code, 0);
}

TEST(files_that_are_not_checkpoints_fail_with_one_sentence_naming_the_file) {
    FILE *f = fopen(TMP "junk.safetensors", "w");
    if (f) {
        fputs("definitely not safetensors", f);
        fclose(f);
    }
    run_result r = run("eval --model " TMP "junk.safetensors");
    CHECK_EQ(r.code, 1);
    CHECK_CONTAINS(r.err, "thinkdiff: ");
    CHECK_EQ(count_occurrences(r.err, "\n"), 1);
    r = run("sample --model " TMP "nope.safetensors --out " TMP "x.npy");
    CHECK_EQ(r.code, 1);
    CHECK_CONTAINS(r.err, "nope.safetensors");
    // A valid safetensors file of another family is named as such.
    float w[2] = {1, 2};
    td_st_entry e = {"w", 1, {2}, w};
    td_st_pair meta[2] = {{"model", "gan"}, {"format_version", "1"}};
    CHECK_EQ(td_safetensors_write_file(TMP "gan.safetensors", &e, 1, meta, 2, TD_DTYPE_F32), TD_OK);
    r = run("eval --model " TMP "gan.safetensors");
    CHECK_EQ(r.code, 1);
    CHECK_CONTAINS(r.err, "holds a 'gan' model, which this command cannot open");
}

int main(void) {
    RUN(every_new_command_is_listed_and_its_help_explains_every_option);
    RUN(train_writes_a_checkpoint_with_metadata_and_reports_progress_lines_without_a_tty);
    RUN(train_on_a_csv_file_and_with_the_cosine_schedule);
    RUN(sample_writes_an_npy_array_a_trajectory_and_a_png);
    RUN(eval_on_the_exact_score_prints_every_metric_with_its_floor);
    RUN(sweep_prints_a_row_per_sampler_and_budget);
    RUN(absurd_values_are_usage_errors_with_one_sentence);
    RUN(files_that_are_not_checkpoints_fail_with_one_sentence_naming_the_file);
    return check_summary("test_cli_models");
}
