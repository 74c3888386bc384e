// loss.c - mean-squared error and its gradient.
#include "nn/loss.h"

double td_mse_loss(const float *y, const float *target, size_t n, float *dy) {
    if (n == 0) return 0.0;
    double sum = 0.0;
    float scale = 2.0f / (float)n;
    for (size_t i = 0; i < n; i++) {
        float diff = y[i] - target[i];
        sum += (double)diff * (double)diff;
        if (dy) dy[i] = scale * diff;
    }
    return sum / (double)n;
}
