// cli_models.c - seeds, data sources, and models opened by family for sample / eval / sweep.
#include "cli/cli_models.h"
#include "cli/cli_vae.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io/file.h"
#include "models/score_model.h"
#include "prob/mixture.h"

// ---- arguments ------------------------------------------------------------------------

int cli_parse_seed(const cli_command *cmd, const char *text, uint64_t *out) {
    const char *s = text;
    if (!*s) return cli_usage_error(cmd, "--seed needs an integer in 0 .. 2^64-1, got ''");
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return cli_usage_error(cmd, "--seed needs an integer in 0 .. 2^64-1, got '%s'", text);
    errno = 0;
    unsigned long long v = strtoull(text, NULL, 10);
    if (errno == ERANGE || v > UINT64_MAX)
        return cli_usage_error(cmd, "--seed needs an integer in 0 .. 2^64-1, got '%s'", text);
    *out = (uint64_t)v;
    return CLI_OK;
}

int cli_check_range(const cli_command *cmd, const char *name, int value, int lo, int hi) {
    if (value < lo || value > hi)
        return cli_usage_error(cmd, "--%s must be between %d and %d, got %d", name, lo, hi, value);
    return CLI_OK;
}

int cli_parse_sampler(const cli_command *cmd, const char *name, td_sampler_kind *out) {
    td_sampler_kind k = td_sampler_from_name(name);
    if (k == TD_SAMPLER_INVALID)
        return cli_usage_error(cmd, "unknown sampler '%s' (choose one of: %s)", name, td_sampler_names());
    *out = k;
    return CLI_OK;
}

// ---- data --------------------------------------------------------------------------------

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

td_status cli_data_open(cli_data *d, const char *name) {
    memset(d, 0, sizeof *d);
    if (strlen(name) >= sizeof d->name) return td_fail(TD_ERR_ARG, "the data name is too long");
    snprintf(d->name, sizeof d->name, "%s", name);
    if (!ends_with(name, ".csv")) {
        if (td_toy_parse(name, &d->toy) != TD_OK)
            return td_fail(TD_ERR_ARG, "unknown data set '%.64s' (choose ring8, moons, swissroll, checkerboard or a FILE.csv)",
                           name);
        d->is_toy = 1;
        return TD_OK;
    }
    uint8_t *bytes;
    size_t len;
    td_status st = td_file_read(name, (size_t)64 << 20, &bytes, &len);
    if (st != TD_OK) return st;
    st = td_points_parse_csv(&d->points, (const char *)bytes, len);
    free(bytes);
    if (st != TD_OK) {
        char why[256];
        snprintf(why, sizeof why, "%s", td_error_message());  // td_fail reuses the buffer
        return td_fail(st, "'%.200s': %s", name, why);
    }
    return TD_OK;
}

void cli_data_close(cli_data *d) {
    if (!d->is_toy) td_points_free(&d->points);
    memset(d, 0, sizeof *d);
}

td_status cli_data_draw(void *ctx, td_rng *rng, float *out, int n) {
    cli_data *d = ctx;
    if (d->is_toy) return td_toy_sample(d->toy, rng, out, n);
    // A finite point set: draw rows uniformly with replacement (the empirical distribution).
    for (int i = 0; i < n; i++) {
        uint32_t r = td_rng_below(rng, (uint32_t)d->points.n);
        out[2 * i] = d->points.xy[2 * (size_t)r];
        out[2 * i + 1] = d->points.xy[2 * (size_t)r + 1];
    }
    return TD_OK;
}

// ---- the diffusion family: a checkpoint's score net behind the samplers ------------------

typedef struct {
    td_score_model model;
    td_score_net_work work;
    td_score_net_ctx ctx;
} diffusion_impl;

static td_status diffusion_generate(cli_model *m, const cli_gen_request *req, float *out, float *traj,
                                    long *nfe) {
    diffusion_impl *d = m->impl;
    td_denoiser den = td_score_net_denoiser(&d->ctx);
    td_status st = td_sampler_init_prior(&d->model.sde, req->rng, out, req->n, m->dim);
    if (st != TD_OK) return st;
    return td_sampler_run(req->sampler, &d->model.sde, &den, req->rng, out, req->n, m->dim, req->steps,
                          &req->opts, traj, nfe);
}

static void diffusion_close(cli_model *m) {
    diffusion_impl *d = m->impl;
    if (!d) return;
    td_score_net_work_free(&d->work);
    td_score_model_free(&d->model);
    free(d);
}

static td_status diffusion_open(const td_safetensors *st, cli_model *m) {
    diffusion_impl *d = calloc(1, sizeof *d);
    if (!d) return td_fail(TD_ERR_NOMEM, "cannot allocate the model");
    td_status s = td_score_model_load(&d->model, st);
    if (s == TD_OK) s = td_score_net_work_init(&d->work, &d->model.net, 4096);
    if (s != TD_OK) {
        td_score_model_free(&d->model);
        free(d);
        return s;
    }
    d->ctx.net = &d->model.net;
    d->ctx.params = &d->model.params;
    d->ctx.work = &d->work;
    d->ctx.label = -1;
    m->impl = d;
    m->dim = d->model.net.cfg.data_dim;
    snprintf(m->sde_name, sizeof m->sde_name, "%s", td_sde_name(&d->model.sde));
    const char *data = td_safetensors_meta(st, "data");
    snprintf(m->data, sizeof m->data, "%s", data ? data : "");
    m->generate = diffusion_generate;
    m->close = diffusion_close;
    return TD_OK;
}

// ---- the exact score of the noised ring: the perfect network --------------------------------

typedef struct {
    td_mixture mixture;
    td_sde sde;
    td_mixture_score ctx;
} exact_impl;

static td_status exact_generate(cli_model *m, const cli_gen_request *req, float *out, float *traj, long *nfe) {
    exact_impl *e = m->impl;
    td_denoiser den = td_mixture_score_denoiser(&e->ctx);
    td_status st = td_sampler_init_prior(&e->sde, req->rng, out, req->n, 2);
    if (st != TD_OK) return st;
    return td_sampler_run(req->sampler, &e->sde, &den, req->rng, out, req->n, 2, req->steps, &req->opts, traj, nfe);
}

static void exact_close(cli_model *m) {
    exact_impl *e = m->impl;
    if (!e) return;
    td_mixture_free(&e->mixture);
    free(e);
}

static td_status exact_open(cli_model *m, const char *sde_name) {
    exact_impl *e = calloc(1, sizeof *e);
    if (!e) return td_fail(TD_ERR_NOMEM, "cannot allocate the exact model");
    td_ring8 ring = td_ring8_default();
    td_status st = td_sde_from_name(sde_name ? sde_name : "vp", &e->sde);
    if (st == TD_OK) st = td_mixture_init_ring(&e->mixture, TD_RING8_MODES, (double)ring.radius, (double)ring.std);
    if (st != TD_OK) {
        free(e);
        return st;
    }
    e->ctx.mixture = &e->mixture;
    e->ctx.sde = &e->sde;
    m->impl = e;
    m->dim = 2;
    snprintf(m->kind, sizeof m->kind, "exact");
    snprintf(m->sde_name, sizeof m->sde_name, "%s", td_sde_name(&e->sde));
    snprintf(m->data, sizeof m->data, "ring8");
    m->generate = exact_generate;
    m->close = exact_close;
    return TD_OK;
}

// ---- dispatch on the checkpoint's "model" metadata ------------------------------------------

typedef struct {
    const char *kind;
    td_status (*open)(const td_safetensors *st, cli_model *m);
} cli_family;

// Add a row for each model family (the VAE's "vae", "hvae").
static const cli_family families[] = {
    {TD_SCORE_MODEL_KIND, diffusion_open},
    {"vae", cli_vae_open},
    {"hvae", cli_hvae_open},
};
enum { N_FAMILIES = sizeof families / sizeof families[0] };

td_status cli_model_open(cli_model *m, const char *spec, const char *sde_name) {
    memset(m, 0, sizeof *m);
    if (strcmp(spec, "exact") == 0) return exact_open(m, sde_name);
    td_safetensors st;
    td_status s = td_safetensors_read_file(spec, &st);
    if (s != TD_OK) return s;
    const char *kind = td_safetensors_meta(&st, "model");
    if (!kind) {
        td_safetensors_free(&st);
        return td_fail(TD_ERR_FORMAT, "'%.200s' has no 'model' metadata: it is not a thinkdiff checkpoint", spec);
    }
    for (int i = 0; i < N_FAMILIES; i++)
        if (strcmp(kind, families[i].kind) == 0) {
            snprintf(m->kind, sizeof m->kind, "%s", kind);
            s = families[i].open(&st, m);
            if (s != TD_OK) {
                char why[256];
                snprintf(why, sizeof why, "%s", td_error_message());  // td_fail reuses the buffer
                s = td_fail(s, "'%.200s': %s", spec, why);
            }
            td_safetensors_free(&st);
            return s;
        }
    s = td_fail(TD_ERR_FORMAT, "'%.200s' holds a '%.40s' model, which this command cannot open", spec, kind);
    td_safetensors_free(&st);
    return s;
}

void cli_model_close(cli_model *m) {
    if (m->close) m->close(m);
    memset(m, 0, sizeof *m);
}

// ---- metrics ----------------------------------------------------------------------------------

td_status cli_metrics(const float *x, int n, const char *data_name, uint64_t seed, td_metrics *out) {
    cli_data data;
    td_status st = cli_data_open(&data, data_name);
    if (st != TD_OK) return st;
    td_metrics_config cfg = td_metrics_config_default();
    cfg.seed = seed;
    float centres[2 * TD_RING8_MODES];
    td_ring8 ring = td_ring8_default();
    td_ring8_centres(&ring, centres);
    td_mode_ref ref = {centres, TD_RING8_MODES, ring.std};
    int ring8 = data.is_toy && data.toy == TD_TOY_RING8;
    st = td_metrics_evaluate(x, n, cli_data_draw, &data, ring8 ? &ref : NULL, &cfg, out);
    cli_data_close(&data);
    return st;
}

int cli_print_metrics(const float *x, int n, const char *data, uint64_t seed) {
    td_metrics m;
    char text[1024];
    if (cli_metrics(x, n, data, seed, &m) != TD_OK || td_metrics_format(&m, text, sizeof text) != TD_OK)
        return cli_fail("%s", td_error_message());
    fputs(text, stdout);
    return CLI_OK;
}
