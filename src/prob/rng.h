// rng.h - explicit random state: PCG32 (O'Neill, 2014), uniform and normal draws.
//
// No global generator: every function that needs randomness takes a td_rng*.
// The same seed gives the same stream on every platform (native and wasm),
// because only 32/64-bit integer arithmetic feeds the draws.
#ifndef TD_RNG_H
#define TD_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t state;
    uint64_t inc;        // stream selector, always odd
    double spare;        // Box-Muller makes normals in pairs; the second waits here
    int has_spare;
} td_rng;

// Seed a generator; different `stream`s with the same seed are independent.
void td_rng_seed(td_rng *rng, uint64_t seed, uint64_t stream);

uint32_t td_rng_u32(td_rng *rng);

// Uniform integer in [0, n) without modulo bias (n > 0).
uint32_t td_rng_below(td_rng *rng, uint32_t n);

// Uniform double in [0, 1) with 53 random bits.
double td_rng_uniform(td_rng *rng);

// Uniform double in the open interval (0, 1): safe for log() and inverse CDFs.
double td_rng_uniform_open(td_rng *rng);

// Standard normal draw by the Box-Muller transform (the default, fast path).
double td_rng_normal(td_rng *rng);

// Standard normal draw by pushing a uniform through the inverse normal CDF:
// the blog's opening example of sampling as a transformation.
double td_rng_normal_icdf(td_rng *rng);

// Fill out[0..n) with N(0,1) float draws (Box-Muller).
void td_rng_fill_normal(td_rng *rng, float *out, size_t n);

#endif
