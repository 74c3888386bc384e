// classifier.c - the evaluation conv net: build, forward, backward, train step, checkpoints.
#include "models/classifier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/digits.h"

enum { S1 = 28, S2 = 14, S3 = 7, K = 5 };

td_classifier_config td_classifier_defaults(void) {
    td_classifier_config c = {16, 32, 128};
    return c;
}

td_status td_classifier_init(td_classifier *m, const td_classifier_config *cfg, td_rng *rng) {
    if (!m || !cfg) return td_fail(TD_ERR_ARG, "classifier: missing model or config");
    memset(m, 0, sizeof *m);
    td_params_init(&m->params);
    if (cfg->c1 <= 0 || cfg->c1 > TD_CLASSIFIER_MAX_CHANNELS || cfg->c2 <= 0 ||
        cfg->c2 > TD_CLASSIFIER_MAX_CHANNELS)
        return td_fail(TD_ERR_ARG, "classifier: channels %d, %d are outside 1..%d", cfg->c1,
                       cfg->c2, TD_CLASSIFIER_MAX_CHANNELS);
    if (cfg->hidden <= 0 || cfg->hidden > TD_CLASSIFIER_MAX_HIDDEN)
        return td_fail(TD_ERR_ARG, "classifier: hidden %d is outside 1..%d", cfg->hidden,
                       TD_CLASSIFIER_MAX_HIDDEN);
    m->cfg = *cfg;
    td_params *p = &m->params;
    int flat = S3 * S3 * cfg->c2;
    int fc1w[2] = {cfg->hidden, flat}, fc1b[1] = {cfg->hidden};
    int fc2w[2] = {TD_CLASSIFIER_CLASSES, cfg->hidden}, fc2b[1] = {TD_CLASSIFIER_CLASSES};
    float s1 = 1.0f / sqrtf((float)flat), s2 = 1.0f / sqrtf((float)cfg->hidden);
    td_status st = td_conv2d_init(&m->conv1, p, "conv1", S1, S1, 3, cfg->c1, K, TD_ACT_RELU);
    if (st == TD_OK) st = td_conv2d_init(&m->conv2, p, "conv2", S2, S2, cfg->c1, cfg->c2, K, TD_ACT_RELU);
    if (st == TD_OK) st = td_params_declare(p, "fc1.weight", 2, fc1w, TD_INIT_UNIFORM, s1, &m->fc1_w);
    if (st == TD_OK) st = td_params_declare(p, "fc1.bias", 1, fc1b, TD_INIT_UNIFORM, s1, &m->fc1_b);
    if (st == TD_OK) st = td_params_declare(p, "fc2.weight", 2, fc2w, TD_INIT_UNIFORM, s2, &m->fc2_w);
    if (st == TD_OK) st = td_params_declare(p, "fc2.bias", 1, fc2b, TD_INIT_UNIFORM, s2, &m->fc2_b);
    if (st == TD_OK) st = td_params_alloc(p);
    if (st == TD_OK && rng) st = td_params_init_weights(p, rng);
    if (st != TD_OK) td_classifier_free(m);
    return st;
}

void td_classifier_free(td_classifier *m) {
    if (!m) return;
    td_params_free(&m->params);
    memset(m, 0, sizeof *m);
}

// ---- workspace -----------------------------------------------------------------------

// Take per_image * B floats from the arena.
static float *carve(float **next, size_t per_image, size_t B) {
    float *out = *next;
    *next += per_image * B;
    return out;
}

td_status td_classifier_work_init(td_classifier_work *w, const td_classifier *m, int max_batch,
                                  int train) {
    if (!w || !m) return td_fail(TD_ERR_ARG, "classifier: missing workspace or model");
    memset(w, 0, sizeof *w);
    if (max_batch <= 0 || max_batch > TD_CLASSIFIER_MAX_BATCH)
        return td_fail(TD_ERR_ARG, "classifier: batch %d is outside 1..%d", max_batch,
                       TD_CLASSIFIER_MAX_BATCH);
    size_t c1 = (size_t)m->cfg.c1, c2 = (size_t)m->cfg.c2, h = (size_t)m->cfg.hidden;
    size_t B = (size_t)max_batch;
    size_t cols1 = S1 * S1 * K * K * 3, cols2 = S2 * S2 * K * K * c1;
    size_t a1 = S1 * S1 * c1, p1 = S2 * S2 * c1, a2 = S2 * S2 * c2, p2 = S3 * S3 * c2;
    // Per image: forward buffers, then (train) activation slopes and gradients.
    size_t fwd = cols1 + a1 + p1 + cols2 + a2 + p2 + h + TD_CLASSIFIER_CLASSES;
    size_t back = train ? a1 + a2 + h + cols2 + p1 + a1 + p2 + a2 + h + TD_CLASSIFIER_CLASSES : 0;
    size_t total = 0, itotal = 0;
    if (td_mul_size(fwd + back, B, &total) || td_mul_size(p1 + p2, B, &itotal))
        return td_fail(TD_ERR_LIMIT, "classifier: workspace for batch %d overflows", max_batch);
    w->mem = malloc(total * sizeof *w->mem);
    w->imem = malloc(itotal * sizeof *w->imem);
    if (!w->mem || !w->imem) {
        td_classifier_work_free(w);
        return td_fail(TD_ERR_NOMEM, "classifier: cannot allocate a workspace for batch %d",
                       max_batch);
    }
    float *next = w->mem;
    w->cols1 = carve(&next, cols1, B);
    w->a1 = carve(&next, a1, B);
    w->p1 = carve(&next, p1, B);
    w->cols2 = carve(&next, cols2, B);
    w->a2 = carve(&next, a2, B);
    w->p2 = carve(&next, p2, B);
    w->h3 = carve(&next, h, B);
    w->logits = carve(&next, TD_CLASSIFIER_CLASSES, B);
    if (train) {
        w->slope1 = carve(&next, a1, B);
        w->slope2 = carve(&next, a2, B);
        w->slope3 = carve(&next, h, B);
        w->dcols2 = carve(&next, cols2, B);
        w->dp1 = carve(&next, p1, B);
        w->da1 = carve(&next, a1, B);
        w->dp2 = carve(&next, p2, B);
        w->da2 = carve(&next, a2, B);
        w->dh3 = carve(&next, h, B);
        w->dlogits = carve(&next, TD_CLASSIFIER_CLASSES, B);
    }
    w->arg1 = w->imem;
    w->arg2 = w->imem + p1 * B;
    w->max_batch = max_batch;
    w->train = train != 0;
    return TD_OK;
}

void td_classifier_work_free(td_classifier_work *w) {
    if (!w) return;
    free(w->mem);
    free(w->imem);
    memset(w, 0, sizeof *w);
}

// ---- forward and backward, side by side ------------------------------------------------

td_status td_classifier_forward(const td_classifier *m, td_classifier_work *w, const float *x,
                                int B, float *logits, float *features) {
    if (!m || !w || !w->mem || !x) return td_fail(TD_ERR_ARG, "classifier: missing input");
    if (B <= 0 || B > w->max_batch)
        return td_fail(TD_ERR_LIMIT, "classifier: batch %d is outside 1..%d", B, w->max_batch);
    const float *P = m->params.data;
    const td_classifier_config *c = &m->cfg;
    // x (B, 28, 28, 3) -> a1 (B, 28, 28, c1) -> p1 (B, 14, 14, c1)
    td_conv2d_forward(&m->conv1, &m->params, x, w->cols1, w->slope1, w->a1, B);
    td_maxpool2_forward(w->a1, w->p1, w->arg1, B, S1, S1, c->c1);
    // p1 -> a2 (B, 14, 14, c2) -> p2 (B, 7, 7, c2), read as (B, 7*7*c2)
    td_conv2d_forward(&m->conv2, &m->params, w->p1, w->cols2, w->slope2, w->a2, B);
    td_maxpool2_forward(w->a2, w->p2, w->arg2, B, S2, S2, c->c2);
    // p2 (B, 7*7*c2) -> h3 (B, hidden) -> logits (B, 10)
    td_dense_forward(w->p2, P + m->fc1_w, P + m->fc1_b, w->slope3, w->h3, B, S3 * S3 * c->c2,
                     c->hidden, TD_ACT_RELU);
    td_dense_forward(w->h3, P + m->fc2_w, P + m->fc2_b, NULL, w->logits, B, c->hidden,
                     TD_CLASSIFIER_CLASSES, TD_ACT_NONE);
    size_t n = (size_t)B;
    if (logits) memcpy(logits, w->logits, n * TD_CLASSIFIER_CLASSES * sizeof *logits);
    if (features) memcpy(features, w->h3, n * (size_t)c->hidden * sizeof *features);
    return TD_OK;
}

td_status td_classifier_backward(td_classifier *m, td_classifier_work *w, const int *labels,
                                 int B, double *loss, int *correct) {
    if (!m || !w || !w->train || !labels)
        return td_fail(TD_ERR_ARG, "classifier: backward needs a training workspace and labels");
    if (B <= 0 || B > w->max_batch)
        return td_fail(TD_ERR_LIMIT, "classifier: batch %d is outside 1..%d", B, w->max_batch);
    const float *P = m->params.data;
    float *G = m->params.grad;
    const td_classifier_config *c = &m->cfg;
    // Softmax cross-entropy, mean over rows: dlogits = (softmax - onehot) / B.
    double total = 0.0;
    int right = 0;
    for (int i = 0; i < B; i++) {
        const float *z = w->logits + (size_t)i * TD_CLASSIFIER_CLASSES;
        float *dz = w->dlogits + (size_t)i * TD_CLASSIFIER_CLASSES;
        if (labels[i] < 0 || labels[i] >= TD_CLASSIFIER_CLASSES)
            return td_fail(TD_ERR_ARG, "classifier: label %d of row %d is not 0..9", labels[i], i);
        int best = 0;
        float mx = z[0];
        for (int k = 1; k < TD_CLASSIFIER_CLASSES; k++)
            if (z[k] > mx) mx = z[k], best = k;
        double sum = 0.0;
        for (int k = 0; k < TD_CLASSIFIER_CLASSES; k++) sum += exp((double)(z[k] - mx));
        total += log(sum) - (double)(z[labels[i]] - mx);
        right += best == labels[i];
        for (int k = 0; k < TD_CLASSIFIER_CLASSES; k++) {
            double prob = exp((double)(z[k] - mx)) / sum;
            dz[k] = (float)((prob - (k == labels[i])) / B);
        }
    }
    if (loss) *loss = total / B;
    if (correct) *correct = right;
    // dlogits (B, 10) -> dh3 (B, hidden); a linear layer keeps no slopes
    td_dense_backward(w->h3, P + m->fc2_w, NULL, w->dlogits, w->dh3, G + m->fc2_w,
                      G + m->fc2_b, B, c->hidden, TD_CLASSIFIER_CLASSES, TD_ACT_NONE);
    // dh3 (B, hidden) -> dp2 (B, 7*7*c2)
    td_dense_backward(w->p2, P + m->fc1_w, w->slope3, w->dh3, w->dp2, G + m->fc1_w, G + m->fc1_b, B,
                      S3 * S3 * c->c2, c->hidden, TD_ACT_RELU);
    // dp2 -> da2 (B, 14, 14, c2) -> dp1 (B, 14, 14, c1)
    td_maxpool2_backward(w->dp2, w->arg2, w->da2, B, S2, S2, c->c2);
    td_conv2d_backward(&m->conv2, &m->params, w->cols2, w->slope2, w->da2, w->dcols2, w->dp1, B);
    // dp1 -> da1 (B, 28, 28, c1) -> conv1's weights (the image needs no gradient)
    td_maxpool2_backward(w->dp1, w->arg1, w->da1, B, S1, S1, c->c1);
    td_conv2d_backward(&m->conv1, &m->params, w->cols1, w->slope1, w->da1, NULL, NULL, B);
    return TD_OK;
}

void td_classifier_argmax(const float *logits, int B, int *labels) {
    for (int i = 0; i < B; i++) {
        const float *z = logits + (size_t)i * TD_CLASSIFIER_CLASSES;
        int best = 0;
        for (int k = 1; k < TD_CLASSIFIER_CLASSES; k++)
            if (z[k] > z[best]) best = k;
        labels[i] = best;
    }
}

td_status td_classifier_predict(const td_classifier *m, td_classifier_work *w, const float *x,
                                int n, int *pred, float *features) {
    if (n < 0 || (n > 0 && !x)) return td_fail(TD_ERR_ARG, "classifier: bad image count %d", n);
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        size_t off = (size_t)start;
        td_status st = td_classifier_forward(m, w, x + off * TD_DIGIT_FLOATS, B, NULL,
                                             features ? features + off * (size_t)m->cfg.hidden
                                                      : NULL);
        if (st != TD_OK) return st;
        if (pred) td_classifier_argmax(w->logits, B, pred + off);
    }
    return TD_OK;
}

td_status td_classifier_test_accuracy(const td_classifier *m, const td_mnist *data,
                                      uint64_t color_seed, double *accuracy) {
    enum { CHUNK = 100 };
    if (!m || !data || !accuracy) return td_fail(TD_ERR_ARG, "classifier: missing argument");
    int n = td_digits_split_count(data->count, TD_SPLIT_TEST);
    td_classifier_work w;
    td_status st = td_classifier_work_init(&w, m, CHUNK, 0);
    if (st != TD_OK) return st;
    float *x = malloc((size_t)CHUNK * TD_DIGIT_FLOATS * sizeof *x);
    if (!x) {
        td_classifier_work_free(&w);
        return td_fail(TD_ERR_NOMEM, "classifier: cannot allocate test images");
    }
    int right = 0;
    for (int start = 0; st == TD_OK && start < n; start += CHUNK) {
        int B = n - start < CHUNK ? n - start : CHUNK, idx[CHUNK], labels[CHUNK], pred[CHUNK];
        for (int k = 0; k < B; k++) idx[k] = td_digits_split_index(start + k, TD_SPLIT_TEST);
        st = td_digits_render(data, idx, B, color_seed, x, labels, NULL);
        if (st == TD_OK) st = td_classifier_predict(m, &w, x, B, pred, NULL);
        for (int k = 0; st == TD_OK && k < B; k++) right += pred[k] == labels[k];
    }
    free(x);
    td_classifier_work_free(&w);
    if (st == TD_OK) *accuracy = n > 0 ? (double)right / n : 0.0;
    return st;
}

// ---- training ------------------------------------------------------------------------

td_status td_classifier_trainer_init(td_classifier_trainer *tr, td_classifier *model,
                                     const td_mnist *data, int batch, int max_shift,
                                     uint64_t seed) {
    if (!tr || !model || !data) return td_fail(TD_ERR_ARG, "classifier: trainer needs a model and data");
    memset(tr, 0, sizeof *tr);
    if (max_shift < 0 || max_shift > TD_DIGIT_MAX_SHIFT)
        return td_fail(TD_ERR_ARG, "classifier: shift %d is outside 0..%d", max_shift,
                       TD_DIGIT_MAX_SHIFT);
    td_status st = td_classifier_work_init(&tr->work, model, batch, 1);
    if (st != TD_OK) return st;
    tr->x = malloc((size_t)batch * TD_DIGIT_FLOATS * sizeof *tr->x);
    tr->labels = malloc((size_t)batch * sizeof *tr->labels);
    if (!tr->x || !tr->labels) {
        td_classifier_trainer_free(tr);
        return td_fail(TD_ERR_NOMEM, "classifier: cannot allocate a batch of %d", batch);
    }
    tr->model = model;
    tr->data = data;
    tr->batch = batch;
    tr->max_shift = max_shift;
    td_rng_seed(&tr->rng, seed, 0x636c6173ull);   // "clas": apart from the weights' stream
    return TD_OK;
}

void td_classifier_trainer_free(td_classifier_trainer *tr) {
    if (!tr) return;
    td_classifier_work_free(&tr->work);
    free(tr->x);
    free(tr->labels);
    memset(tr, 0, sizeof *tr);
}

td_status td_classifier_trainer_step(void *ctx, td_params *p, double *loss) {
    td_classifier_trainer *tr = ctx;
    if (p != &tr->model->params) return td_fail(TD_ERR_ARG, "classifier: trainer got another model's parameters");
    td_params_zero_grad(p);
    td_status st = td_digits_sample_batch(tr->data, TD_SPLIT_TRAIN, tr->batch, tr->max_shift,
                                          &tr->rng, tr->x, tr->labels, NULL);
    if (st == TD_OK) st = td_classifier_forward(tr->model, &tr->work, tr->x, tr->batch, NULL, NULL);
    int right = 0;
    if (st == TD_OK)
        st = td_classifier_backward(tr->model, &tr->work, tr->labels, tr->batch, loss, &right);
    tr->last_accuracy = (double)right / tr->batch;
    return st;
}

// ---- checkpoints ---------------------------------------------------------------------

td_status td_classifier_save(const td_classifier *m, const char *path, const td_meta_list *extra,
                             td_dtype dtype) {
    static td_meta_list meta;   // 32 KiB: too big for a wasm stack
    td_meta_init(&meta);
    td_status st = td_meta_add_int(&meta, "c1", m->cfg.c1);
    if (st == TD_OK) st = td_meta_add_int(&meta, "c2", m->cfg.c2);
    if (st == TD_OK) st = td_meta_add_int(&meta, "hidden", m->cfg.hidden);
    if (st == TD_OK) st = td_meta_add_all(&meta, extra);
    if (st != TD_OK) return st;
    return td_checkpoint_save(path, &m->params, TD_CLASSIFIER_KIND, &meta, dtype);
}

td_status td_classifier_load(td_classifier *m, const td_safetensors *f) {
    if (!m || !f) return td_fail(TD_ERR_ARG, "classifier: missing model or file");
    memset(m, 0, sizeof *m);
    td_params_init(&m->params);
    td_classifier_config c;
    td_status st = td_checkpoint_check(f, TD_CLASSIFIER_KIND);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "c1", 1, TD_CLASSIFIER_MAX_CHANNELS, &c.c1);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "c2", 1, TD_CLASSIFIER_MAX_CHANNELS, &c.c2);
    if (st == TD_OK) st = td_checkpoint_meta_int(f, "hidden", 1, TD_CLASSIFIER_MAX_HIDDEN, &c.hidden);
    if (st == TD_OK) st = td_classifier_init(m, &c, NULL);
    if (st == TD_OK && (st = td_checkpoint_read_params(f, &m->params)) != TD_OK) td_classifier_free(m);
    return st;
}

td_status td_classifier_load_mem(td_classifier *m, const uint8_t *bytes, size_t len) {
    if (!m) return td_fail(TD_ERR_ARG, "classifier: missing model");
    memset(m, 0, sizeof *m);
    td_params_init(&m->params);
    td_safetensors f;
    td_status st = td_safetensors_parse(bytes, len, &f);
    if (st != TD_OK) return st;
    st = td_classifier_load(m, &f);
    td_safetensors_free(&f);
    return st;
}
