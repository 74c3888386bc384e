// activation.c - the activations' reference definitions and derivatives.
#include <math.h>

#include "nn/dense.h"

static const float SQRT_2_OVER_PI = 0.7978845608028654f;
static const float GELU_C = 0.044715f;

float td_act_apply(td_act act, float z) {
    switch (act) {
    case TD_ACT_NONE: return z;
    case TD_ACT_RELU: return z > 0.0f ? z : 0.0f;
    case TD_ACT_SILU: return z / (1.0f + expf(-z));
    case TD_ACT_GELU: return 0.5f * z * (1.0f + tanhf(SQRT_2_OVER_PI * (z + GELU_C * z * z * z)));
    case TD_ACT_TANH: return tanhf(z);
    }
    return z;
}

float td_act_grad(td_act act, float z) {
    switch (act) {
    case TD_ACT_NONE: return 1.0f;
    case TD_ACT_RELU: return z > 0.0f ? 1.0f : 0.0f;
    case TD_ACT_SILU: {
        float s = 1.0f / (1.0f + expf(-z));
        return s * (1.0f + z * (1.0f - s));
    }
    case TD_ACT_GELU: {
        float u = SQRT_2_OVER_PI * (z + GELU_C * z * z * z);
        float t = tanhf(u);
        float du = SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_C * z * z);
        return 0.5f * (1.0f + t) + 0.5f * z * (1.0f - t * t) * du;
    }
    case TD_ACT_TANH: {
        float t = tanhf(z);
        return 1.0f - t * t;
    }
    }
    return 1.0f;
}

const char *td_act_name(td_act act) {
    switch (act) {
    case TD_ACT_NONE: return "none";
    case TD_ACT_RELU: return "relu";
    case TD_ACT_SILU: return "silu";
    case TD_ACT_GELU: return "gelu";
    case TD_ACT_TANH: return "tanh";
    }
    return "unknown";
}
