// map1d.c - the exact 1-D transport map to a two-Gaussian mixture, and a
// monotone tanh-ramp map learned from sorted samples.
#include "models/map1d.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prob/normal.h"

// ---- the target ---------------------------------------------------------------------

td_mix1d td_mix1d_default(void) {
    td_mix1d m = {{0.5, 0.5}, {-2.0, 2.0}, {0.5, 0.5}};
    return m;
}

td_status td_mix1d_check(const td_mix1d *m) {
    if (!m) return td_fail(TD_ERR_ARG, "no target mixture given");
    for (int k = 0; k < 2; k++) {
        if (!isfinite(m->weight[k]) || m->weight[k] < 0.0 || !isfinite(m->mean[k]) ||
            !isfinite(m->std[k]) || !(m->std[k] > 0.0))
            return td_fail(TD_ERR_ARG,
                           "mixture component %d needs a weight >= 0, a finite mean and std > 0 "
                           "(got %g, %g, %g)", k, m->weight[k], m->mean[k], m->std[k]);
    }
    if (fabs(m->weight[0] + m->weight[1] - 1.0) > 1e-9)
        return td_fail(TD_ERR_ARG, "mixture weights must sum to 1, got %g",
                       m->weight[0] + m->weight[1]);
    return TD_OK;
}

double td_mix1d_pdf(const td_mix1d *m, double y) {
    double p = 0.0;
    for (int k = 0; k < 2; k++)
        p += m->weight[k] * td_normal_pdf((y - m->mean[k]) / m->std[k]) / m->std[k];
    return p;
}

double td_mix1d_cdf(const td_mix1d *m, double y) {
    double c = 0.0;
    for (int k = 0; k < 2; k++) c += m->weight[k] * td_normal_cdf((y - m->mean[k]) / m->std[k]);
    return c;
}

double td_mix1d_icdf(const td_mix1d *m, double p) {
    if (!(p >= 0.0 && p <= 1.0)) return (double)NAN;
    if (p == 0.0) return -(double)INFINITY;
    if (p == 1.0) return (double)INFINITY;
    // The answer lies within 40 std of a mean: Phi(-40) underflows to 0 in double.
    double lo = fmin(m->mean[0] - 40.0 * m->std[0], m->mean[1] - 40.0 * m->std[1]);
    double hi = fmax(m->mean[0] + 40.0 * m->std[0], m->mean[1] + 40.0 * m->std[1]);
    for (int it = 0; it < 200 && hi - lo > 1e-15 * fmax(1.0, fabs(lo)); it++) {
        double mid = 0.5 * (lo + hi);
        if (td_mix1d_cdf(m, mid) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

void td_mix1d_sample(const td_mix1d *m, td_rng *rng, float *y, int n) {
    for (int i = 0; i < n; i++) {
        int k = td_rng_uniform(rng) < m->weight[0] ? 0 : 1;
        y[i] = (float)(m->mean[k] + m->std[k] * td_rng_normal(rng));
    }
}

double td_mix1d_transport(const td_mix1d *m, double x) { return td_mix1d_icdf(m, td_normal_cdf(x)); }

// ---- the learned map ----------------------------------------------------------------

static float softplus(float v) { return v > 20.0f ? v : log1pf(expf(v)); }
static float sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

td_status td_map1d_init(td_map1d *m, int units, td_rng *rng) {
    memset(m, 0, sizeof *m);
    td_params_init(&m->params);
    if (units < 1 || units > TD_MAP1D_MAX_UNITS)
        return td_fail(TD_ERR_ARG, "a 1-D map needs 1..%d units, got %d", TD_MAP1D_MAX_UNITS, units);
    if (!rng) return td_fail(TD_ERR_ARG, "td_map1d_init needs an rng");
    m->units = units;
    const int one = 1;
    td_status st = td_params_declare(&m->params, "map.a", 1, &units, TD_INIT_NORMAL, 1.0f, &m->a);
    if (st == TD_OK)
        st = td_params_declare(&m->params, "map.u", 1, &units, TD_INIT_NORMAL, 1.0f, &m->u);
    if (st == TD_OK)
        st = td_params_declare(&m->params, "map.c", 1, &units, TD_INIT_NORMAL, 1.0f, &m->c);
    if (st == TD_OK)
        st = td_params_declare(&m->params, "map.b", 1, &one, TD_INIT_ZERO, 0.0f, &m->b);
    if (st == TD_OK) st = td_params_alloc(&m->params);
    if (st == TD_OK) st = td_params_init_weights(&m->params, rng);
    if (st != TD_OK) td_params_free(&m->params);
    return st;
}

void td_map1d_free(td_map1d *m) {
    if (m) td_params_free(&m->params);
}

// x (n) -> y (n) = b + sum_k softplus(a_k) tanh(softplus(u_k) x + c_k), in chunks
// so each unit's softplus is computed once per chunk, not once per point.
void td_map1d_eval(const td_map1d *m, const float *x, float *y, int n) {
    const float *a = m->params.data + m->a, *u = m->params.data + m->u;
    const float *c = m->params.data + m->c, b = m->params.data[m->b];
    enum { CHUNK = 256 };
    float xs[CHUNK], acc[CHUNK];
    for (int start = 0; start < n; start += CHUNK) {
        int len = n - start < CHUNK ? n - start : CHUNK;
        for (int i = 0; i < len; i++) {
            xs[i] = x[start + i];   // y may alias x
            acc[i] = b;
        }
        for (int k = 0; k < m->units; k++) {
            float A = softplus(a[k]), U = softplus(u[k]);
            for (int i = 0; i < len; i++) acc[i] += A * tanhf(U * xs[i] + c[k]);
        }
        memcpy(y + start, acc, (size_t)len * sizeof(float));
    }
}

td_status td_map1d_loss(td_map1d *m, const float *x, const float *target, int n, int backward,
                        double *loss) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "the map's loss needs samples, got n = %d", n);
    float *g = malloc((size_t)n * sizeof(float));
    if (!g) return td_fail(TD_ERR_NOMEM, "out of memory for the map's loss on %d samples", n);
    td_map1d_eval(m, x, g, n);
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        float r = g[i] - target[i];
        sum += (double)r * (double)r;
        g[i] = 2.0f * r / (float)n;   // dL/dy_i
    }
    if (loss) *loss = sum / n;
    if (backward) {
        // Through A tanh(U x + c): dA = t, dc = A (1 - t^2), dU = dc x; softplus' = sigmoid
        // carries dA, dU to the raw a, u.
        const float *a = m->params.data + m->a, *u = m->params.data + m->u;
        const float *c = m->params.data + m->c;
        float *ga = m->params.grad + m->a, *gu = m->params.grad + m->u;
        float *gc = m->params.grad + m->c, *gb = m->params.grad + m->b;
        for (int i = 0; i < n; i++) gb[0] += g[i];
        for (int k = 0; k < m->units; k++) {
            float A = softplus(a[k]), U = softplus(u[k]);
            float dA = 0.0f, dU = 0.0f, dc = 0.0f;
            for (int i = 0; i < n; i++) {
                float t = tanhf(U * x[i] + c[k]);
                float dpre = g[i] * A * (1.0f - t * t);
                dA += g[i] * t;
                dc += dpre;
                dU += dpre * x[i];
            }
            ga[k] += dA * sigmoid(a[k]);
            gc[k] += dc;
            gu[k] += dU * sigmoid(u[k]);
        }
    }
    free(g);
    return TD_OK;
}

td_map1d_train_config td_map1d_train_defaults(void) {
    td_map1d_train_config cfg = {.steps = 2000, .batch = 1024, .lr = 2e-2f};
    return cfg;
}

static int cmp_float(const void *pa, const void *pb) {
    float a = *(const float *)pa, b = *(const float *)pb;
    return (a > b) - (a < b);
}

td_status td_map1d_train(td_map1d *m, const td_mix1d *target, const td_map1d_train_config *cfg,
                         td_rng *rng, double *final_loss) {
    td_status st = td_mix1d_check(target);
    if (st != TD_OK) return st;
    if (!cfg || cfg->steps < 1 || cfg->batch < 2 || cfg->batch > (1 << 24) || !(cfg->lr > 0.0f) ||
        !isfinite(cfg->lr))
        return td_fail(TD_ERR_ARG, "map training needs steps >= 1, a batch in 2..2^24 and lr > 0");
    const size_t B = (size_t)cfg->batch;
    float *z = malloc(2 * B * sizeof(float));
    if (!z) return td_fail(TD_ERR_NOMEM, "out of memory for a batch of %d pairs", cfg->batch);
    float *y = z + B;
    td_adamw_config oc = td_adamw_defaults();
    oc.lr = cfg->lr;
    oc.weight_decay = 0.0f;   // the a, u, c are 1-D "biases" of the ramps; nothing to decay
    td_adamw opt;
    if ((st = td_adamw_init(&opt, &m->params, oc)) != TD_OK) {
        free(z);
        return st;
    }
    double tail = 0.0;
    int tail_steps = 0, tail_from = cfg->steps - cfg->steps / 10;
    for (int s = 0; s < cfg->steps && st == TD_OK; s++) {
        // Cosine decay: late steps average out the batch-to-batch jitter of the sorted pairs.
        opt.cfg.lr = cfg->lr * (float)(0.5 * (1.0 + cos(3.141592653589793 * s / cfg->steps)));
        td_rng_fill_normal(rng, z, B);
        td_mix1d_sample(target, rng, y, cfg->batch);
        qsort(z, B, sizeof(float), cmp_float);
        qsort(y, B, sizeof(float), cmp_float);
        double loss;
        td_params_zero_grad(&m->params);
        st = td_map1d_loss(m, z, y, cfg->batch, 1, &loss);
        if (st == TD_OK && !isfinite(loss)) st = td_fail(TD_ERR_ARG, "map training diverged");
        if (st == TD_OK) st = td_adamw_step(&opt, &m->params);
        if (s >= tail_from) {
            tail += loss;
            tail_steps++;
        }
    }
    if (st == TD_OK && final_loss) *final_loss = tail / (tail_steps > 0 ? tail_steps : 1);
    td_adamw_free(&opt);
    free(z);
    return st;
}

td_status td_map1d_curves(const td_map1d *m, const td_mix1d *target, double lo, double hi, int n,
                          float *x, float *learned, float *exact) {
    td_status st = td_mix1d_check(target);
    if (st != TD_OK) return st;
    if (n < 2 || !isfinite(lo) || !isfinite(hi) || !(hi > lo))
        return td_fail(TD_ERR_ARG, "a curve needs n >= 2 points on a finite interval lo < hi");
    for (int i = 0; i < n; i++) {
        double xi = lo + (hi - lo) * i / (n - 1);
        float xf = (float)xi;
        if (x) x[i] = xf;
        if (learned) td_map1d_eval(m, &xf, &learned[i], 1);
        if (exact) exact[i] = (float)td_mix1d_transport(target, xi);
    }
    return TD_OK;
}

td_status td_map1d_error(const td_map1d *m, const td_mix1d *target, double lo, double hi, int n,
                         double *max_err, double *mean_err) {
    td_status st = td_mix1d_check(target);
    if (st != TD_OK) return st;
    if (n < 2 || !isfinite(lo) || !isfinite(hi) || !(hi > lo))
        return td_fail(TD_ERR_ARG, "an error needs n >= 2 points on a finite interval lo < hi");
    double worst = 0.0, sum = 0.0;
    for (int i = 0; i < n; i++) {
        double xi = lo + (hi - lo) * i / (n - 1);
        float xf = (float)xi, yf;
        td_map1d_eval(m, &xf, &yf, 1);
        double err = fabs((double)yf - td_mix1d_transport(target, xi));
        if (!(err <= worst)) worst = err;   // a NaN propagates
        sum += err;
    }
    if (max_err) *max_err = worst;
    if (mean_err) *mean_err = sum / n;
    return TD_OK;
}

// ---- checkpoints ------------------------------------------------------------------------

static const char *const target_keys[6] = {"weight0", "weight1", "mean0", "mean1", "std0", "std1"};

td_status td_map1d_save(const td_map1d *m, const td_mix1d *target, const char *path,
                        const td_meta_list *extra, td_dtype dtype) {
    static td_meta_list meta;   // 32 KiB: too big for a wasm stack
    td_status st = td_mix1d_check(target);
    if (st != TD_OK) return st;
    const double values[6] = {target->weight[0], target->weight[1], target->mean[0],
                              target->mean[1],   target->std[0],    target->std[1]};
    td_meta_init(&meta);
    st = td_meta_add_int(&meta, "units", m->units);
    for (int i = 0; st == TD_OK && i < 6; i++) st = td_meta_add_double(&meta, target_keys[i], values[i]);
    if (st == TD_OK) st = td_meta_add_all(&meta, extra);
    if (st != TD_OK) return st;
    return td_checkpoint_save(path, &m->params, TD_MAP1D_KIND, &meta, dtype);
}

td_status td_map1d_load(td_map1d *m, td_mix1d *target, const td_safetensors *f) {
    memset(m, 0, sizeof *m);
    td_params_init(&m->params);
    int units = 0;
    double v[6] = {0};
    td_status st = td_checkpoint_check(f, TD_MAP1D_KIND);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "units", 1, TD_MAP1D_MAX_UNITS, &units);
    for (int i = 0; st == TD_OK && i < 6; i++)
        st = td_checkpoint_meta_double(f, target_keys[i], -1e6, 1e6, &v[i]);
    td_mix1d t = {{v[0], v[1]}, {v[2], v[3]}, {v[4], v[5]}};
    if (st == TD_OK && td_mix1d_check(&t) != TD_OK)
        st = td_fail(TD_ERR_FORMAT, "the checkpoint's target mixture is invalid: %s", td_error_message());
    td_rng rng;   // the initial draw is overwritten by the file's weights
    td_rng_seed(&rng, 0, 0);
    if (st == TD_OK) st = td_map1d_init(m, units, &rng);
    if (st == TD_OK && (st = td_checkpoint_read_params(f, &m->params)) != TD_OK) td_map1d_free(m);
    if (st == TD_OK) *target = t;
    return st;
}
