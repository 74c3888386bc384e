// digit_metrics.c - colour error, style moments, Pearson r, Frechet distance (see the header).
#include "eval/digit_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { SIDE = TD_MNIST_SIDE, PIXELS = TD_MNIST_PIXELS };

// ---- colour -------------------------------------------------------------------------

// The sRGB transfer function, undone: gamma-encoded c -> linear light.
static double srgb_linear(float c) {
    double v = (double)c;
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

// CIELAB's cube root with its linear toe below (6/29)^3.
static double lab_f(double t) {
    const double d = 6.0 / 29.0;
    return t > d * d * d ? cbrt(t) : t / (3.0 * d * d) + 4.0 / 29.0;
}

void td_srgb_to_lab(td_rgb c, double lab[3]) {
    double r = srgb_linear(c.r), g = srgb_linear(c.g), b = srgb_linear(c.b);
    // Linear sRGB -> XYZ (IEC 61966-2-1, D65), then normalise by the D65 white.
    double X = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
    double Y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
    double Z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
    double fx = lab_f(X / 0.95047), fy = lab_f(Y / 1.0), fz = lab_f(Z / 1.08883);
    lab[0] = 116.0 * fy - 16.0;
    lab[1] = 500.0 * (fx - fy);
    lab[2] = 200.0 * (fy - fz);
}

double td_delta_e76(td_rgb a, td_rgb b) {
    double la[3], lb[3];
    td_srgb_to_lab(a, la);
    td_srgb_to_lab(b, lb);
    double d0 = la[0] - lb[0], d1 = la[1] - lb[1], d2 = la[2] - lb[2];
    return sqrt(d0 * d0 + d1 * d1 + d2 * d2);
}

static float max3(const float *px) { return fmaxf(px[0], fmaxf(px[1], px[2])); }

// Indices of the 16 brightest pixels (max channel; ties: lower index first) by
// insertion into a short sorted list: 784 x 16 comparisons at most.
static void brightest(const float *image, int top[TD_DIGIT_COLOR_PIXELS]) {
    float val[TD_DIGIT_COLOR_PIXELS];
    int n = 0;
    for (int p = 0; p < PIXELS; p++) {
        float v = max3(image + 3 * p);
        if (n == TD_DIGIT_COLOR_PIXELS && !(v > val[n - 1])) continue;
        int k = n < TD_DIGIT_COLOR_PIXELS ? n++ : n - 1;
        while (k > 0 && v > val[k - 1]) {
            val[k] = val[k - 1];
            top[k] = top[k - 1];
            k--;
        }
        val[k] = v;
        top[k] = p;
    }
}

td_rgb td_digit_color(const float *image) {
    int top[TD_DIGIT_COLOR_PIXELS];
    brightest(image, top);
    double sum[3] = {0.0, 0.0, 0.0};
    for (int k = 0; k < TD_DIGIT_COLOR_PIXELS; k++)
        for (int c = 0; c < 3; c++) sum[c] += (double)image[3 * top[k] + c];
    td_rgb out = {(float)(sum[0] / TD_DIGIT_COLOR_PIXELS), (float)(sum[1] / TD_DIGIT_COLOR_PIXELS),
                  (float)(sum[2] / TD_DIGIT_COLOR_PIXELS)};
    return out;
}

double td_digit_color_error(const float *image, td_rgb requested) {
    return td_delta_e76(td_digit_color(image), requested);
}

// ---- style ---------------------------------------------------------------------------

void td_digit_intensity(const float *image, float *gray) {
    for (int p = 0; p < PIXELS; p++) gray[p] = max3(image + 3 * p);
}

double td_gray_slant(const float *gray, int h, int w) {
    double m00 = 0.0, mx = 0.0, my = 0.0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double v = (double)gray[y * w + x];
            m00 += v;
            mx += v * x;
            my += v * y;
        }
    if (!(m00 > 0.0)) return 0.0;
    double xc = mx / m00, yc = my / m00, mu11 = 0.0, mu02 = 0.0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double v = (double)gray[y * w + x];
            mu11 += v * (x - xc) * (y - yc);
            mu02 += v * (y - yc) * (y - yc);
        }
    return mu02 > 0.0 ? -mu11 / mu02 : 0.0;
}

double td_digit_slant(const float *image) {
    float gray[PIXELS];
    td_digit_intensity(image, gray);
    return td_gray_slant(gray, SIDE, SIDE);
}

double td_digit_stroke_weight(const float *image) {
    int top[TD_DIGIT_COLOR_PIXELS];
    brightest(image, top);
    double bright = 0.0, ink = 0.0;
    for (int k = 0; k < TD_DIGIT_COLOR_PIXELS; k++) bright += (double)max3(image + 3 * top[k]);
    bright /= TD_DIGIT_COLOR_PIXELS;
    if (!(bright > 0.0)) return 0.0;
    for (int p = 0; p < PIXELS; p++) ink += (double)max3(image + 3 * p);
    return ink / bright;
}

double td_pearson(const double *x, const double *y, int n) {
    if (n < 2) return (double)NAN;
    double mx = 0.0, my = 0.0;
    for (int i = 0; i < n; i++) mx += x[i], my += y[i];
    mx /= n;
    my /= n;
    double sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (!(sxx > 0.0 && syy > 0.0)) return (double)NAN;
    return sxy / sqrt(sxx * syy);
}

// ---- symmetric eigen-decomposition (cyclic Jacobi) ---------------------------------------

td_status td_sym_eigen(double *A, int n_, double *values, double *V) {
    if (!A || !values || n_ < 1 || n_ > TD_FRECHET_MAX_DIM)
        return td_fail(TD_ERR_ARG, "eigen: size %d is outside 1..%d", n_, TD_FRECHET_MAX_DIM);
    size_t n = (size_t)n_;
    double norm = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double a = A[i * n + j], b = A[j * n + i];
            if (!isfinite(a)) return td_fail(TD_ERR_FORMAT, "eigen: entry (%zu, %zu) is not finite", i, j);
            if (fabs(a - b) > 1e-9 * (fabs(a) + fabs(b)) + 1e-300)
                return td_fail(TD_ERR_FORMAT, "eigen: the matrix is not symmetric at (%zu, %zu)", i, j);
            norm += a * a;
        }
    if (V) {
        memset(V, 0, n * n * sizeof *V);
        for (size_t i = 0; i < n; i++) V[i * n + i] = 1.0;
    }
    // Each rotation zeroes one off-diagonal pair; sweeps repeat until the
    // off-diagonal mass is negligible next to the whole (quadratic convergence).
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0;
        for (size_t p = 0; p < n; p++)
            for (size_t q = p + 1; q < n; q++) off += A[p * n + q] * A[p * n + q];
        if (off <= 1e-30 * norm || off == 0.0) break;
        for (size_t p = 0; p < n; p++) {
            for (size_t q = p + 1; q < n; q++) {
                double apq = A[p * n + q];
                if (apq == 0.0) continue;
                // t = tan(angle), the smaller root of t^2 + 2 theta t - 1 = 0.
                double theta = (A[q * n + q] - A[p * n + p]) / (2.0 * apq);
                double t = (theta >= 0.0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                // A <- J^T A J with J the rotation in the (p, q) plane; V <- V J.
                for (size_t k = 0; k < n; k++) {
                    double akp = A[k * n + p], akq = A[k * n + q];
                    A[k * n + p] = c * akp - s * akq;
                    A[k * n + q] = s * akp + c * akq;
                }
                for (size_t k = 0; k < n; k++) {
                    double apk = A[p * n + k], aqk = A[q * n + k];
                    A[p * n + k] = c * apk - s * aqk;
                    A[q * n + k] = s * apk + c * aqk;
                }
                if (V)
                    for (size_t k = 0; k < n; k++) {
                        double vkp = V[k * n + p], vkq = V[k * n + q];
                        V[k * n + p] = c * vkp - s * vkq;
                        V[k * n + q] = s * vkp + c * vkq;
                    }
            }
        }
    }
    for (size_t i = 0; i < n; i++) values[i] = A[i * n + i];
    // Sort ascending (selection sort: n is small), moving eigenvector columns along.
    for (size_t i = 0; i < n; i++) {
        size_t m = i;
        for (size_t j = i + 1; j < n; j++)
            if (values[j] < values[m]) m = j;
        if (m == i) continue;
        double tv = values[i];
        values[i] = values[m];
        values[m] = tv;
        if (V)
            for (size_t k = 0; k < n; k++) {
                double t = V[k * n + i];
                V[k * n + i] = V[k * n + m];
                V[k * n + m] = t;
            }
    }
    return TD_OK;
}

// ---- Frechet distance --------------------------------------------------------------------

td_status td_frechet_from_stats(const double *mu_a, const double *C_a, const double *mu_b,
                                const double *C_b, int d_, double *out) {
    if (!mu_a || !C_a || !mu_b || !C_b || !out || d_ < 1 || d_ > TD_FRECHET_MAX_DIM)
        return td_fail(TD_ERR_ARG, "frechet: dimension %d is outside 1..%d", d_, TD_FRECHET_MAX_DIM);
    size_t d = (size_t)d_, dd = d * d;
    double *work = malloc((4 * dd + d) * sizeof *work);
    if (!work) return td_fail(TD_ERR_NOMEM, "frechet: cannot allocate %zu x %zu matrices", d, d);
    double *A = work, *V = work + dd, *S = work + 2 * dd, *T = work + 3 * dd, *ev = work + 4 * dd;
    // S = C_a^1/2 = V diag(sqrt(max(l, 0))) V^T
    memcpy(A, C_a, dd * sizeof *A);
    td_status st = td_sym_eigen(A, d_, ev, V);
    if (st == TD_OK) {
        for (size_t i = 0; i < d; i++) ev[i] = sqrt(fmax(ev[i], 0.0));
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double acc = 0.0;
                for (size_t k = 0; k < d; k++) acc += V[i * d + k] * ev[k] * V[j * d + k];
                S[i * d + j] = acc;
            }
        // A = S C_b S (symmetric PSD), via T = C_b S.
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double acc = 0.0;
                for (size_t k = 0; k < d; k++) acc += C_b[i * d + k] * S[k * d + j];
                T[i * d + j] = acc;
            }
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double acc = 0.0;
                for (size_t k = 0; k < d; k++) acc += S[i * d + k] * T[k * d + j];
                A[i * d + j] = acc;
            }
        // Round-off leaves A a hair off symmetric: average it with its transpose.
        for (size_t i = 0; i < d; i++)
            for (size_t j = i + 1; j < d; j++)
                A[i * d + j] = A[j * d + i] = 0.5 * (A[i * d + j] + A[j * d + i]);
        st = td_sym_eigen(A, d_, ev, NULL);
    }
    if (st == TD_OK) {
        double tr_sqrt = 0.0, tr = 0.0, mean = 0.0;
        for (size_t i = 0; i < d; i++) tr_sqrt += sqrt(fmax(ev[i], 0.0));
        for (size_t i = 0; i < d; i++) {
            double diff = mu_a[i] - mu_b[i];
            mean += diff * diff;
            tr += C_a[i * d + i] + C_b[i * d + i];
        }
        *out = mean + tr - 2.0 * tr_sqrt;
    }
    free(work);
    return st;
}

// x (n, d) -> mu (d), C (d, d) with divisor n - 1
static void moments(const float *x, size_t n, size_t d, double *mu, double *C) {
    memset(mu, 0, d * sizeof *mu);
    memset(C, 0, d * d * sizeof *C);
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < d; i++) mu[i] += (double)x[r * d + i];
    for (size_t i = 0; i < d; i++) mu[i] /= (double)n;
    for (size_t r = 0; r < n; r++) {
        const float *row = x + r * d;
        for (size_t i = 0; i < d; i++) {
            double di = (double)row[i] - mu[i];
            for (size_t j = i; j < d; j++) C[i * d + j] += di * ((double)row[j] - mu[j]);
        }
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++) C[j * d + i] = C[i * d + j] /= (double)(n - 1);
}

td_status td_frechet_distance(const float *a, int na, const float *b, int nb, int d_,
                              double *out) {
    if (!a || !b || !out || na < 2 || nb < 2 || d_ < 1 || d_ > TD_FRECHET_MAX_DIM)
        return td_fail(TD_ERR_ARG, "frechet: needs two sets of at least 2 rows of 1..%d features "
                       "(got %d and %d rows of %d)", TD_FRECHET_MAX_DIM, na, nb, d_);
    size_t d = (size_t)d_;
    double *mem = malloc((2 * d * d + 2 * d) * sizeof *mem);
    if (!mem) return td_fail(TD_ERR_NOMEM, "frechet: cannot allocate statistics for %zu features", d);
    double *Ca = mem, *Cb = mem + d * d, *ma = mem + 2 * d * d, *mb = ma + d;
    moments(a, (size_t)na, d, ma, Ca);
    moments(b, (size_t)nb, d, mb, Cb);
    td_status st = td_frechet_from_stats(ma, Ca, mb, Cb, d_, out);
    free(mem);
    return st;
}

// ---- class accuracy ----------------------------------------------------------------------

td_status td_digit_class_accuracy(const td_classifier *clf, const float *images,
                                  const int *labels, int n, double *accuracy) {
    enum { CHUNK = 100 };
    if (!clf || !images || !labels || !accuracy || n <= 0)
        return td_fail(TD_ERR_ARG, "class accuracy: needs a classifier and n > 0 labelled images");
    td_classifier_work w;
    td_status st = td_classifier_work_init(&w, clf, CHUNK, 0);
    if (st != TD_OK) return st;
    int right = 0, pred[CHUNK];
    for (int start = 0; st == TD_OK && start < n; start += CHUNK) {
        int B = n - start < CHUNK ? n - start : CHUNK;
        st = td_classifier_predict(clf, &w, images + (size_t)start * TD_DIGIT_FLOATS, B, pred, NULL);
        for (int k = 0; st == TD_OK && k < B; k++) right += pred[k] == labels[start + k];
    }
    td_classifier_work_free(&w);
    if (st == TD_OK) *accuracy = (double)right / n;
    return st;
}
