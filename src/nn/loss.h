// loss.h - the mean-squared error, the loss of the DDPM / score objectives
// and of a Gaussian decoder with fixed variance.
#ifndef TD_LOSS_H
#define TD_LOSS_H

#include <stddef.h>

// L = (1 / n) sum_i (y_i - target_i)^2 over all n elements (a batch (B, D) is
// n = B * D: the mean over rows AND columns, as torch's MSELoss). Returns L
// (accumulated in double); writes dy[i] = dL/dy_i = 2 (y_i - target_i) / n
// unless dy is NULL. dy may alias y. n = 0 returns 0.
double td_mse_loss(const float *y, const float *target, size_t n, float *dy);

#endif
