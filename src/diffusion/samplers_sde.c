// samplers_sde.c - reverse-time SDE and probability-flow ODE solvers, and
// predictor-corrector sampling (Song et al. 2021).
//
// Forward: dx = f(t) x dt + g(t) dW. Reverse-time SDE and probability-flow ODE:
//   dx = [f x - g^2 score] dt + g dW_bar        dx/dt = f x - g^2 score / 2
// integrated backwards in time with steps h = t_k - t_{k+1} > 0.
#include <math.h>

#include "diffusion/samplers_internal.h"

// Euler-Maruyama, t -> t - h:  x += h (g^2 score - f x) + g sqrt(h) z.
static td_status em_step(td_sampling *s, double t, double h) {
    float *score = s->scratch[0], *z = s->scratch[1];
    td_status st = td_sampling_predict(s, s->x, t, TD_PRED_SCORE, score);
    if (st != TD_OK) return st;
    double f = td_sde_drift(s->sde, t), g = td_sde_diffusion(s->sde, t);
    float c_x = (float)(1.0 - h * f), c_score = (float)(h * g * g), c_z = (float)(g * sqrt(h));
    td_sampling_noise(s, z);
    for (size_t i = 0; i < s->count; i++) s->x[i] = c_x * s->x[i] + c_score * score[i] + c_z * z[i];
    return TD_OK;
}

// ODE velocity dx/dt at (x, t) -> out (in dt units: the step subtracts h * out).
static td_status ode_velocity(td_sampling *s, const float *x, double t, float *out) {
    td_status st = td_sampling_predict(s, x, t, TD_PRED_SCORE, out);
    if (st != TD_OK) return st;
    double g = td_sde_diffusion(s->sde, t);
    float f = (float)td_sde_drift(s->sde, t), half_g2 = (float)(0.5 * g * g);
    for (size_t i = 0; i < s->count; i++) out[i] = f * x[i] - half_g2 * out[i];
    return TD_OK;
}

static td_status ode_euler_step(td_sampling *s, double t, double h) {
    float *v = s->scratch[0];
    td_status st = ode_velocity(s, s->x, t, v);
    if (st != TD_OK) return st;
    float fh = (float)h;
    for (size_t i = 0; i < s->count; i++) s->x[i] -= fh * v[i];
    return TD_OK;
}

// Heun: Euler to t - h, then average the velocities at both ends.
static td_status ode_heun_step(td_sampling *s, double t, double h) {
    float *v1 = s->scratch[0], *x_euler = s->scratch[1], *v2 = s->scratch[2];
    td_status st = ode_velocity(s, s->x, t, v1);
    if (st != TD_OK) return st;
    float fh = (float)h;
    for (size_t i = 0; i < s->count; i++) x_euler[i] = s->x[i] - fh * v1[i];
    if ((st = ode_velocity(s, x_euler, t - h, v2)) != TD_OK) return st;
    float half_h = 0.5f * fh;
    for (size_t i = 0; i < s->count; i++) s->x[i] -= half_h * (v1[i] + v2[i]);
    return TD_OK;
}

// Reverse-diffusion predictor: undo the discrete forward step x_t = a_ts x_s + sqrt(v_ts) z:
//   x_s = (2 - a_ts) x_t + v_ts score + sqrt(v_ts) z   (Song et al. 2021, eq. 46-47).
static td_status reverse_diffusion_step(td_sampling *s, double t, double t_next) {
    float *score = s->scratch[0], *z = s->scratch[1];
    td_status st = td_sampling_predict(s, s->x, t, TD_PRED_SCORE, score);
    if (st != TD_OK) return st;
    double alpha_t = td_sde_alpha(s->sde, t), sigma_t = td_sde_sigma(s->sde, t);
    double alpha_s = td_sde_alpha(s->sde, t_next), sigma_s = td_sde_sigma(s->sde, t_next);
    double a_ts = alpha_t / alpha_s;
    double v_ts = fmax(sigma_t * sigma_t - a_ts * a_ts * sigma_s * sigma_s, 0.0);
    float c_x = (float)(2.0 - a_ts), c_score = (float)v_ts, c_z = (float)sqrt(v_ts);
    td_sampling_noise(s, z);
    for (size_t i = 0; i < s->count; i++) s->x[i] = c_x * s->x[i] + c_score * score[i] + c_z * z[i];
    return TD_OK;
}

// Mean over rows of the row norms of v (n, dim).
static double mean_row_norm(const td_sampling *s, const float *v) {
    size_t dim = (size_t)s->dim, n = (size_t)s->n;
    double total = 0.0;
    for (size_t r = 0; r < n; r++) {
        double sq = 0.0;
        for (size_t d = 0; d < dim; d++) sq += (double)v[r * dim + d] * (double)v[r * dim + d];
        total += sqrt(sq);
    }
    return total / (double)n;
}

// Langevin corrector at time t (Song et al. 2021, Algorithm 5): the step size makes the
// ratio of the score's norm to the noise's norm equal snr; `alpha_step` is the squared
// mean scale across the adjacent grid step (1 - beta_i for VP, 1 for VE).
static td_status langevin_correct(td_sampling *s, double t, double alpha_step) {
    float *score = s->scratch[0], *z = s->scratch[1];
    for (int c = 0; c < s->opts.corrector_steps; c++) {
        td_status st = td_sampling_predict(s, s->x, t, TD_PRED_SCORE, score);
        if (st != TD_OK) return st;
        td_sampling_noise(s, z);
        double grad_norm = mean_row_norm(s, score), noise_norm = mean_row_norm(s, z);
        if (!(grad_norm > 0.0)) continue;  // a zero score gives no direction to move in
        double ratio = s->opts.snr * noise_norm / grad_norm;
        double step = 2.0 * alpha_step * ratio * ratio;
        float c_score = (float)step, c_z = (float)sqrt(2.0 * step);
        for (size_t i = 0; i < s->count; i++) s->x[i] += c_score * score[i] + c_z * z[i];
    }
    return TD_OK;
}

static double alpha_step_at(const td_sampling *s, int k) {
    if (s->steps < 2) return 1.0;
    int a = k + 1 < s->steps ? k : k - 1;  // the last point uses the step before it
    double ratio = td_sde_alpha(s->sde, s->t[a]) / td_sde_alpha(s->sde, s->t[a + 1]);
    return ratio * ratio;
}

td_status td_sampling_run_sde(td_sampling *s, td_sampler_kind kind) {
    int pc = kind == TD_SAMPLER_PC || kind == TD_SAMPLER_PC_EM;
    for (int k = 0; k < s->steps; k++) {
        double t = s->t[k];
        td_status st = TD_OK;
        if (pc) st = langevin_correct(s, t, alpha_step_at(s, k));
        if (st != TD_OK) return st;
        if (k + 1 == s->steps) {
            st = td_sampling_denoise(s, t);
        } else {
            double t_next = s->t[k + 1], h = t - t_next;
            switch (kind) {
            case TD_SAMPLER_EM:
            case TD_SAMPLER_PC_EM: st = em_step(s, t, h); break;
            case TD_SAMPLER_ODE_EULER: st = ode_euler_step(s, t, h); break;
            case TD_SAMPLER_ODE_HEUN: st = ode_heun_step(s, t, h); break;
            case TD_SAMPLER_PC: st = reverse_diffusion_step(s, t, t_next); break;
            default: st = td_fail(TD_ERR_ARG, "sampler kind %d is not an SDE sampler", (int)kind);
            }
        }
        if (st != TD_OK) return st;
        td_sampling_record(s, k + 1);
    }
    return TD_OK;
}
