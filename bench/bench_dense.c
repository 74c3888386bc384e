// bench_dense.c - the `bench` program: GFLOP/s of every dense kernel path and
// of OpenBLAS on the shapes the project runs, single-threaded.
//
//   bench            full table (median of 9 interleaved timings per cell)
//   bench --quick    smoke run: fewer, shorter timings, no scalar reference
//   bench --only 16  just the rows whose label contains "16"
//
// OpenBLAS baseline (when CMake found it): forward = bias copied into the
// output, cblas_sgemm (beta = 1), then the activation pass of our best path
// (vectorised, so the baseline pays only for being separate); backward = the
// activation gradient pass, cblas_sgemv for the bias sum, and two sgemm (dx,
// dW). It runs on one thread (openblas_set_num_threads(1)).
//
// OpenBLAS picks its kernels by CPU at load time and may pick a slower core on
// new AMD parts; to force the AVX-512 kernels run
//   OPENBLAS_CORETYPE=SkylakeX ./bench
// (the program prints the core it got and the OPENBLAS_* variables it saw).
//
// "forward" is inference (no pre-activation kept); "fwd+bwd" is a training
// step: forward keeping z, then backward with dx (except an MLP's first layer),
// dW += and db +=. FLOPs counted: 2MKN per product. Our paths run a whole MLP
// with td_dense_stack_forward / td_dense_stack_train (row blocks through all
// layers); the OpenBLAS baseline runs it layer by layer over the whole batch.
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/dense.h"
#include "prob/rng.h"

#if defined(TD_HAVE_OPENBLAS)
#include <cblas.h>
#endif

static int quick;
static const char *only;   // --only TEXT: just the rows whose label contains TEXT

// CPU time of this thread, not wall time: the machine is shared, and time
// spent descheduled is not the kernel's.
static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// ---- a network of dense layers, run by one path or by OpenBLAS ---------------
enum { MAX_LAYERS = 4 };

typedef struct {
    int M, layers;
    int dims[MAX_LAYERS + 1];      // dims[0] = input width, dims[l+1] = layer l's width
    td_act acts[MAX_LAYERS];
    float *W[MAX_LAYERS], *b[MAX_LAYERS], *dW[MAX_LAYERS], *db[MAX_LAYERS];
    float *act[MAX_LAYERS + 1];    // act[0] = x, act[l+1] = layer l's output
    float *z[MAX_LAYERS], *grad[MAX_LAYERS + 1], *dy_last, *ones;
    int first_dx;                  // a lone layer computes dx, an MLP's first does not
    float *train_work;             // td_dense_stack_train's scratch, kept across steps
} net;

static float *randn(td_rng *rng, size_t n, double scale) {
    float *p = malloc(n * sizeof *p);
    if (!p) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) p[i] = (float)(scale * td_rng_normal(rng));
    return p;
}

// The network as a dense stack; inference keeps no slopes and no hidden outputs.
static void net_layers(const net *n, int train, td_dense_layer *layers) {
    for (int l = 0; l < n->layers; l++)
        layers[l] = (td_dense_layer){n->dims[l], n->dims[l + 1], n->acts[l], n->W[l], n->b[l],
                                     train ? n->z[l] : NULL,
                                     train || l == n->layers - 1 ? n->act[l + 1] : NULL, n->dW[l],
                                     n->db[l]};
}

static void net_init(net *n, int M, int layers, const int *dims, const td_act *acts, int first_dx) {
    td_rng rng;
    td_rng_seed(&rng, 7, 7);
    memset(n, 0, sizeof *n);
    n->M = M, n->layers = layers, n->first_dx = first_dx;
    size_t m = (size_t)M;
    for (int l = 0; l <= layers; l++) n->dims[l] = dims[l];
    n->act[0] = randn(&rng, m * (size_t)dims[0], 1.0);
    n->grad[0] = randn(&rng, m * (size_t)dims[0], 0.0);
    for (int l = 0; l < layers; l++) {
        size_t k = (size_t)dims[l], o = (size_t)dims[l + 1];
        n->acts[l] = acts[l];
        n->W[l] = randn(&rng, o * k, 1.0 / (double)dims[l]);
        n->b[l] = randn(&rng, o, 0.1);
        n->dW[l] = randn(&rng, o * k, 0.0);
        n->db[l] = randn(&rng, o, 0.0);
        n->z[l] = randn(&rng, m * o, 0.0);
        n->act[l + 1] = randn(&rng, m * o, 0.0);
        n->grad[l + 1] = randn(&rng, m * o, 0.0);
    }
    n->dy_last = randn(&rng, m * (size_t)dims[layers], 1.0 / M);
    if (layers > 1) {
        td_dense_layer stack[MAX_LAYERS];
        net_layers(n, 1, stack);
        n->train_work = randn(&rng, td_dense_stack_train_floats(stack, layers, M), 0.0);
    }
    n->ones = randn(&rng, m, 0.0);
    for (size_t i = 0; i < m; i++) n->ones[i] = 1.0f;
}

static void net_free(net *n) {
    for (int l = 0; l <= n->layers; l++) free(n->act[l]), free(n->grad[l]);
    for (int l = 0; l < n->layers; l++)
        free(n->W[l]), free(n->b[l]), free(n->dW[l]), free(n->db[l]), free(n->z[l]);
    free(n->dy_last);
    free(n->ones);
    free(n->train_work);
}

static double net_flops(const net *n, int train) {
    double f = 0;
    for (int l = 0; l < n->layers; l++) {
        double mkn = 2.0 * n->M * n->dims[l] * n->dims[l + 1];
        f += mkn;                                            // forward
        if (train) f += mkn + (l > 0 || n->first_dx ? mkn : 0);   // dW, dx
    }
    return f;
}

// The training step's loss gradient: rows [first, first + rows) of the fixed dy.
static td_status copy_dy(void *ctx, const float *y, float *dy, int first, int rows) {
    const net *n = ctx;
    size_t w = (size_t)n->dims[n->layers];
    (void)y;
    memcpy(dy, n->dy_last + (size_t)first * w, (size_t)rows * w * sizeof *dy);
    return TD_OK;
}

// A whole MLP (more than one layer) runs through td_dense_stack_*: row blocks
// through all layers, activations kept in cache (fusion the BLAS calls lack);
// inference keeps no hidden outputs, so they never leave the cache, and a
// training step takes each block forward and back before the next.
static void net_run_stack(net *n, const td_dense_kernel *k, int train) {
    td_dense_layer layers[MAX_LAYERS];
    net_layers(n, train, layers);
    int L = n->layers, ok;
    if (train)
        ok = td_dense_stack_train(k, layers, L, n->act[0], n->first_dx ? n->grad[0] : NULL, n->M,
                                  copy_dy, n, n->train_work) == TD_OK;
    else
        ok = td_dense_stack_forward(k, layers, L, n->act[0], n->M) == TD_OK;
    if (!ok) {
        fprintf(stderr, "bench: %s\n", td_error_message());
        exit(1);
    }
}

// One inference pass (train = 0) or training step (train = 1) with a kernel path.
static void net_run(net *n, const td_dense_kernel *k, int train) {
    if (n->layers > 1) {
        net_run_stack(n, k, train);
        return;
    }
    for (int l = 0; l < n->layers; l++)
        k->forward(n->act[l], n->W[l], n->b[l], train ? n->z[l] : NULL, n->act[l + 1], n->M,
                   n->dims[l], n->dims[l + 1], n->acts[l]);
    if (!train) return;
    int L = n->layers;
    memcpy(n->grad[L], n->dy_last, (size_t)n->M * (size_t)n->dims[L] * sizeof(float));
    for (int l = L - 1; l >= 0; l--)
        k->backward(n->act[l], n->W[l], n->z[l], n->grad[l + 1],
                    l > 0 || n->first_dx ? n->grad[l] : NULL, n->dW[l], n->db[l], n->M,
                    n->dims[l], n->dims[l + 1], n->acts[l]);
}

#if defined(TD_HAVE_OPENBLAS)
// The same with sgemm plus separate bias and activation passes.
static void net_run_blas(net *n, const td_dense_kernel *best, int train) {
    int M = n->M;
    for (int l = 0; l < n->layers; l++) {
        int K = n->dims[l], N = n->dims[l + 1];
        float *out = train ? n->z[l] : n->act[l + 1];
        for (int i = 0; i < M; i++) memcpy(out + (size_t)i * (size_t)N, n->b[l], (size_t)N * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, n->act[l], K, n->W[l],
                    K, 1.0f, out, N);
        if (train || n->acts[l] != TD_ACT_NONE)
            best->activate(out, n->act[l + 1], (size_t)M * (size_t)N, n->acts[l]);
    }
    if (!train) return;
    int L = n->layers;
    memcpy(n->grad[L], n->dy_last, (size_t)M * (size_t)n->dims[L] * sizeof(float));
    for (int l = L - 1; l >= 0; l--) {
        int K = n->dims[l], N = n->dims[l + 1];
        float *dz = n->grad[l + 1];
        best->activate_backward(n->z[l], dz, (size_t)M * (size_t)N, n->acts[l]);
        cblas_sgemv(CblasRowMajor, CblasTrans, M, N, 1.0f, dz, N, n->ones, 1, 1.0f, n->db[l], 1);
        if (l > 0 || n->first_dx)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, N, 1.0f, dz, N, n->W[l],
                        K, 0.0f, n->grad[l], K);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, 1.0f, dz, N, n->act[l], K,
                    1.0f, n->dW[l], K);
    }
}
#endif

// One column of the table: a kernel path, or OpenBLAS when k is NULL.
static void run_column(net *n, const td_dense_kernel *k, int train) {
#if defined(TD_HAVE_OPENBLAS)
    if (!k) {
        net_run_blas(n, td_dense_kernel_for(td_dense_best_path()), train);
        return;
    }
#endif
    net_run(n, k, train);
}

static double time_column(net *n, const td_dense_kernel *k, int train, int iters) {
    double t0 = now_seconds();
    for (int i = 0; i < iters; i++) run_column(n, k, train);
    return (now_seconds() - t0) / iters;
}

// Median GFLOP/s per column. The columns' timings are interleaved (sample s of
// every column, then sample s + 1...), so a neighbour's load on this shared
// machine hits all columns alike instead of whichever ran at the wrong moment.
enum { MAX_COLUMNS = TD_PATH_COUNT + 1, MAX_SAMPLES = 9 };

static void measure_row(net *n, const td_dense_kernel *const *cols, int count, int train,
                        double *gflops) {
    int samples = quick ? 3 : MAX_SAMPLES, iters[MAX_COLUMNS];
    double target = quick ? 0.004 : 0.02, times[MAX_COLUMNS][MAX_SAMPLES];
    for (int c = 0; c < count; c++) {   // enough iterations for a sample to last `target`
        iters[c] = 1;
        while (time_column(n, cols[c], train, iters[c]) * iters[c] < target && iters[c] < (1 << 20))
            iters[c] *= 2;
    }
    for (int s = 0; s < samples; s++)
        for (int c = 0; c < count; c++) times[c][s] = time_column(n, cols[c], train, iters[c]);
    for (int c = 0; c < count; c++) {
        qsort(times[c], (size_t)samples, sizeof times[c][0], compare_doubles);
        gflops[c] = net_flops(n, train) / times[c][samples / 2] * 1e-9;
    }
}

// ---- the table ---------------------------------------------------------------
static void print_cpu(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            printf("CPU: %s", colon ? colon + 2 : line);
            break;
        }
    }
    if (f) fclose(f);
#if defined(TD_HAVE_OPENBLAS)
    openblas_set_num_threads(1);
    const char *core = getenv("OPENBLAS_CORETYPE"), *l2 = getenv("OPENBLAS_L2_SIZE");
    printf("OpenBLAS %s, core %s, 1 thread (OPENBLAS_CORETYPE=%s, OPENBLAS_L2_SIZE=%s)\n",
           openblas_get_config(), openblas_get_corename(), core ? core : "(unset)",
           l2 ? l2 : "(unset)");
#else
    printf("OpenBLAS not found at build time: no baseline column\n");
#endif
}

static int paths[TD_PATH_COUNT], path_count;

static void print_header(void) {
    printf("\n%-26s %-5s |", "GFLOP/s  M x K x N", "act");
    for (int mode = 0; mode < 2; mode++) {
        printf(" %s:", mode ? "fwd+bwd" : "forward");
        for (int p = 0; p < path_count; p++)
            printf(" %7s", td_dense_kernel_for((td_dense_path)paths[p])->name);
#if defined(TD_HAVE_OPENBLAS)
        printf(" %7s %6s", "openblas", "ratio");
#endif
        printf(" |");
    }
    printf("\n");
}

static void bench_row(const char *label, int M, int layers, const int *dims, const td_act *acts,
                      int first_dx) {
    if (only && !strstr(label, only)) return;
    net n;
    net_init(&n, M, layers, dims, acts, first_dx);
    printf("%-26s %-5s |", label, td_act_name(acts[0]));
    const td_dense_kernel *cols[MAX_COLUMNS];
    int count = 0;
    for (int p = 0; p < path_count; p++) cols[count++] = td_dense_kernel_for((td_dense_path)paths[p]);
#if defined(TD_HAVE_OPENBLAS)
    cols[count++] = NULL;
#endif
    for (int train = 0; train < 2; train++) {
        double g[MAX_COLUMNS], best = 0;
        measure_row(&n, cols, count, train, g);
        printf(" %s:", train ? "fwd+bwd" : "forward");
        for (int p = 0; p < path_count; p++) {
            if (paths[p] != TD_PATH_REF && g[p] > best) best = g[p];
            printf(" %7.1f", g[p]);
        }
#if defined(TD_HAVE_OPENBLAS)
        printf(" %8.1f %5.2fx", g[path_count], best / g[path_count]);
#endif
        printf(" |");
        fflush(stdout);
    }
    printf("\n");
    net_free(&n);
}

#if defined(__x86_64__) || defined(__i386__)
float bench_peak_avx512(long iters);   // peak_avx512.c

// The measured limit the rows can be read against: median of 5 runs of the
// AVX-512 multiply-add loop, when this CPU has AVX-512.
static void print_peak(void) {
    if (!td_dense_kernel_for(TD_PATH_AVX512)) return;
    enum { RUNS = 5 };
    long iters = quick ? 200000 : 2000000;
    double g[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_seconds();
        (void)bench_peak_avx512(iters);   // another file, no LTO: the call and its loop stay
        g[r] = 2.0 * 12 * 16 * (double)iters / (now_seconds() - t0) * 1e-9;
    }
    qsort(g, RUNS, sizeof g[0], compare_doubles);
    printf("AVX-512 multiply-add peak (12 chains, one core): %.1f GFLOP/s\n", g[RUNS / 2]);
}
#else
static void print_peak(void) {}
#endif

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else {
            fprintf(stderr, "usage: bench [--quick] [--only TEXT]\n");
            return 2;
        }
    }
    print_cpu();
    for (int p = quick ? 1 : 0; p < TD_PATH_COUNT; p++)
        if (td_dense_kernel_for((td_dense_path)p)) paths[path_count++] = p;
    print_peak();
    print_header();

    // Single layers: hidden widths with SiLU, output layers (N = 2, 784) linear.
    static const int big_m[] = {256, 4096}, small_m[] = {1, 16, 64};
    static const int big_kn[][2] = {{64, 128}, {128, 128}, {128, 2}};
    static const int small_kn[][2] = {{848, 512}, {512, 512}, {512, 784}};
    char label[64];
    for (int s = 0; s < 2; s++) {
        const int (*kn)[2] = s == 0 ? big_kn : small_kn;
        const int *ms = s == 0 ? big_m : small_m;
        int mcount = s == 0 ? 2 : 3;
        for (int j = 0; j < 3; j++) {
            for (int i = 0; i < mcount; i++) {
                int dims[2] = {kn[j][0], kn[j][1]};
                td_act act = kn[j][1] == 2 || kn[j][1] == 784 ? TD_ACT_NONE : TD_ACT_SILU;
                snprintf(label, sizeof label, "%d x %d x %d", ms[i], dims[0], dims[1]);
                bench_row(label, ms[i], 1, dims, &act, 1);
            }
        }
    }
    // Whole MLPs: hidden SiLU, linear output; the first layer computes no dx.
    static const int toy[] = {34, 128, 128, 128, 2}, digits[] = {848, 512, 512, 512, 784};
    static const td_act mlp_acts[] = {TD_ACT_SILU, TD_ACT_SILU, TD_ACT_SILU, TD_ACT_NONE};
    bench_row("MLP 34-128-128-128-2 M4096", 4096, 4, toy, mlp_acts, 0);
    bench_row("MLP 848-512x3-784 M16", 16, 4, digits, mlp_acts, 0);
    return 0;
}
