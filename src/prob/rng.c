// rng.c - PCG32 (XSH-RR output) and the draws built on it.
#include "prob/rng.h"

#include <math.h>

#include "prob/normal.h"

static const double TWO_PI = 6.283185307179586476925286766559;

void td_rng_seed(td_rng *rng, uint64_t seed, uint64_t stream) {
    rng->state = 0u;
    rng->inc = (stream << 1u) | 1u;
    rng->has_spare = 0;
    rng->spare = 0.0;
    td_rng_u32(rng);
    rng->state += seed;
    td_rng_u32(rng);
}

uint32_t td_rng_u32(td_rng *rng) {
    uint64_t old = rng->state;
    rng->state = old * 6364136223846793005ULL + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

uint32_t td_rng_below(td_rng *rng, uint32_t n) {
    // Lemire-style rejection: drop the few values that would bias the modulo.
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t r = td_rng_u32(rng);
        if (r >= threshold) return r % n;
    }
}

double td_rng_uniform(td_rng *rng) {
    uint64_t hi = td_rng_u32(rng) >> 5;   // 27 bits
    uint64_t lo = td_rng_u32(rng) >> 6;   // 26 bits
    return (double)((hi << 26) | lo) * (1.0 / 9007199254740992.0);
}

double td_rng_uniform_open(td_rng *rng) {
    double u;
    do {
        u = td_rng_uniform(rng);
    } while (u == 0.0);
    return u;
}

double td_rng_normal(td_rng *rng) {
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    double u1 = td_rng_uniform_open(rng);
    double u2 = td_rng_uniform(rng);
    double r = sqrt(-2.0 * log(u1));
    rng->spare = r * sin(TWO_PI * u2);
    rng->has_spare = 1;
    return r * cos(TWO_PI * u2);
}

double td_rng_normal_icdf(td_rng *rng) {
    return td_normal_icdf(td_rng_uniform_open(rng));
}

void td_rng_fill_normal(td_rng *rng, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = (float)td_rng_normal(rng);
}
