// dense_ref.c - the scalar reference kernel: obviously correct, the ground truth.
#include "nn/dense_paths.h"

// x (M, K), W (N, K), b (N) -> y (M, N) = act(z), slope (M, N) = act'(z) optional
static void forward(const float *x, const float *W, const float *b, float *slope, float *y,
                    int M_, int K_, int N_, td_act act) {
    size_t M = (size_t)M_, K = (size_t)K_, N = (size_t)N_;
    for (size_t i = 0; i < M; i++) {
        for (size_t n = 0; n < N; n++) {
            float acc = b ? b[n] : 0.0f;
            for (size_t k = 0; k < K; k++) acc += x[i * K + k] * W[n * K + k];
            if (slope) slope[i * N + n] = td_act_grad(act, acc);
            y[i * N + n] = td_act_apply(act, acc);
        }
    }
}

// dy (M, N) -> dz = dy * slope in place; dx (M, K) = dz W; dW (N, K) += dz^T x; db (N) += sum dz
static void backward(const float *x, const float *W, const float *slope, float *dy,
                     float *dx, float *dW, float *db, int M_, int K_, int N_, td_act act) {
    size_t M = (size_t)M_, K = (size_t)K_, N = (size_t)N_;
    if (act != TD_ACT_NONE)
        for (size_t i = 0; i < M * N; i++) dy[i] *= slope[i];
    if (dx) {
        for (size_t i = 0; i < M; i++) {
            for (size_t k = 0; k < K; k++) {
                float acc = 0.0f;
                for (size_t n = 0; n < N; n++) acc += dy[i * N + n] * W[n * K + k];
                dx[i * K + k] = acc;
            }
        }
    }
    for (size_t n = 0; n < N; n++) {
        for (size_t k = 0; k < K; k++) {
            float acc = 0.0f;
            for (size_t i = 0; i < M; i++) acc += dy[i * N + n] * x[i * K + k];
            dW[n * K + k] += acc;
        }
        if (db) {
            float acc = 0.0f;
            for (size_t i = 0; i < M; i++) acc += dy[i * N + n];
            db[n] += acc;
        }
    }
}

// y (n) = act(z (n))
static void activate(const float *z, float *y, size_t n, td_act act) {
    for (size_t i = 0; i < n; i++) y[i] = td_act_apply(act, z[i]);
}

// dy (n) *= act'(z (n))
static void activate_backward(const float *z, float *dy, size_t n, td_act act) {
    for (size_t i = 0; i < n; i++) dy[i] *= td_act_grad(act, z[i]);
}

const td_dense_kernel td_dense_ref = {"ref", forward, backward, activate, activate_backward};
