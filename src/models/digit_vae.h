// digit_vae.h - variational autoencoders on 28 x 28 x 3 coloured digits.
//
// Two kinds share one struct and one loss:
//
//   unconditional ("digit-vae"), the latent space of latent diffusion:
//     encoder  [ink(x) (784), colour(x) (3)] (B, 787)        -> MLP -> [mu, logvar] (B, 2Z)
//     decoder  z (B, Z)                                      -> MLP -> [colour logits (3), ink logits (784)]
//              x_hat[p, ch] = sigmoid(colour_ch) * sigmoid(ink_p)
//
//   conditional on class and colour ("digit-cvae"), the style model (Kingma et al. 2014, M2):
//     encoder  [ink(x) (784), one_hot(class) (10)] (B, 794)  -> MLP -> [mu, logvar] (B, 2Z)
//     decoder  [z, one_hot(class)] (B, Z + 10)               -> MLP -> ink logits (784)
//              x_hat[p, ch] = colour_ch * sigmoid(ink_p)
//
// Why a colour times an ink map: that is exactly how the data set is made (a colour times
// an MNIST intensity, black background), so an image splits without loss into its ink
// map g (the max channel, rescaled to peak 1) and its colour c (the least-squares c of
// x = c g). Both encoders read that split (it is x, with the colour read off exactly),
// and the likelihood is written on it:
//
//   log p(x|z) = sum_p [g_p log s_p + (1 - g_p) log(1 - s_p)]       ink, s = sigmoid(ink logits)
//              + sum_ch log N(c_ch; sigmoid(colour logits), sigma_color^2)   (unconditional only)
//
// The ink term is the Bernoulli likelihood of the classic MNIST VAE: MNIST strokes
// saturate, and a Bernoulli decoder puts its stroke centres near 1 where a Gaussian one
// blurs them to ~0.85, which reads as a darker colour. The colour term gives the colour
// head a target of its own: with a likelihood on the product c s alone, the split
// between the two is not identified and the head learnt a colour ~10% too dark.
//
// The conditional encoder never sees the colour (it reads the ink map) and is told the
// class, as the decoder is: z then has no reason to carry either, and the KL term makes
// it pay for anything in z the decoder already knows, so z keeps what the labels do not
// say - slant, stroke weight, width, shape. That is the style code (models/style.h).
//
//   ELBO(x) = E_q[log p(x|z, ...)] - beta KL(q(z|x, ...) || N(0, I)),  one reparameterised draw.
//
//   td_digit_vae vae;  td_digit_vae_init(&vae, &cfg, &rng);   // owns its td_params
//   td_digit_vae_work w;  td_digit_vae_work_init(&w, &vae, 128);
//   td_digit_vae_loss(&vae, &w, x, labels, colours, eps, B, 1, &terms);  -> vae.params.grad
//   td_digit_vae_encode / _decode / _sample;  td_digit_vae_save / _load_mem.
#ifndef TD_DIGIT_VAE_H
#define TD_DIGIT_VAE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "data/digits.h"
#include "io/safetensors.h"
#include "models/checkpoint.h"
#include "nn/mlp.h"
#include "nn/params.h"
#include "prob/rng.h"

// Sizes: TD_DIGIT_FLOATS (2352 RGB values, HWC), TD_MNIST_PIXELS (784), TD_MNIST_CLASSES.
enum {
    TD_DIGIT_VAE_MAX_Z = 256,
    TD_DIGIT_VAE_MAX_HIDDEN = 4096,
};

#define TD_DIGIT_VAE_KIND "digit-vae"
#define TD_DIGIT_CVAE_KIND "digit-cvae"

typedef enum {
    TD_DIGIT_VAE_UNCOND = 0,   // p(x) = int p(x|z) p(z) dz
    TD_DIGIT_VAE_COND,         // p(x | class, colour)
} td_digit_vae_kind;

typedef struct {
    td_digit_vae_kind kind;
    int z_dim;       // Z, 1 .. 256
    int hidden;      // width of every hidden layer of both MLPs
    int depth;       // hidden layers of each MLP, 1 .. 8
    float sigma_color;   // std of the colour head's Gaussian, > 0 (unused by the conditional kind)
    float beta;      // KL weight, > 0 (1: the ELBO)
} td_digit_vae_config;

// Unconditional: Z 16, 384 x 2 SiLU, sigma_color 0.01, beta 0.01. Conditional: Z 4,
// 256 x 2, beta 1.45 (see digit_vae.c).
td_digit_vae_config td_digit_vae_defaults(td_digit_vae_kind kind);

typedef struct {
    td_digit_vae_config cfg;
    td_params params;   // owned: "enc.*", "dec.*"
    td_mlp enc, dec;
    int enc_in, dec_in, dec_out;
} td_digit_vae;

typedef struct {
    double elbo;   // rec - kl (nats per image; with beta != 1 the loss is -(rec - beta kl))
    double rec;    // E_q[log p(x|z)]
    double kl;     // KL(q(z|x) || N(0, I))
} td_digit_vae_terms;

// Validate, declare, allocate and (when rng is not NULL) draw the initial weights.
// On failure vae is empty (safe to free).
td_status td_digit_vae_init(td_digit_vae *vae, const td_digit_vae_config *cfg, td_rng *rng);
void td_digit_vae_free(td_digit_vae *vae);

typedef struct {
    int max_batch;
    td_mlp_work enc, dec;
    float *in;      // (B, enc_in) encoder input (conditional kind)
    float *ink;     // (B, 784) the images' ink maps
    float *colour;  // (B, 3) the images' colours
    float *h, *dh;  // (B, 2Z) [mu, logvar] and its gradient
    float *z, *eps, *dz;   // (B, Z)
    float *dec_in;  // (B, dec_in)
    float *y, *dy;  // (B, dec_out) decoder logits and their gradient
    float *ddec_in; // (B, dec_in)
    float *mem;
} td_digit_vae_work;

td_status td_digit_vae_work_init(td_digit_vae_work *w, const td_digit_vae *vae, int max_batch);
void td_digit_vae_work_free(td_digit_vae_work *w);

// The one-draw estimate of the loss -(1/B) sum (rec - beta kl) on x (B, 2352) with noise
// eps (B, Z); labels (B) in 0..9 and colours (B, 3) in [0, 1] are required by the
// conditional kind and ignored (may be NULL) by the other. With `backward` the gradient
// is ACCUMULATED into vae->params.grad. TD_ERR_ARG for B <= 0, a NULL condition or a
// label out of range; TD_ERR_LIMIT for B > max_batch.
td_status td_digit_vae_loss(td_digit_vae *vae, td_digit_vae_work *w, const float *x,
                            const int *labels, const float *colours, const float *eps, int B,
                            int backward, td_digit_vae_terms *terms);

// Encoder: x (n, 2352) RGB [, labels (n) for the conditional kind; ignored, may be NULL,
// for the other] -> mu (n, Z) and logvar (n, Z) unless NULL. Any n >= 1.
td_status td_digit_vae_encode(td_digit_vae *vae, td_digit_vae_work *w, const float *x, const int *labels,
                              int n, float *mu, float *logvar);

// Decoder: z (n, Z) [, labels (n), colours (n, 3) for the conditional kind]
// -> x (n, 2352) in [0, 1]: the decoder's mean, colour (x) sigmoid(ink logits).
td_status td_digit_vae_decode(td_digit_vae *vae, td_digit_vae_work *w, const float *z,
                              const int *labels, const float *colours, int n, float *x);

// Prior samples: z ~ N(0, I) -> decoder mean, out (n, 2352).
td_status td_digit_vae_sample(td_digit_vae *vae, td_digit_vae_work *w, td_rng *rng,
                              const int *labels, const float *colours, int n, float *out);

// The ink map the conditional encoder reads: rgb (n, 2352) -> ink (n, 784), the per-pixel
// max channel divided by the image's largest (an all-black image stays black).
void td_digit_ink(const float *rgb, int n, float *ink);

// ---- training ---------------------------------------------------------------------------

// One optimiser step's worth of work for td_train_run (models/train.h): a batch of train
// digits in fresh random colours (data/digits.h), fresh noise, the loss and its gradient.
typedef struct {
    td_digit_vae *vae;        // borrowed
    const td_mnist *data;     // borrowed
    td_digit_vae_work work;
    td_rng rng;               // batches and noise
    int batch, max_shift;     // rows per step; augmentation shift in pixels (0: none)
    td_digit_vae_terms last;  // the last step's terms
    float *x, *colours, *eps;
    int *labels;
} td_digit_vae_trainer;

td_status td_digit_vae_trainer_init(td_digit_vae_trainer *tr, td_digit_vae *vae, const td_mnist *data,
                                    int batch, int max_shift, uint64_t seed);
void td_digit_vae_trainer_free(td_digit_vae_trainer *tr);

// A td_train_step_fn: ctx is a td_digit_vae_trainer * whose vae owns p. loss = -ELBO
// (with beta) per image.
td_status td_digit_vae_trainer_step(void *ctx, td_params *p, double *loss);

// ---- checkpoints ------------------------------------------------------------------------

// kind "digit-vae" / "digit-cvae" with z_dim, hidden, depth, sigma_color, beta, then `extra`.
td_status td_digit_vae_save(const td_digit_vae *vae, const char *path, const td_meta_list *extra,
                            td_dtype dtype);
td_status td_digit_vae_load(td_digit_vae *vae, const td_safetensors *st);
td_status td_digit_vae_load_mem(td_digit_vae *vae, const uint8_t *bytes, size_t len);

// A 64-bit FNV-1a fingerprint of the weights: a latent diffusion checkpoint records its
// VAE's, so pairing it with another VAE is an error rather than garbage.
uint64_t td_digit_vae_fingerprint(const td_digit_vae *vae);

#endif
