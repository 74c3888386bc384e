// metrics.c - mode metrics, sliced W2, RBF MMD^2, their noise floors, one report.
#include "prob/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double PI = 3.14159265358979323846;

// Seed streams, one per use, so changing one use never shifts another's draws.
enum { STREAM_REF = 101, STREAM_REF2 = 102, STREAM_DIRECTIONS = 201, STREAM_SUBSET = 202 };
enum { MEDIAN_POINTS = 500 };

// n rows of x (n, 2) must exist and be finite.
static td_status check_points(const char *name, const float *x, int n) {
    if (n <= 0) return td_fail(TD_ERR_ARG, "%s: need at least 1 point, got %d", name, n);
    if (!x) return td_fail(TD_ERR_ARG, "%s: points are NULL", name);
    size_t count = 2 * (size_t)n;
    for (size_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return td_fail(TD_ERR_ARG, "%s: point %zu is not finite (NaN or infinity)", name, i / 2);
    return TD_OK;
}

static td_status check_pair(const float *x, int nx, const float *y, int ny) {
    td_status status = check_points("samples", x, nx);
    if (status == TD_OK) status = check_points("reference", y, ny);
    if (status == TD_OK && nx != ny)
        return td_fail(TD_ERR_SHAPE, "sample sizes differ: %d samples against %d reference points", nx, ny);
    return status;
}

static td_status check_config(const td_metrics_config *c) {
    if (c->sw_projections <= 0 || c->sw_projections > 100000)
        return td_fail(TD_ERR_ARG, "sliced W2 projections must be in 1..100000, got %d", c->sw_projections);
    if (c->mmd_subsample < 2 || c->mmd_subsample > 100000)
        return td_fail(TD_ERR_ARG, "MMD subsample must be in 2..100000, got %d", c->mmd_subsample);
    if (!isfinite(c->mmd_bandwidth) || c->mmd_bandwidth < 0.0f)
        return td_fail(TD_ERR_ARG, "MMD bandwidth must be finite and >= 0, got %g", (double)c->mmd_bandwidth);
    return TD_OK;
}

td_metrics_config td_metrics_config_default(void) {
    td_metrics_config c = {64, 2000, 0.0f, 1};
    return c;
}

static td_metrics_config config_or_default(const td_metrics_config *config) {
    return config ? *config : td_metrics_config_default();
}

// ---- mode metrics ----------------------------------------------------------------

double td_metrics_hq_ceiling(void) { return 1.0 - exp(-4.5); }

// x (n, 2), centres (k, 2) -> HQ fraction, coverage, KL to uniform, mean log p(x).
td_status td_metrics_modes(const float *x, int n, const td_mode_ref *ref, td_mode_metrics *out) {
    td_status status = check_points("samples", x, n);
    if (status != TD_OK) return status;
    if (!ref || !out) return td_fail(TD_ERR_ARG, "mode reference or output is NULL");
    if (ref->k <= 0 || ref->k > 4096 || !ref->centres)
        return td_fail(TD_ERR_ARG, "mode reference needs 1..4096 centres, got %d", ref->k);
    if (!isfinite(ref->std) || ref->std <= 0.0f)
        return td_fail(TD_ERR_ARG, "mode std must be finite and > 0, got %g", (double)ref->std);

    size_t count = (size_t)n, k = (size_t)ref->k;
    size_t *hits = calloc(k, sizeof *hits);
    if (!hits) return td_fail(TD_ERR_NOMEM, "out of memory for %zu mode counters", k);
    double var = (double)ref->std * (double)ref->std;
    // log p(x) = logsumexp_j(-|x - mu_j|^2 / (2 var)) - log k - log(2 pi var)
    double log_norm = -log((double)k) - log(2.0 * PI * var);
    double log_density_sum = 0.0;
    size_t hq = 0;
    for (size_t i = 0; i < count; i++) {
        double best = (double)INFINITY;
        size_t nearest = 0;
        for (size_t j = 0; j < k; j++) {
            double dx = (double)x[2 * i] - (double)ref->centres[2 * j];
            double dy = (double)x[2 * i + 1] - (double)ref->centres[2 * j + 1];
            double d2 = dx * dx + dy * dy;
            if (d2 < best) {
                best = d2;
                nearest = j;
            }
        }
        // The nearest mode holds the largest term: factor it out so exp never overflows.
        double sum = 0.0;
        for (size_t j = 0; j < k; j++) {
            double dx = (double)x[2 * i] - (double)ref->centres[2 * j];
            double dy = (double)x[2 * i + 1] - (double)ref->centres[2 * j + 1];
            sum += exp(-(dx * dx + dy * dy - best) / (2.0 * var));
        }
        log_density_sum += -best / (2.0 * var) + log(sum) + log_norm;
        if (best < 9.0 * var) {   // Mahalanobis distance < 3
            hq++;
            hits[nearest]++;
        }
    }

    int covered = 0;
    double kl = 0.0;
    for (size_t j = 0; j < k; j++) {
        if (100 * hits[j] >= count) covered++;   // at least 1% of all samples
        if (hits[j] > 0) {
            double p = (double)hits[j] / (double)hq;
            kl += p * log(p * (double)k);
        }
    }
    free(hits);
    out->modes_covered = covered;
    out->n_modes = ref->k;
    out->hq_fraction = (double)hq / (double)count;
    out->mode_kl = hq > 0 ? kl : (double)NAN;
    out->mean_log_density = log_density_sum / (double)count;
    return TD_OK;
}

// ---- sliced Wasserstein-2 ------------------------------------------------------------

static int compare_floats(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

// x (n, 2) -> out (n): projections onto (c, s).
static void project(const float *x, size_t n, float c, float s, float *out) {
    for (size_t i = 0; i < n; i++) out[i] = c * x[2 * i] + s * x[2 * i + 1];
}

td_status td_metrics_sliced_w2(const float *x, int nx, const float *y, int ny,
                               const td_metrics_config *config, double *sw2) {
    td_status status = check_pair(x, nx, y, ny);
    if (status != TD_OK) return status;
    td_metrics_config c = config_or_default(config);
    if ((status = check_config(&c)) != TD_OK) return status;
    if (!sw2) return td_fail(TD_ERR_ARG, "sliced W2 output is NULL");

    size_t n = (size_t)nx, directions = (size_t)c.sw_projections;
    float *px = malloc(2 * n * sizeof *px);   // 2 n floats cannot overflow: n < 2^31
    if (!px) return td_fail(TD_ERR_NOMEM, "out of memory for %zu projections", 2 * n);
    float *py = px + n;
    td_rng rng;
    td_rng_seed(&rng, c.seed, STREAM_DIRECTIONS);
    double offset = td_rng_uniform(&rng), total = 0.0;
    for (size_t l = 0; l < directions; l++) {
        double angle = PI * ((double)l + offset) / (double)directions;
        float cs = (float)cos(angle), sn = (float)sin(angle);
        project(x, n, cs, sn, px);
        project(y, n, cs, sn, py);
        qsort(px, n, sizeof *px, compare_floats);
        qsort(py, n, sizeof *py, compare_floats);
        // The optimal 1-D coupling of equal-size samples pairs them in sorted order.
        double w2 = 0.0;
        for (size_t i = 0; i < n; i++) {
            double d = (double)px[i] - (double)py[i];
            w2 += d * d;
        }
        total += w2 / (double)n;
    }
    free(px);
    *sw2 = sqrt(total / (double)directions);
    return TD_OK;
}

// ---- RBF MMD^2 -------------------------------------------------------------------------

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

td_status td_metrics_median_bandwidth(const float *x, int n, float *bandwidth) {
    td_status status = check_points("reference", x, n);
    if (status != TD_OK) return status;
    if (n < 2) return td_fail(TD_ERR_ARG, "median heuristic needs at least 2 points, got %d", n);
    if (!bandwidth) return td_fail(TD_ERR_ARG, "bandwidth output is NULL");
    size_t m = n < MEDIAN_POINTS ? (size_t)n : MEDIAN_POINTS, pairs = m * (m - 1) / 2, p = 0;
    double *d = malloc(pairs * sizeof *d);
    if (!d) return td_fail(TD_ERR_NOMEM, "out of memory for %zu distances", pairs);
    for (size_t i = 0; i < m; i++) {
        for (size_t j = i + 1; j < m; j++) {
            double dx = (double)x[2 * i] - (double)x[2 * j], dy = (double)x[2 * i + 1] - (double)x[2 * j + 1];
            d[p++] = sqrt(dx * dx + dy * dy);
        }
    }
    qsort(d, pairs, sizeof *d, compare_doubles);
    double median = d[pairs / 2];
    free(d);
    *bandwidth = median > 0.0 ? (float)median : 1.0f;
    return TD_OK;
}

// sum over i in a, j in b of exp(-|a_i - b_j|^2 * gamma); a (m, 2), b (m, 2).
// With `same` (a == b) only i < j is computed and mirrored, plus the diagonal of ones.
static double kernel_sum(const float *a, const float *b, size_t m, double gamma, int same) {
    double total = same ? (double)m : 0.0;
    for (size_t i = 0; i < m; i++) {
        double ax = (double)a[2 * i], ay = (double)a[2 * i + 1], row = 0.0;
        for (size_t j = same ? i + 1 : 0; j < m; j++) {
            double dx = ax - (double)b[2 * j], dy = ay - (double)b[2 * j + 1];
            row += exp(-(dx * dx + dy * dy) * gamma);
        }
        total += same ? 2.0 * row : row;
    }
    return total;
}

td_status td_metrics_mmd2(const float *x, int nx, const float *y, int ny,
                          const td_metrics_config *config, double *mmd2, float *bandwidth_used) {
    td_status status = check_pair(x, nx, y, ny);
    if (status != TD_OK) return status;
    td_metrics_config c = config_or_default(config);
    if ((status = check_config(&c)) != TD_OK) return status;
    if (!mmd2) return td_fail(TD_ERR_ARG, "MMD output is NULL");

    float h = c.mmd_bandwidth;
    if (h == 0.0f) {
        if (ny < 2) return td_fail(TD_ERR_ARG, "median heuristic needs at least 2 points, got %d", ny);
        if ((status = td_metrics_median_bandwidth(y, ny, &h)) != TD_OK) return status;
    }

    size_t n = (size_t)nx, m = nx < c.mmd_subsample ? n : (size_t)c.mmd_subsample;
    float *sub = NULL;
    const float *xs = x, *ys = y;
    if (m < n) {
        // The same m rows of each set, chosen by a partial Fisher-Yates shuffle.
        size_t *index = malloc(n * sizeof *index);
        sub = malloc(4 * m * sizeof *sub);
        if (!index || !sub) {
            free(index);
            free(sub);
            return td_fail(TD_ERR_NOMEM, "out of memory for an MMD subsample of %zu", m);
        }
        for (size_t i = 0; i < n; i++) index[i] = i;
        td_rng rng;
        td_rng_seed(&rng, c.seed, STREAM_SUBSET);
        for (size_t i = 0; i < m; i++) {
            size_t j = i + td_rng_below(&rng, (uint32_t)(n - i));
            size_t t = index[i];
            index[i] = index[j];
            index[j] = t;
            memcpy(sub + 2 * i, x + 2 * index[i], 2 * sizeof *sub);
            memcpy(sub + 2 * (m + i), y + 2 * index[i], 2 * sizeof *sub);
        }
        free(index);
        xs = sub;
        ys = sub + 2 * m;
    }
    double gamma = 1.0 / (2.0 * (double)h * (double)h), mm = (double)m * (double)m;
    double kxx = kernel_sum(xs, xs, m, gamma, 1), kyy = kernel_sum(ys, ys, m, gamma, 1);
    double kxy = kernel_sum(xs, ys, m, gamma, 0);
    free(sub);
    // Rounding can leave a tiny negative where the exact value is ~0.
    *mmd2 = fmax((kxx + kyy - 2.0 * kxy) / mm, 0.0);
    if (bandwidth_used) *bandwidth_used = h;
    return TD_OK;
}

// ---- noise floors and the full report ---------------------------------------------

// Two independent true sets of n points: a (n, 2) from stream 101, b from 102.
static td_status draw_reference_pair(td_sampler2d sample, void *ctx, int n, uint64_t seed, float **a, float **b) {
    *a = *b = NULL;
    if (!sample) return td_fail(TD_ERR_ARG, "reference sampler is NULL");
    if (n <= 0) return td_fail(TD_ERR_ARG, "reference sets need at least 1 point, got %d", n);
    size_t floats = 4 * (size_t)n;   // n < 2^31, so no overflow
    float *buf = malloc(floats * sizeof *buf);
    if (!buf) return td_fail(TD_ERR_NOMEM, "out of memory for two reference sets of %d points", n);
    td_rng rng;
    td_rng_seed(&rng, seed, STREAM_REF);
    td_status status = sample(ctx, &rng, buf, n);
    if (status == TD_OK) {
        td_rng_seed(&rng, seed, STREAM_REF2);
        status = sample(ctx, &rng, buf + 2 * (size_t)n, n);
    }
    if (status != TD_OK) {
        free(buf);
        return status;
    }
    *a = buf;
    *b = buf + 2 * (size_t)n;
    return TD_OK;
}

td_status td_metrics_floor(td_sampler2d sample, void *ctx, int n, const td_metrics_config *config,
                           double *sw2_floor, double *mmd2_floor) {
    td_metrics_config c = config_or_default(config);
    td_status status = check_config(&c);
    if (status != TD_OK) return status;
    float *a, *b;
    if ((status = draw_reference_pair(sample, ctx, n, c.seed, &a, &b)) != TD_OK) return status;
    if (sw2_floor) status = td_metrics_sliced_w2(b, n, a, n, &c, sw2_floor);
    if (status == TD_OK && mmd2_floor) status = td_metrics_mmd2(b, n, a, n, &c, mmd2_floor, NULL);
    free(a);
    return status;
}

td_status td_metrics_evaluate(const float *x, int n, td_sampler2d sample, void *ctx,
                              const td_mode_ref *modes, const td_metrics_config *config,
                              td_metrics *out) {
    if (!out) return td_fail(TD_ERR_ARG, "metrics output is NULL");
    memset(out, 0, sizeof *out);
    if (n < 2) return td_fail(TD_ERR_ARG, "evaluation needs at least 2 samples, got %d", n);
    td_metrics_config c = config_or_default(config);
    td_status status = check_config(&c);
    if (status == TD_OK) status = check_points("samples", x, n);
    if (status != TD_OK) return status;
    float *ref, *ref2;
    if ((status = draw_reference_pair(sample, ctx, n, c.seed, &ref, &ref2)) != TD_OK) return status;

    // Fix the bandwidth once from the reference, so value and floor share a kernel.
    if (c.mmd_bandwidth == 0.0f) status = td_metrics_median_bandwidth(ref, n, &c.mmd_bandwidth);
    out->n = n;
    out->mmd_bandwidth = c.mmd_bandwidth;
    if (status == TD_OK) status = td_metrics_sliced_w2(x, n, ref, n, &c, &out->sw2);
    if (status == TD_OK) status = td_metrics_sliced_w2(ref2, n, ref, n, &c, &out->sw2_floor);
    if (status == TD_OK) status = td_metrics_mmd2(x, n, ref, n, &c, &out->mmd2, NULL);
    if (status == TD_OK) status = td_metrics_mmd2(ref2, n, ref, n, &c, &out->mmd2_floor, NULL);
    if (status == TD_OK && modes) {
        td_mode_metrics true_modes;
        status = td_metrics_modes(x, n, modes, &out->modes);
        if (status == TD_OK) status = td_metrics_modes(ref, n, modes, &true_modes);
        if (status == TD_OK) {
            out->ref_log_density = true_modes.mean_log_density;
            out->has_modes = 1;
        }
    }
    free(ref);
    return status;
}

// Append to buf at *used; fails once the text no longer fits.
static int append(char *buf, size_t cap, size_t *used, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int append(char *buf, size_t cap, size_t *used, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    int wrote = vsnprintf(buf + *used, cap - *used, fmt, args);
    va_end(args);
    if (wrote < 0 || (size_t)wrote >= cap - *used) return -1;
    *used += (size_t)wrote;
    return 0;
}

td_status td_metrics_format(const td_metrics *m, char *buf, size_t cap) {
    if (!m || !buf || cap == 0) return td_fail(TD_ERR_ARG, "metrics or text buffer is NULL or empty");
    size_t used = 0;
    int bad = append(buf, cap, &used, "samples           %d\n", m->n);
    if (m->has_modes) {
        const td_mode_metrics *md = &m->modes;
        bad |= append(buf, cap, &used, "modes covered     %d / %d\n", md->modes_covered, md->n_modes);
        bad |= append(buf, cap, &used, "high quality      %.2f%%  (ceiling %.2f%%)\n",
                      100.0 * md->hq_fraction, 100.0 * td_metrics_hq_ceiling());
        if (isnan(md->mode_kl))
            bad |= append(buf, cap, &used, "mode KL           n/a (no high-quality sample)\n");
        else
            bad |= append(buf, cap, &used, "mode KL           %.5f nats  (0 = balanced)\n", md->mode_kl);
        bad |= append(buf, cap, &used, "log-density       %.4f  (true samples %.4f)\n",
                      md->mean_log_density, m->ref_log_density);
    }
    bad |= append(buf, cap, &used, "sliced W2         %.5f  (floor %.5f)\n", m->sw2, m->sw2_floor);
    bad |= append(buf, cap, &used, "MMD^2             %.6f  (floor %.6f, h = %.3g)\n", m->mmd2, m->mmd2_floor,
                  (double)m->mmd_bandwidth);
    if (bad) {
        buf[0] = '\0';
        return td_fail(TD_ERR_LIMIT, "metrics text needs more than %zu bytes", cap);
    }
    return TD_OK;
}
