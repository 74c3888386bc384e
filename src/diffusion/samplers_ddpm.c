// samplers_ddpm.c - DDPM ancestral sampling (both variances) and DDIM.
//
// Between grid times s < t the forward process has the exact Gaussian transition
//   x_t | x_s ~ N(a_ts x_s, v_ts I),  a_ts = alpha_t / alpha_s,  v_ts = sigma_t^2 - a_ts^2 sigma_s^2
// (on a DDPM schedule with consecutive steps, a_ts^2 = 1 - beta_t and v_ts = beta_t), and
// the posterior given x_0 is
//   q(x_s | x_t, x_0) = N(a_ts sigma_s^2 / sigma_t^2 x_t + alpha_s v_ts / sigma_t^2 x_0,
//                         v_ts sigma_s^2 / sigma_t^2 I)      (the variance is beta-tilde).
// Ancestral sampling plugs the model's x_0 into the mean. DDIM keeps alpha_s x_0 plus the
// predicted eps scaled to the remaining noise, and adds eta times the posterior std of
// fresh noise: eta = 1 gives the same update as ancestral sampling with beta-tilde.
#include <math.h>

#include "diffusion/samplers_internal.h"

// x (n, dim) at t -> x at s, using one denoiser call.
static td_status ancestral_step(td_sampling *s, td_sampler_kind kind, double t, double t_next) {
    const td_sde *sde = s->sde;
    float *x0 = s->scratch[0], *eps = s->scratch[1], *z = s->scratch[2];
    td_status st = td_sampling_predict_x0_eps(s, s->x, t, x0, eps);
    if (st != TD_OK) return st;

    double alpha_t = td_sde_alpha(sde, t), sigma_t = td_sde_sigma(sde, t);
    double alpha_s = td_sde_alpha(sde, t_next), sigma_s = td_sde_sigma(sde, t_next);
    double a_ts = alpha_t / alpha_s;
    double v_ts = fmax(sigma_t * sigma_t - a_ts * a_ts * sigma_s * sigma_s, 0.0);
    double tilde = v_ts * sigma_s * sigma_s / (sigma_t * sigma_t);

    float *x = s->x;
    if (kind == TD_SAMPLER_DDIM) {
        double noise_std = s->opts.eta * sqrt(tilde);
        float c_x0 = (float)alpha_s;
        float c_eps = (float)sqrt(fmax(sigma_s * sigma_s - noise_std * noise_std, 0.0));
        float c_z = (float)noise_std;
        if (noise_std > 0.0) td_sampling_noise(s, z);
        for (size_t i = 0; i < s->count; i++)
            x[i] = c_x0 * x0[i] + c_eps * eps[i] + (noise_std > 0.0 ? c_z * z[i] : 0.0f);
        return TD_OK;
    }
    float c_x = (float)(a_ts * sigma_s * sigma_s / (sigma_t * sigma_t));
    float c_x0 = (float)(alpha_s * v_ts / (sigma_t * sigma_t));
    float c_z = (float)sqrt(kind == TD_SAMPLER_DDPM ? tilde : v_ts);
    td_sampling_noise(s, z);
    for (size_t i = 0; i < s->count; i++) x[i] = c_x * x[i] + c_x0 * x0[i] + c_z * z[i];
    return TD_OK;
}

td_status td_sampling_run_ancestral(td_sampling *s, td_sampler_kind kind) {
    for (int k = 0; k + 1 < s->steps; k++) {
        td_status st = ancestral_step(s, kind, s->t[k], s->t[k + 1]);
        if (st != TD_OK) return st;
        td_sampling_record(s, k + 1);
    }
    td_status st = td_sampling_denoise(s, s->t[s->steps - 1]);
    if (st != TD_OK) return st;
    td_sampling_record(s, s->steps);
    return TD_OK;
}
