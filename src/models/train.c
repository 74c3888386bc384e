// train.c - the shared optimisation loop and the diffusion training step.
#include "models/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diffusion/loss.h"
#include "nn/adamw.h"
#include "nn/ema.h"

td_train_config td_train_defaults(void) {
    td_train_config c;
    c.steps = 10000;
    c.lr = 2e-3f;
    c.lr_min_ratio = 0.01f;
    c.warmup = 200;
    c.weight_decay = 0.0f;
    c.clip = 1.0f;
    c.ema_decay = 0.999f;
    c.progress_every = 100;
    return c;
}

static double now_seconds(void) {
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static td_status validate(const td_train_config *c) {
    if (c->steps < 1 || c->steps > TD_TRAIN_MAX_STEPS)
        return td_fail(TD_ERR_ARG, "training steps must be 1..%d, got %d", TD_TRAIN_MAX_STEPS, c->steps);
    if (!(c->lr > 0.0f) || !isfinite(c->lr)) return td_fail(TD_ERR_ARG, "learning rate must be positive and finite");
    if (!(c->lr_min_ratio >= 0.0f && c->lr_min_ratio <= 1.0f))
        return td_fail(TD_ERR_ARG, "lr_min_ratio must lie in [0, 1]");
    if (c->warmup < 0 || c->warmup >= c->steps)
        return td_fail(TD_ERR_ARG, "warm-up must be 0..%d steps, got %d", c->steps - 1, c->warmup);
    if (!(c->weight_decay >= 0.0f) || !isfinite(c->weight_decay))
        return td_fail(TD_ERR_ARG, "weight decay must be >= 0 and finite");
    if (!(c->ema_decay >= 0.0f && c->ema_decay < 1.0f)) return td_fail(TD_ERR_ARG, "EMA decay must lie in [0, 1)");
    if (c->progress_every < 1) return td_fail(TD_ERR_ARG, "progress period must be >= 1 step");
    if (isnan(c->clip)) return td_fail(TD_ERR_ARG, "clip must be a number");
    return TD_OK;
}

static double lr_at(const td_train_config *c, int k) {
    double lr = (double)c->lr, lr_min = lr * (double)c->lr_min_ratio;
    if (k < c->warmup) return lr * (double)(k + 1) / (double)c->warmup;
    double frac = (double)(k - c->warmup) / (double)(c->steps - c->warmup);
    return lr_min + (lr - lr_min) * 0.5 * (1.0 + cos(3.14159265358979323846 * frac));
}

td_status td_train_begin(td_train_session *s, td_params *p, const td_train_config *cfg, td_train_step_fn step,
                         void *step_ctx) {
    memset(s, 0, sizeof *s);
    td_status st = validate(cfg);
    if (st != TD_OK) return st;
    if (!p || !p->data || !step) return td_fail(TD_ERR_ARG, "training needs allocated parameters and a step");
    td_adamw_config ac = td_adamw_defaults();
    ac.lr = cfg->lr;
    ac.weight_decay = cfg->weight_decay;
    if ((st = td_adamw_init(&s->opt, p, ac)) != TD_OK) return st;
    s->use_ema = cfg->ema_decay > 0.0f;
    if (s->use_ema && (st = td_ema_init(&s->ema, p, cfg->ema_decay)) != TD_OK) {
        td_adamw_free(&s->opt);
        memset(s, 0, sizeof *s);
        return st;
    }
    s->cfg = *cfg;
    s->p = p;
    s->step = step;
    s->step_ctx = step_ctx;
    s->pr.steps = cfg->steps;
    return TD_OK;
}

td_status td_train_advance(td_train_session *s, int k, float *losses, int *done) {
    if (done) *done = 0;
    if (!s->p) return td_fail(TD_ERR_ARG, "the training session has not begun");
    if (k < 1) return td_fail(TD_ERR_ARG, "a training slice needs at least one step, got %d", k);
    const td_train_config *cfg = &s->cfg;
    td_params *p = s->p;
    td_train_progress *pr = &s->pr;
    const double keep = 0.995;  // ~200-step memory for the displayed loss
    double start = now_seconds(), before = pr->elapsed;
    td_status st = TD_OK;
    int taken = 0;
    for (; taken < k && pr->step < cfg->steps; taken++) {
        int step = pr->step;
        double loss = 0.0;
        if ((st = s->step(s->step_ctx, p, &loss)) != TD_OK) break;
        float norm = td_grad_clip(p, cfg->clip > 0.0f ? cfg->clip : 0.0f);
        if (!isfinite(loss) || !isfinite(norm)) {
            st = td_fail(TD_ERR_ARG, "training diverged at step %d (loss %g, gradient norm %g)", step + 1, loss,
                         (double)norm);
            break;
        }
        s->opt.cfg.lr = (float)lr_at(cfg, step);
        if ((st = td_adamw_step(&s->opt, p)) != TD_OK) break;
        if (s->use_ema && (st = td_ema_update(&s->ema, p)) != TD_OK) break;

        if (losses) losses[taken] = (float)loss;
        s->smooth = keep * s->smooth + (1.0 - keep) * loss;
        s->smooth_w = keep * s->smooth_w + (1.0 - keep);
        pr->step = step + 1;
        pr->loss = loss;
        pr->loss_smooth = s->smooth / s->smooth_w;
        pr->lr = (double)s->opt.cfg.lr;
    }
    pr->elapsed = before + (now_seconds() - start);
    pr->steps_per_s = pr->elapsed > 0.0 ? (double)pr->step / pr->elapsed : 0.0;
    pr->eta = pr->steps_per_s > 0.0 ? (double)(cfg->steps - pr->step) / pr->steps_per_s : 0.0;
    if (done) *done = taken;
    return st;
}

td_status td_train_swap_average(td_train_session *s) {
    if (!s->p) return td_fail(TD_ERR_ARG, "the training session has not begun");
    return s->use_ema ? td_ema_swap(&s->ema, s->p) : TD_OK;
}

void td_train_end(td_train_session *s) {
    if (s->use_ema) td_ema_free(&s->ema);
    if (s->p) td_adamw_free(&s->opt);
    memset(s, 0, sizeof *s);
}

td_status td_train_finish(td_train_session *s) {
    td_status st = s->p && s->use_ema ? td_ema_copy_to(&s->ema, s->p) : TD_OK;
    td_train_end(s);
    return st;
}

td_status td_train_run(td_params *p, const td_train_config *cfg, td_train_step_fn step, void *step_ctx,
                       td_train_progress_fn progress, void *progress_ctx, td_train_progress *final) {
    td_train_session s;
    td_status st = td_train_begin(&s, p, cfg, step, step_ctx);
    if (st != TD_OK) return st;
    while (s.pr.step < cfg->steps) {
        if ((st = td_train_advance(&s, 1, NULL, NULL)) != TD_OK) break;
        int last = s.pr.step == cfg->steps;
        if (progress && (last || s.pr.step % cfg->progress_every == 0) && progress(progress_ctx, &s.pr)) break;
    }
    if (final) *final = s.pr;
    if (st != TD_OK) {
        td_train_end(&s);
        return st;
    }
    return td_train_finish(&s);
}

// ---- the diffusion step ---------------------------------------------------------------

td_status td_score_trainer_init(td_score_trainer *tr, td_score_model *model, int batch,
                                td_data_fn data, void *data_ctx, uint64_t seed) {
    memset(tr, 0, sizeof *tr);
    if (batch < 1 || batch > TD_TRAIN_MAX_BATCH)
        return td_fail(TD_ERR_ARG, "training batch must be 1..%d, got %d", TD_TRAIN_MAX_BATCH, batch);
    if (!model || !data) return td_fail(TD_ERR_ARG, "the trainer needs a model and a data source");
    size_t B = (size_t)batch, D = (size_t)model->net.cfg.data_dim;
    td_status st = td_score_net_work_init(&tr->work, &model->net, batch);
    if (st != TD_OK) return st;
    tr->x0 = malloc(B * D * sizeof(float));
    tr->xt = malloc(B * D * sizeof(float));
    tr->target = malloc(B * D * sizeof(float));
    tr->pred = malloc(B * D * sizeof(float));
    tr->t = malloc(B * sizeof(float));
    tr->weight = malloc(B * sizeof(float));
    if (!tr->x0 || !tr->xt || !tr->target || !tr->pred || !tr->t || !tr->weight) {
        td_score_trainer_free(tr);
        return td_fail(TD_ERR_NOMEM, "cannot allocate the training batch (%d rows)", batch);
    }
    if (model->sde.kind == TD_SDE_DDPM) {
        // alpha and sigma at each step's float time i / N, as td_loss_make_batch takes them.
        size_t n = (size_t)model->sde.num_steps + 1;
        tr->alpha_tab = malloc(n * sizeof(double));
        tr->sigma_tab = malloc(n * sizeof(double));
        if (!tr->alpha_tab || !tr->sigma_tab) {
            td_score_trainer_free(tr);
            return td_fail(TD_ERR_NOMEM, "cannot allocate the schedule table");
        }
        for (size_t i = 0; i < n; i++) {
            float t = (float)((double)i / (double)model->sde.num_steps);
            tr->alpha_tab[i] = td_sde_alpha(&model->sde, (double)t);
            tr->sigma_tab[i] = td_sde_sigma(&model->sde, (double)t);
        }
    }
    tr->model = model;
    tr->data = data;
    tr->data_ctx = data_ctx;
    tr->batch = batch;
    td_rng_seed(&tr->rng, seed, 7);  // stream 7: training draws (stream 0 initialises weights)
    return TD_OK;
}

void td_score_trainer_free(td_score_trainer *tr) {
    td_score_net_work_free(&tr->work);
    free(tr->x0);
    free(tr->xt);
    free(tr->target);
    free(tr->pred);
    free(tr->t);
    free(tr->weight);
    free(tr->alpha_tab);
    free(tr->sigma_tab);
    memset(tr, 0, sizeof *tr);
}

// td_loss_make_batch for a DDPM schedule, draw for draw and bit for bit, with alpha and
// sigma read from the trainer's table: on a discrete schedule td_sde_alpha sums over the
// steps below t, which made every batch cost O(batch * N) transcendental calls.
static void make_discrete_batch(td_score_trainer *tr, int B, int D) {
    const td_sde *sde = &tr->model->sde;
    td_prediction param = tr->model->net.cfg.pred;
    size_t cols = (size_t)D;
    for (size_t r = 0; r < (size_t)B; r++) {
        tr->t[r] = (float)td_loss_draw_t(sde, &tr->rng);
        long i = lround((double)tr->t[r] * sde->num_steps);  // t = i / N exactly, up to float rounding
        double alpha = tr->alpha_tab[i], sigma = tr->sigma_tab[i];
        tr->weight[r] = (float)td_loss_weight(param, alpha, sigma);
        for (size_t d = 0; d < cols; d++) {
            size_t k = r * cols + d;
            double e = (double)td_rng_normal(&tr->rng), x = (double)tr->x0[k];
            tr->xt[k] = (float)(alpha * x + sigma * e);
            tr->target[k] = (float)td_loss_target(param, x, e, alpha, sigma);
        }
    }
}

// x0 (B, D) -> (t, x_t, target, weight) -> net -> weighted MSE -> p->grad
td_status td_score_trainer_step(void *ctx, td_params *p, double *loss) {
    td_score_trainer *tr = ctx;
    const td_score_net *net = &tr->model->net;
    int B = tr->batch, D = net->cfg.data_dim;
    td_status st = tr->data(tr->data_ctx, &tr->rng, tr->x0, B);
    if (st != TD_OK) return st;
    if (tr->alpha_tab) make_discrete_batch(tr, B, D);
    else st = td_loss_make_batch(&tr->model->sde, net->cfg.pred, &tr->rng, tr->x0, B, D, tr->t, NULL, tr->xt,
                                 tr->target, tr->weight);
    if (st != TD_OK) return st;
    td_params_zero_grad(p);
    st = td_score_net_forward_train(net, p, &tr->work, tr->xt, tr->t, NULL, NULL, tr->pred, B);
    if (st != TD_OK) return st;
    // The gradient overwrites pred: forward_train kept what backward needs.
    *loss = td_loss_weighted_mse(tr->pred, tr->target, tr->weight, B, D, tr->pred);
    return td_score_net_backward(net, p, &tr->work, tr->pred);
}
