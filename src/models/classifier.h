// classifier.h - the evaluation classifier: a small conv net that reads a
// coloured digit and names its class. Used only for measuring generated digits
// (class accuracy, and its penultimate features for the Frechet distance).
//
//   x (B, 28, 28, 3)
//   -> conv 5x5, c1 channels, ReLU -> max-pool 2x2   (B, 14, 14, c1)
//   -> conv 5x5, c2 channels, ReLU -> max-pool 2x2   (B, 7, 7, c2)
//   -> flatten -> dense hidden, ReLU                 (B, hidden)   the "features"
//   -> dense 10                                      (B, 10)       logits
// Defaults c1 = 16, c2 = 32, hidden = 128 (216,106 parameters). Trained with
// softmax cross-entropy on randomly coloured, randomly shifted (+-2 px) train
// digits (data/digits.h), so it reads shape and ignores colour.
//
// Checkpoint: model "classifier", metadata c1, c2, hidden (and, as written by
// the trainer, seed, steps, batch, test_accuracy, ...); tensors conv1.*,
// conv2.*, fc1.*, fc2.*.
//
//   td_classifier m;  td_classifier_init(&m, &cfg, &rng)  or  td_classifier_load(&m, &file)
//   td_classifier_work w;  td_classifier_work_init(&w, &m, max_batch, train)
//   td_classifier_forward(&m, &w, x, B, logits, features)
//   td_classifier_work_free(&w);  td_classifier_free(&m);
#ifndef TD_CLASSIFIER_H
#define TD_CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "data/mnist.h"
#include "io/safetensors.h"
#include "models/checkpoint.h"
#include "nn/conv.h"
#include "nn/params.h"
#include "prob/rng.h"

#define TD_CLASSIFIER_KIND "classifier"

enum {
    TD_CLASSIFIER_CLASSES = 10,
    TD_CLASSIFIER_MAX_CHANNELS = 256,
    TD_CLASSIFIER_MAX_HIDDEN = 4096,
    TD_CLASSIFIER_MAX_BATCH = 4096,
};

typedef struct {
    int c1, c2, hidden;
} td_classifier_config;

typedef struct {
    td_classifier_config cfg;
    td_params params;           // owned
    td_conv2d conv1, conv2;
    size_t fc1_w, fc1_b;        // (hidden, 7*7*c2), (hidden)
    size_t fc2_w, fc2_b;        // (10, hidden), (10)
} td_classifier;

// Activations for batches of up to max_batch; with `train`, also what backward needs.
typedef struct {
    int max_batch, train;
    float *cols1, *slope1, *a1, *p1;   // (B*784, 25*3), (B, 28, 28, c1) x2, (B, 14, 14, c1)
    int *arg1;                         // (B, 14, 14, c1)
    float *cols2, *slope2, *a2, *p2;   // (B*196, 25*c1), (B, 14, 14, c2) x2, (B, 7, 7, c2)
    int *arg2;                         // (B, 7, 7, c2)
    float *slope3, *h3, *logits;       // (B, hidden) x2, (B, 10)
    float *dcols2, *dp1, *da1, *dp2, *da2, *dh3, *dlogits;   // gradients (train only)
    float *mem;                        // the one allocation behind the float buffers
    int *imem;                         // ... and the int ones
} td_classifier_work;

// c1 16, c2 32, hidden 128.
td_classifier_config td_classifier_defaults(void);

// Build the net (sizes checked) and, when rng is not NULL, initialise its weights
// from it (otherwise they are zero, to be loaded).
td_status td_classifier_init(td_classifier *m, const td_classifier_config *cfg, td_rng *rng);
void td_classifier_free(td_classifier *m);

td_status td_classifier_work_init(td_classifier_work *w, const td_classifier *m, int max_batch,
                                  int train);
void td_classifier_work_free(td_classifier_work *w);

// x (B, 28, 28, 3) -> logits (B, 10) and features (B, hidden), either may be NULL.
// Keeps the activations in w for td_classifier_backward when w->train.
td_status td_classifier_forward(const td_classifier *m, td_classifier_work *w, const float *x,
                                int B, float *logits, float *features);

// Mean softmax cross-entropy of the last forward's logits against labels (B);
// ACCUMULATES its gradient into m->params.grad. `correct` (may be NULL) gets the
// number of rows whose arg-max is the label.
td_status td_classifier_backward(td_classifier *m, td_classifier_work *w, const int *labels,
                                 int B, double *loss, int *correct);

// The arg-max class of each row of logits (B, 10) -> labels (B).
void td_classifier_argmax(const float *logits, int B, int *labels);

// Classify n images (n, 28, 28, 3) in batches of w->max_batch: predicted
// classes into `pred` (n) and / or features into `features` (n, hidden).
td_status td_classifier_predict(const td_classifier *m, td_classifier_work *w, const float *x,
                                int n, int *pred, float *features);

// Accuracy on the test split (1,000 digits) coloured with td_color_fixed(color_seed, i).
td_status td_classifier_test_accuracy(const td_classifier *m, const td_mnist *data,
                                      uint64_t color_seed, double *accuracy);

// ---- training ---------------------------------------------------------------------

// Each step draws `batch` train digits (random colours, shifts up to max_shift),
// and fills the gradient of the mean cross-entropy: a td_train_step_fn (models/train.h).
typedef struct {
    td_classifier *model;   // borrowed
    const td_mnist *data;   // borrowed
    td_rng rng;
    int batch, max_shift;
    td_classifier_work work;
    float *x;               // (batch, 28, 28, 3)
    int *labels;            // (batch)
    double last_accuracy;   // fraction right in the last batch (before the update)
} td_classifier_trainer;

td_status td_classifier_trainer_init(td_classifier_trainer *tr, td_classifier *model,
                                     const td_mnist *data, int batch, int max_shift,
                                     uint64_t seed);
void td_classifier_trainer_free(td_classifier_trainer *tr);
td_status td_classifier_trainer_step(void *ctx, td_params *p, double *loss);

// ---- checkpoints --------------------------------------------------------------------

// Write the weights with c1, c2, hidden and `extra` metadata (may be NULL).
td_status td_classifier_save(const td_classifier *m, const char *path, const td_meta_list *extra,
                             td_dtype dtype);
// Build from a parsed checkpoint (kind, sizes and every tensor checked).
td_status td_classifier_load(td_classifier *m, const td_safetensors *f);
td_status td_classifier_load_mem(td_classifier *m, const uint8_t *bytes, size_t len);

#endif
