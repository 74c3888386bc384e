// api.c - the page's binding: a thin, explicit layer over the C library.
//
// Rules every export follows (the JS side, web/js/api.js, relies on them):
//   - objects that live across calls are integer handles (wasm/handles.h);
//   - fallible calls return an int: >= 0 on success (a handle or a count),
//     a negative td_status on failure, with the reason in td_wasm_last_error();
//   - arrays are caller-owned buffers in the wasm heap, passed with their
//     element counts; every count is checked before anything is touched.
// Exports are listed in exports.txt; build-wasm.sh links only those.
#include <math.h>
#include <stdlib.h>

#include "core/status.h"
#include "nn/dense.h"
#include "prob/normal.h"
#include "prob/rng.h"
#include "wasm/api_util.h"
#include "wasm/handles.h"

// ---- status -----------------------------------------------------------------------------

const char *td_wasm_last_error(void) { return td_error_message(); }

int td_wasm_live_handles(void) { return td_handle_live(); }

td_status td_wasm_check_count(int n, int max, const char *what) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "%s must be positive, got %d", what, n);
    if (n > max) return td_fail(TD_ERR_LIMIT, "%s %d exceeds the page's cap of %d", what, n, max);
    return TD_OK;
}

td_status td_wasm_check_buffer(const void *p, const char *what) {
    return p ? TD_OK : td_fail(TD_ERR_ARG, "%s buffer is NULL", what);
}

// ---- the normal distribution (section 1: sampling is a transformation) ------------------

double td_wasm_normal_pdf(double x) { return td_normal_pdf(x); }
double td_wasm_normal_cdf(double x) { return td_normal_cdf(x); }
double td_wasm_normal_icdf(double p) { return td_normal_icdf(p); }

// ---- random numbers -----------------------------------------------------------------------

// Seeds arrive as JS numbers: integers in [0, 2^53) convert exactly to uint64.
static td_status seed_from_double(double v, const char *what, uint64_t *out) {
    if (!(v >= 0.0 && v < 9007199254740992.0) || v != floor(v))
        return td_fail(TD_ERR_ARG, "%s must be an integer in [0, 2^53), got %g", what, v);
    *out = (uint64_t)v;
    return TD_OK;
}

int td_wasm_rng_create(double seed, double stream) {
    uint64_t s, q;
    if (seed_from_double(seed, "seed", &s) || seed_from_double(stream, "stream", &q))
        return TD_ERR_ARG;
    td_rng *rng = malloc(sizeof *rng);
    if (!rng) return td_fail(TD_ERR_NOMEM, "out of memory for an rng");
    td_rng_seed(rng, s, q);
    return td_handle_put(TD_H_RNG, rng, free);
}

int td_wasm_rng_free(int h) { return td_handle_free(h, TD_H_RNG); }

// u (n) uniform in [0, 1)
int td_wasm_rng_uniform(int h, float *u, int n) {
    td_rng *rng = td_handle_get(h, TD_H_RNG);
    if (!rng) return TD_ERR_ARG;
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES, "count");
    if (rc || (rc = td_wasm_check_buffer(u, "output"))) return rc;
    for (size_t i = 0; i < (size_t)n; i++) u[i] = (float)td_rng_uniform(rng);
    return n;
}

// x (n) ~ N(0, 1) by Box-Muller
int td_wasm_rng_normal(int h, float *x, int n) {
    td_rng *rng = td_handle_get(h, TD_H_RNG);
    if (!rng) return TD_ERR_ARG;
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES, "count");
    if (rc || (rc = td_wasm_check_buffer(x, "output"))) return rc;
    td_rng_fill_normal(rng, x, (size_t)n);
    return n;
}

// The blog's first example: u (n) ~ U(0, 1) and x (n) = Phi^-1(u) ~ N(0, 1).
// The transform runs in double on the exact uniform before either is rounded.
int td_wasm_icdf_transform(int h, float *u, float *x, int n) {
    td_rng *rng = td_handle_get(h, TD_H_RNG);
    if (!rng) return TD_ERR_ARG;
    int rc = td_wasm_check_count(n, TD_WASM_MAX_VALUES, "count");
    if (rc || (rc = td_wasm_check_buffer(u, "uniform")) || (rc = td_wasm_check_buffer(x, "normal")))
        return rc;
    for (size_t i = 0; i < (size_t)n; i++) {
        double p = td_rng_uniform_open(rng);
        u[i] = (float)p;
        x[i] = (float)td_normal_icdf(p);
    }
    return n;
}

// ---- the dense layer ---------------------------------------------------------------------

typedef struct {
    int in, out;
    td_act act;
    float *W;  // (out, in)
    float *b;  // (out)
} dense_obj;

static void dense_destroy(void *p) {
    dense_obj *d = p;
    free(d->W);
    free(d->b);
    free(d);
}

// A layer with zero weights; fill them with td_wasm_dense_set.
int td_wasm_dense_create(int in, int out, int act) {
    int rc = td_wasm_check_count(in, TD_WASM_MAX_WIDTH, "input width");
    if (rc || (rc = td_wasm_check_count(out, TD_WASM_MAX_WIDTH, "output width"))) return rc;
    if (act < TD_ACT_NONE || act > TD_ACT_TANH)
        return td_fail(TD_ERR_ARG, "activation %d is not one of 0..%d", act, (int)TD_ACT_TANH);
    dense_obj *d = calloc(1, sizeof *d);
    if (!d) return td_fail(TD_ERR_NOMEM, "out of memory for a dense layer");
    d->in = in;
    d->out = out;
    d->act = (td_act)act;
    d->W = calloc((size_t)in * (size_t)out, sizeof *d->W);  // widths are capped: no overflow
    d->b = calloc((size_t)out, sizeof *d->b);
    if (!d->W || !d->b) {
        dense_destroy(d);
        return td_fail(TD_ERR_NOMEM, "out of memory for a %d x %d dense layer", out, in);
    }
    return td_handle_put(TD_H_DENSE, d, dense_destroy);
}

int td_wasm_dense_free(int h) { return td_handle_free(h, TD_H_DENSE); }

// W (out, in) and b (out) are copied in; b may be NULL for a zero bias.
int td_wasm_dense_set(int h, const float *W, const float *b) {
    dense_obj *d = td_handle_get(h, TD_H_DENSE);
    if (!d) return TD_ERR_ARG;
    int rc = td_wasm_check_buffer(W, "weight");
    if (rc) return rc;
    size_t nw = (size_t)d->in * (size_t)d->out, nb = (size_t)d->out;
    for (size_t i = 0; i < nw; i++) d->W[i] = W[i];
    for (size_t i = 0; i < nb; i++) d->b[i] = b ? b[i] : 0.0f;
    return TD_OK;
}

// x (M, in) -> y (M, out)
int td_wasm_dense_forward(int h, const float *x, int M, float *y) {
    dense_obj *d = td_handle_get(h, TD_H_DENSE);
    if (!d) return TD_ERR_ARG;
    int rc = td_wasm_check_count(M, TD_WASM_MAX_VALUES / (d->in > d->out ? d->in : d->out), "rows");
    if (rc || (rc = td_wasm_check_buffer(x, "input")) || (rc = td_wasm_check_buffer(y, "output")))
        return rc;
    td_dense_forward(x, d->W, d->b, NULL, y, M, d->in, d->out, d->act);
    return M;
}

// Which kernel the module's dense layers run ("wasm128" when SIMD is in).
const char *td_wasm_dense_path(void) {
    return td_dense_kernel_for(td_dense_best_path())->name;
}
