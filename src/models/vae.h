// vae.h - a variational autoencoder on low-dimensional data (the 2-D toy sets).
//
// The model (Kingma & Welling, 2014):
//   prior      p(z)   = N(0, I)                              z in R^Z
//   decoder    p(x|z) = N(x; dec(z), sigma_x^2 I)            x in R^D
//   encoder    q(z|x) = N(z; mu(x), diag exp(logvar(x)))     one MLP x -> [mu, logvar]
// sigma_x is ONE learned scalar shared by all dimensions (stored as its log
// variance, "dec.log_var"): a fixed value would have to be guessed per data set
// (the ring's modes have std 0.02, the moons' noise 0.1), and with a learned one
// the ELBO is a proper bound on log p(x) in nats that other models can be
// compared against.
//
// The evidence lower bound, per sample, with its two terms kept apart:
//   ELBO(x) = E_q[log p(x|z)]  -  KL(q(z|x) || N(0, I))  <=  log p(x)
//             "reconstruction"     "kl"
// The expectation is estimated with one reparameterised draw
// z = mu + exp(logvar / 2) * eps, eps ~ N(0, I), so gradients reach the encoder
// through z; the KL has the closed form 0.5 sum_j (mu_j^2 + e^logvar_j - logvar_j - 1).
// Training minimises L = -(1/B) sum_b ELBO(x_b) by backprop through both MLPs.
//
//   td_vae vae;  td_vae_init(&vae, &cfg, &rng);         // owns its td_params
//   td_vae_work w;  td_vae_work_init(&w, &vae, 256);
//   td_adamw opt;  td_adamw_init(&opt, &vae.params, td_adamw_defaults());
//   loop: td_vae_train_step(&vae, &w, &opt, x, 256, &rng, &terms);
//   td_vae_sample(&vae, &w, &rng, out, n, 0);               // z ~ N(0, I) -> dec(z)
//   td_vae_work_free(&w);  td_adamw_free(&opt);  td_vae_free(&vae);
#ifndef TD_VAE_H
#define TD_VAE_H

#include "core/status.h"
#include "io/safetensors.h"
#include "models/checkpoint.h"
#include "nn/adamw.h"
#include "nn/mlp.h"
#include "nn/params.h"
#include "prob/rng.h"

enum { TD_VAE_MAX_DIM = 64 };   // cap on D and Z (toy models; keeps scratch sizes small)

typedef struct {
    int x_dim;     // D (2 for the toy sets)
    int z_dim;     // Z (2, so the page can draw the latent space)
    int hidden;    // width of every hidden layer of both MLPs
    int depth;     // hidden layers of each MLP
    td_act act;    // hidden activation
} td_vae_config;

// D 2, Z 2, two hidden layers of 64 SiLU units in each MLP.
td_vae_config td_vae_default_config(void);

typedef struct {
    td_vae_config cfg;
    td_params params;    // owned: "enc.*", "dec.*", "dec.log_var"
    td_mlp enc;          // x (B, D) -> [mu, logvar] (B, 2Z)
    td_mlp dec;          // z (B, Z) -> mean of p(x|z) (B, D)
    size_t log_var_x;    // offset of log sigma_x^2 (one float)
} td_vae;

// The ELBO and its terms, averaged over the samples of a batch, in nats.
typedef struct {
    double elbo;   // rec - kl
    double rec;    // E_q[log p(x|z)]
    double kl;     // KL(q(z|x) || p(z))
} td_vae_terms;

// Validate cfg, declare and allocate the parameters and draw initial weights
// from rng (dec.log_var starts at 0: sigma_x = 1). TD_ERR_ARG for a bad config
// (vae left empty, safe to free); TD_ERR_NOMEM.
td_status td_vae_init(td_vae *vae, const td_vae_config *cfg, td_rng *rng);
void td_vae_free(td_vae *vae);

// Activations and scratch for batches of up to max_batch rows.
typedef struct {
    int max_batch;
    td_mlp_work enc, dec;
    float *mem;            // the one allocation behind the arrays below
    float *h;              // (B, 2Z) encoder output [mu, logvar]
    float *z, *eps;        // (B, Z)
    float *xm;             // (B, D) decoder mean
    float *dh;             // (B, 2Z)
    float *dz;             // (B, Z)
    float *dxm;            // (B, D)
} td_vae_work;

td_status td_vae_work_init(td_vae_work *w, const td_vae *vae, int max_batch);
void td_vae_work_free(td_vae_work *w);

// The one-draw ELBO estimate of x (B, D) with the given noise eps (B, Z)
// (fixed noise makes the loss a deterministic function of the weights, which
// the gradient test needs). When `backward` is set, ACCUMULATES the gradient of
// L = -mean ELBO into vae->params.grad (zero it first). TD_ERR_ARG for
// B <= 0, TD_ERR_LIMIT for B > w->max_batch.
td_status td_vae_loss(td_vae *vae, td_vae_work *w, const float *x, const float *eps, int B,
                      int backward, td_vae_terms *terms);

// td_vae_loss with eps drawn from rng (and no gradient): the Monte Carlo ELBO.
// Any n >= 1 (processed in chunks of w->max_batch).
td_status td_vae_elbo(td_vae *vae, td_vae_work *w, const float *x, int n, td_rng *rng,
                      td_vae_terms *terms);

// One optimiser step on the batch x (B, D): zero grads, loss with fresh noise,
// backward, clip the gradient norm to 1, AdamW. A non-finite loss or gradient
// skips the update and fails with TD_ERR_ARG.
td_status td_vae_train_step(td_vae *vae, td_vae_work *w, td_adamw *opt, const float *x, int B,
                            td_rng *rng, td_vae_terms *terms);

// Encoder: x (n, D) -> mu (n, Z), and logvar (n, Z) unless NULL. The page's
// latent view plots mu.
td_status td_vae_encode(td_vae *vae, td_vae_work *w, const float *x, int n, float *mu,
                        float *logvar);

// Decoder mean: z (n, Z) -> x (n, D).
td_status td_vae_decode(td_vae *vae, td_vae_work *w, const float *z, int n, float *x);

// n samples from the model: z ~ N(0, I), x = dec(z) (+ sigma_x * N(0, I) when
// `with_noise`: the full generative model; without it, the decoder means the
// page shows). out (n, D).
td_status td_vae_sample(td_vae *vae, td_vae_work *w, td_rng *rng, float *out, int n,
                        int with_noise);

// ---- checkpoints (models/checkpoint.h): kind "vae" ----------------------------------------

#define TD_VAE_KIND "vae"

// Save every tensor with the architecture ("x_dim", "z_dim", "hidden", "depth", "act")
// and `extra` metadata (may be NULL: data set, seed, steps, final ELBO terms...).
td_status td_vae_save(const td_vae *vae, const char *path, const td_meta_list *extra, td_dtype dtype);

// Build a VAE from a parsed checkpoint: kind and version checked, architecture read from
// the metadata (range-checked), every tensor present with exactly its shape.
td_status td_vae_load(td_vae *vae, const td_safetensors *st);

// The activation called `name` (td_act_name's spelling); TD_ERR_FORMAT otherwise.
td_status td_act_from_name(const char *name, td_act *act);

// ---- Gaussian building blocks, shared with the hierarchical VAE ------------------

// Closed-form KL(N(mu, e^logvar) || N(0, 1)) summed over n coordinates. When
// dmu/dlogvar are not NULL, ACCUMULATES scale * the gradient into them.
double td_gauss_kl_std(const float *mu, const float *logvar, int n, float scale, float *dmu,
                       float *dlogvar);

// log N(x; mean, e^logvar) summed over n coordinates (logvar is one per
// coordinate, or a single shared scalar when logvar_stride is 0). Each of dx,
// dmean, dlogvar that is not NULL ACCUMULATES scale * d(-log N)/d(.) (the
// gradient of a loss that subtracts the log-likelihood); a shared logvar gets
// the sum over coordinates.
double td_gauss_log_pdf(const float *x, const float *mean, const float *logvar,
                        int logvar_stride, int n, float scale, float *dx, float *dmean,
                        float *dlogvar);

#endif
