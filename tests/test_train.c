// test_train.c - the training loop a slice at a time (models/train.h's td_train_session):
// slices take exactly the steps td_train_run takes, the EMA can be looked at mid-run and
// put back, the end is never overrun, and bad slices and diverged steps are refused.
#include <math.h>
#include <string.h>

#include "check.h"
#include "data/toy2d.h"
#include "models/train.h"

// L = mean (theta - target)^2 plus a drift that depends on the call count, so a step
// taken twice or skipped shows in the weights.
typedef struct {
    int calls;
    int nan_at;   // a NaN loss at this call (0: never)
} quad_ctx;

static td_status quad_step(void *vctx, td_params *p, double *loss) {
    quad_ctx *q = vctx;
    q->calls++;
    td_params_zero_grad(p);
    double L = 0.0, target = 1.0 + 0.001 * q->calls;
    for (size_t i = 0; i < p->total; i++) {
        double d = (double)p->data[i] - target * (double)(i + 1) / (double)p->total;
        L += d * d / (double)p->total;
        p->grad[i] = (float)(2.0 * d / (double)p->total);
    }
    *loss = q->calls == q->nan_at ? (double)NAN : L;
    return TD_OK;
}

static void make_params(td_params *p) {
    td_params_init(p);
    int shape[1] = {8};
    td_params_declare(p, "w", 1, shape, TD_INIT_ZERO, 0.0f, NULL);
    td_params_alloc(p);
}

static td_train_config config(void) {
    td_train_config c = td_train_defaults();
    c.steps = 300;
    c.warmup = 20;
    c.lr = 0.02f;
    c.ema_decay = 0.99f;
    return c;
}

TEST(slices_of_any_size_take_exactly_the_steps_of_one_whole_run) {
    td_train_config c = config();
    td_params whole, sliced;
    make_params(&whole);
    make_params(&sliced);
    quad_ctx qa = {0, 0}, qb = {0, 0};
    td_train_progress final;
    CHECK_EQ(td_train_run(&whole, &c, quad_step, &qa, NULL, NULL, &final), TD_OK);

    td_train_session s;
    CHECK_EQ(td_train_begin(&s, &sliced, &c, quad_step, &qb), TD_OK);
    const int sizes[] = {1, 7, 50, 13, 100, 1000};
    float losses[1000];
    int total = 0, done = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK_EQ(td_train_advance(&s, sizes[i], losses, &done), TD_OK);
        total += done;
    }
    CHECK_EQ(total, 300);
    CHECK_EQ(done, 300 - 1 - 7 - 50 - 13 - 100);   // the last slice stops at the end
    CHECK_EQ(qb.calls, 300);
    CHECK_EQ(s.pr.step, 300);
    CHECK_NEAR(s.pr.loss_smooth, final.loss_smooth, 1e-12);
    CHECK(losses[done - 1] > 0.0f && fabsf(losses[done - 1] - (float)final.loss) < 1e-6f);
    // A complete run takes no more steps.
    CHECK_EQ(td_train_advance(&s, 10, losses, &done), TD_OK);
    CHECK_EQ(done, 0);
    CHECK_EQ(qb.calls, 300);
    CHECK_EQ(td_train_finish(&s), TD_OK);
    CHECK_EQ(memcmp(whole.data, sliced.data, whole.total * sizeof(float)), 0);
    td_params_free(&whole);
    td_params_free(&sliced);
}

TEST(the_average_can_be_swapped_in_mid_run_and_swapped_back_without_changing_the_run) {
    td_train_config c = config();
    td_params a, b;
    make_params(&a);
    make_params(&b);
    quad_ctx qa = {0, 0}, qb = {0, 0};
    td_train_session sa, sb;
    CHECK_EQ(td_train_begin(&sa, &a, &c, quad_step, &qa), TD_OK);
    CHECK_EQ(td_train_begin(&sb, &b, &c, quad_step, &qb), TD_OK);
    CHECK_EQ(td_train_advance(&sa, 150, NULL, NULL), TD_OK);
    CHECK_EQ(td_train_advance(&sb, 150, NULL, NULL), TD_OK);
    float live = b.data[7];
    CHECK_EQ(td_train_swap_average(&sb), TD_OK);
    float average = b.data[7];
    CHECK(fabsf(average - live) > 1e-3f);      // the EMA lags the live weights
    CHECK(average > 0.0f && average < live);   // ... on their way up from 0
    CHECK_EQ(td_train_swap_average(&sb), TD_OK);
    CHECK_EQ(b.data[7], live);
    CHECK_EQ(td_train_advance(&sa, 150, NULL, NULL), TD_OK);
    CHECK_EQ(td_train_advance(&sb, 150, NULL, NULL), TD_OK);
    CHECK_EQ(memcmp(a.data, b.data, a.total * sizeof(float)), 0);
    // finish leaves the average; end leaves the live weights.
    CHECK_EQ(td_train_swap_average(&sb), TD_OK);
    float final_average = b.data[3];
    CHECK_EQ(td_train_swap_average(&sb), TD_OK);
    float final_live = b.data[3];
    CHECK_EQ(td_train_finish(&sb), TD_OK);
    CHECK_EQ(b.data[3], final_average);
    td_train_end(&sa);
    CHECK_EQ(a.data[3], final_live);
    td_params_free(&a);
    td_params_free(&b);
}

TEST(bad_slices_bad_configs_and_a_diverged_step_are_refused_with_a_reason) {
    td_train_config c = config();
    td_params p;
    make_params(&p);
    quad_ctx q = {0, 0};
    td_train_session s;
    CHECK_EQ(td_train_begin(&s, &p, &c, quad_step, &q), TD_OK);
    int done = -1;
    CHECK_EQ(td_train_advance(&s, 0, NULL, &done), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "at least one step");
    CHECK_EQ(done, 0);
    td_train_end(&s);
    CHECK_EQ(td_train_advance(&s, 1, NULL, NULL), TD_ERR_ARG);   // ended: refused, no crash
    CHECK_EQ(td_train_swap_average(&s), TD_ERR_ARG);

    c.warmup = c.steps;
    CHECK_EQ(td_train_begin(&s, &p, &c, quad_step, &q), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "warm-up");
    c = config();
    CHECK_EQ(td_train_begin(&s, NULL, &c, quad_step, &q), TD_ERR_ARG);

    q.nan_at = 42;
    CHECK_EQ(td_train_begin(&s, &p, &c, quad_step, &q), TD_OK);
    CHECK_EQ(td_train_advance(&s, 30, NULL, &done), TD_OK);
    CHECK_EQ(done, 30);
    CHECK_EQ(td_train_advance(&s, 30, NULL, &done), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "diverged at step 42");
    CHECK_EQ(done, 11);
    CHECK_EQ(s.pr.step, 41);
    td_train_end(&s);
    td_params_free(&p);
}

TEST(a_sliced_diffusion_run_on_the_ring_matches_the_whole_run_bit_for_bit) {
    float out[2][4];
    for (int run = 0; run < 2; run++) {
        td_score_net_config nc = td_score_net_defaults();
        nc.width = 32;
        nc.depth = 2;
        td_sde sde;
        CHECK_EQ(td_sde_from_name("ddpm-linear", &sde), TD_OK);
        td_rng init;
        td_rng_seed(&init, 5, 0);
        td_score_model m;
        CHECK_EQ(td_score_model_init(&m, &nc, &sde, &init), TD_OK);
        td_toy_kind ring = TD_TOY_RING8;
        td_score_trainer tr;
        CHECK_EQ(td_score_trainer_init(&tr, &m, 64, td_toy_sampler, &ring, 5), TD_OK);
        td_train_config c = td_train_defaults();
        c.steps = 120;
        c.warmup = 10;
        if (run == 0) {
            CHECK_EQ(td_train_run(&m.params, &c, td_score_trainer_step, &tr, NULL, NULL, NULL), TD_OK);
        } else {
            td_train_session s;
            CHECK_EQ(td_train_begin(&s, &m.params, &c, td_score_trainer_step, &tr), TD_OK);
            for (int k = 0; k < 12; k++) CHECK_EQ(td_train_advance(&s, 10, NULL, NULL), TD_OK);
            CHECK_EQ(td_train_finish(&s), TD_OK);
        }
        memcpy(out[run], m.params.data, sizeof out[run]);
        td_score_trainer_free(&tr);
        td_score_model_free(&m);
    }
    CHECK_EQ(memcmp(out[0], out[1], sizeof out[0]), 0);
    CHECK(out[0][0] != 0.0f);
}

int main(void) {
    RUN(slices_of_any_size_take_exactly_the_steps_of_one_whole_run);
    RUN(the_average_can_be_swapped_in_mid_run_and_swapped_back_without_changing_the_run);
    RUN(bad_slices_bad_configs_and_a_diverged_step_are_refused_with_a_reason);
    RUN(a_sliced_diffusion_run_on_the_ring_matches_the_whole_run_bit_for_bit);
    return check_summary("test_train");
}
