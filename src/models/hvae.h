// hvae.h - a two-level hierarchical VAE: the "Markovian" HVAE, bottom-up
// inference and top-down generation through the same chain of latents.
//
//   generative (top-down)             inference (bottom-up)
//   p(z2)    = N(0, I)                q(z1|x)  = N(mu1(x),  diag e^lv1(x))     net "enc1"
//   p(z1|z2) = N(pm(z2), diag e^plv(z2))   "prior1"
//   p(x|z1)  = N(dec(z1), sigma_x^2 I)     "dec"   q(z2|z1) = N(mu2(z1), diag e^lv2(z1))  "enc2"
//
// Chosen over the ladder (top-down inference) variant because it is the chain
// the blog draws, x -> z1 -> z2 and back, and stacking more such steps with
// fixed Gaussian encoders is exactly what turns into DDPM. sigma_x is one
// learned scalar, as in the VAE (vae.h).
//
// The ELBO, per sample, with one reparameterised draw of z1 ~ q(z1|x) and
// z2 ~ q(z2|z1):
//   ELBO = E[log p(x|z1)]                         "rec"
//        - E[log q(z1|x) - log p(z1|z2)]          "kl1"  (a KL between q(z1|x) and the
//                                                         learned prior, averaged over z2)
//        - E[KL(q(z2|z1) || N(0, I))]             "kl2"  (closed form given z1)
// In kl1, E[log q(z1|x)] = -0.5 sum (1 + lv1 + log 2 pi) is used in closed form
// (its gradient equals the one-draw estimate's; the variance is lower), and
// log p(z1|z2) at the drawn z1, z2. Since p(z1) = E_z2 p(z1|z2) is a
// continuous Gaussian mixture rather than one Gaussian, the prior can follow
// the clustered aggregate posterior of a multimodal data set: that is where
// the HVAE's ELBO gains on the VAE's.
#ifndef TD_HVAE_H
#define TD_HVAE_H

#include "core/status.h"
#include "models/vae.h"
#include "nn/adamw.h"
#include "nn/mlp.h"
#include "nn/params.h"
#include "prob/rng.h"

typedef struct {
    int x_dim;     // D
    int z1_dim;    // Z1, the lower latent
    int z2_dim;    // Z2, the top latent
    int hidden;    // width of every hidden layer of the four MLPs
    int depth;     // hidden layers of each MLP
    td_act act;
} td_hvae_config;

// D 2, Z1 2, Z2 2, two hidden layers of 64 SiLU units in each of the four MLPs.
td_hvae_config td_hvae_default_config(void);

typedef struct {
    td_hvae_config cfg;
    td_params params;   // owned: "enc1.*", "enc2.*", "prior1.*", "dec.*", "dec.log_var"
    td_mlp enc1;        // x (B, D)   -> [mu1, lv1] (B, 2 Z1)
    td_mlp enc2;        // z1 (B, Z1) -> [mu2, lv2] (B, 2 Z2)
    td_mlp prior1;      // z2 (B, Z2) -> [pm, plv]  (B, 2 Z1)
    td_mlp dec;         // z1 (B, Z1) -> mean of p(x|z1) (B, D)
    size_t log_var_x;   // offset of log sigma_x^2
} td_hvae;

typedef struct {
    double elbo;   // rec - kl1 - kl2, nats per sample
    double rec, kl1, kl2;
} td_hvae_terms;

// As td_vae_init: validate, declare, allocate, draw weights (dec.log_var = 0).
td_status td_hvae_init(td_hvae *m, const td_hvae_config *cfg, td_rng *rng);
void td_hvae_free(td_hvae *m);

typedef struct {
    int max_batch;
    td_mlp_work enc1, enc2, prior1, dec;
    float *mem;
    float *h1, *dh1;        // (B, 2 Z1) [mu1, lv1] and its gradient
    float *h2, *dh2;        // (B, 2 Z2) [mu2, lv2]
    float *hp, *dhp;        // (B, 2 Z1) [pm, plv]
    float *z1, *dz1, *tmp1, *eps1;   // (B, Z1)
    float *z2, *dz2, *eps2;          // (B, Z2)
    float *xm, *dxm;        // (B, D)
} td_hvae_work;

td_status td_hvae_work_init(td_hvae_work *w, const td_hvae *m, int max_batch);
void td_hvae_work_free(td_hvae_work *w);

// One-draw ELBO of x (B, D) with fixed noise eps1 (B, Z1), eps2 (B, Z2);
// `backward` ACCUMULATES the gradient of L = -mean ELBO into m->params.grad.
td_status td_hvae_loss(td_hvae *m, td_hvae_work *w, const float *x, const float *eps1,
                       const float *eps2, int B, int backward, td_hvae_terms *terms);

// Monte Carlo ELBO over x (n, D), any n >= 1, noise from rng.
td_status td_hvae_elbo(td_hvae *m, td_hvae_work *w, const float *x, int n, td_rng *rng,
                       td_hvae_terms *terms);

// zero grads, loss, backward, clip to norm 1, AdamW (as td_vae_train_step).
td_status td_hvae_train_step(td_hvae *m, td_hvae_work *w, td_adamw *opt, const float *x, int B,
                             td_rng *rng, td_hvae_terms *terms);

// Ancestral sampling: z2 ~ N(0, I), z1 ~ p(z1|z2), x = dec(z1) (+ sigma_x noise
// when with_noise). out (n, D); z1_out (n, Z1) receives the z1 draws unless NULL.
td_status td_hvae_sample(td_hvae *m, td_hvae_work *w, td_rng *rng, float *out, int n,
                         int with_noise, float *z1_out);

// Encoder means: x (n, D) -> mu1 (n, Z1), and mu2 (n, Z2) = mean of q(z2 | z1 = mu1)
// unless NULL (the page's view of both latent levels).
td_status td_hvae_encode(td_hvae *m, td_hvae_work *w, const float *x, int n, float *mu1,
                         float *mu2);

// ---- checkpoints: kind "hvae", metadata x_dim, z1_dim, z2_dim, hidden, depth, act ----------

#define TD_HVAE_KIND "hvae"

td_status td_hvae_save(const td_hvae *m, const char *path, const td_meta_list *extra, td_dtype dtype);
td_status td_hvae_load(td_hvae *m, const td_safetensors *st);

#endif
