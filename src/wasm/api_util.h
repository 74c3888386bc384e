// api_util.h - checks and caps shared by the binding's files.
#ifndef TD_WASM_API_UTIL_H
#define TD_WASM_API_UTIL_H

#include "core/status.h"
#include "diffusion/samplers.h"

// Caps on what one call may ask for: the module's memory is at most 512 MiB,
// so refuse early with a clear reason rather than fail deep inside malloc.
enum {
    TD_WASM_MAX_VALUES = 1 << 24,  // floats in one array (64 MiB)
    TD_WASM_MAX_WIDTH = 4096,      // units in one dense layer
};

// TD_OK when 0 < n <= max; otherwise TD_ERR_ARG / TD_ERR_LIMIT naming `what`.
td_status td_wasm_check_count(int n, int max, const char *what);

// TD_OK when p is not NULL.
td_status td_wasm_check_buffer(const void *p, const char *what);

// A sampler index and the page's option arguments (NaN / negative keep a default) as
// samplers.h options: eta (ddim), snr and corrector_steps (pc), grid (0 uniform in t,
// 1 uniform in log SNR). TD_ERR_ARG naming the bad value.
td_status td_wasm_sampler_setup(int sampler, double eta, double snr, int corrector_steps, int grid,
                                td_sampler_options *opts);

// The samplers' common checks on n points of `dim` values for `steps` steps, and on the
// optional trajectory (steps + 1, n, dim) against the page's cap.
td_status td_wasm_check_sampling(int n, int dim, int steps, const float *x, const float *trajectory);

#endif
