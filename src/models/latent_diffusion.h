// latent_diffusion.h - diffusion in the digit VAE's latent space, conditioned on class
// and colour, with classifier-free guidance per attribute.
//
//   image (28, 28, 3) --VAE encoder--> mu (Z) --x latent_scale--> z_0 (Z, unit variance)
//   z_0 --SDE noise--> z_t --score net (models/score_net.h)--> eps_hat(z_t, t, class, colour)
//   sample: sampler(SDE, guided denoiser) -> z_0 -> / latent_scale -> VAE decoder -> image
//
// The net is the shared score net: a class table with its "no class" row and a
// projection of the colour condition c = (r, g, b, 1); "no colour" is c = (0, 0, 0, 0),
// the flag making it distinct from black. Training drops each condition independently
// with probability p_drop (0.5: every combination is seen a quarter of the time), so one
// net predicts eps unconditionally, given the class, given the colour, and given both.
//
// Guidance, one scale per attribute (the compositional form of Liu et al., 2022):
//   eps = eps(z) + g_class (eps(z | class) - eps(z)) + g_colour (eps(z | colour) - eps(z))
// Class and colour are independent in the data and both are read off the image, so
// p(z | class, colour) is proportional to p(z | class) p(z | colour) / p(z): with
// g_class = g_colour = 1 this is the exact joint conditional, larger scales sharpen each
// attribute separately, and 0 ignores it. The three predictions are one batched network
// call (3n rows). A scale of 0 skips its pass; a missing class (-1) or colour (NULL)
// forces its scale to 0.
//
// Checkpoint: "model" = "digit-latent", the score model's metadata (SDE and sizes) plus
// latent_scale, the VAE's z_dim and the VAE's fingerprint (digit_vae.h): loading checks
// the VAE handed in is the one it was trained on.
#ifndef TD_LATENT_DIFFUSION_H
#define TD_LATENT_DIFFUSION_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "data/mnist.h"
#include "diffusion/denoiser.h"
#include "diffusion/samplers.h"
#include "models/digit_vae.h"
#include "models/score_model.h"

#define TD_LATENT_KIND "digit-latent"

enum { TD_LATENT_COND_DIM = 4 };   // (r, g, b, present)

typedef struct {
    td_score_model model;     // owned: data_dim = the VAE's Z
    float latent_scale;       // z_model = latent_scale * mu_vae
    uint64_t vae_fingerprint;
} td_latent_diffusion;

// Net defaults for latent diffusion: Dt 64, class table 10 + 1 rows of 32, colour
// projection 4 -> 32, residual MLP of width 256 with 4 blocks, eps prediction; VP SDE.
td_score_net_config td_latent_net_defaults(int z_dim);

// A fresh model for `vae` (weights from rng). latent_scale starts at 1 (set by training).
td_status td_latent_init(td_latent_diffusion *ld, const td_digit_vae *vae, const td_score_net_config *cfg,
                         const td_sde *sde, td_rng *rng);
void td_latent_free(td_latent_diffusion *ld);

// The colour condition row: (r, g, b, 1), or zeros for NULL.
void td_latent_cond(const float *rgb, float out[TD_LATENT_COND_DIM]);

// ---- training -----------------------------------------------------------------------

// The training set: `n` (latent, class, colour) rows made once by encoding train digits
// in random colours (each train image `colourings` times), scaled to unit variance.
typedef struct {
    td_latent_diffusion *ld;   // borrowed
    int n, z_dim;
    float *z;                  // (n, Z) scaled latents
    int *labels;               // (n)
    float *colours;            // (n, 3)
    // per step
    td_rng rng;
    int batch;
    float p_drop;
    td_score_net_work work;
    int *blabels;
    float *x0, *bcond, *t, *weight, *xt, *target, *pred;
} td_latent_trainer;

// Encode the data (sets ld->latent_scale = 1 / std of the latents and records the VAE's
// fingerprint) and allocate the step buffers.
td_status td_latent_trainer_init(td_latent_trainer *tr, td_latent_diffusion *ld, td_digit_vae *vae,
                                 const td_mnist *data, int colourings, int batch, float p_drop,
                                 uint64_t seed);
void td_latent_trainer_free(td_latent_trainer *tr);

// A td_train_step_fn: ctx is a td_latent_trainer * whose model owns p.
td_status td_latent_trainer_step(void *ctx, td_params *p, double *loss);

// ---- sampling ---------------------------------------------------------------------------

// The guided denoiser's state, for a sampler run on exactly n rows: row i is guided
// towards labels[i] and colours[i]. All pointers must outlive the denoiser.
typedef struct {
    const td_latent_diffusion *ld;
    td_score_net_work *work;   // any max_batch >= 3 (rows are processed in chunks)
    int n;
    int *labels;               // (n) class per row, or TD_MNIST_CLASSES (none): owned copy
    float *cond;               // (n, 4) colour condition per row: owned copy
    float g_class, g_colour;
    float *buf;                // scratch: x, eps, t, cond rows for one network call
    int *buf_labels;
    int rows;                  // = work->max_batch
} td_latent_guide;

// labels (n) in 0..9, or NULL for no class; colours (n, 3) in [0, 1], or NULL for no
// colour (a missing attribute's scale is forced to 0). Copies both.
td_status td_latent_guide_init(td_latent_guide *g, const td_latent_diffusion *ld, td_score_net_work *work,
                               int n, const int *labels, const float *colours, float g_class, float g_colour);
void td_latent_guide_free(td_latent_guide *g);

// The guided eps prediction as a td_denoiser: every sampler of diffusion/samplers.h runs on it.
td_denoiser td_latent_guide_denoiser(td_latent_guide *g);

// Everything from prior draw to pixels: n images (n, 2352), row i of class labels[i] in
// colour colours[i] (either NULL: unconditional in that attribute), with the given
// sampler. nfe (may be NULL) receives the sampler's denoiser calls (each is one batched
// network call over the guidance passes).
td_status td_latent_generate(const td_latent_diffusion *ld, td_digit_vae *vae, const int *labels,
                             const float *colours, float g_class, float g_colour, td_sampler_kind sampler,
                             int steps, const td_sampler_options *opts, td_rng *rng, int n, float *out,
                             long *nfe);

// ---- checkpoints ------------------------------------------------------------------------

td_status td_latent_save(const td_latent_diffusion *ld, const char *path, const td_meta_list *extra,
                         td_dtype dtype);
// Load and check against `vae` (its z_dim and fingerprint); vae may be NULL to skip the check.
td_status td_latent_load_mem(td_latent_diffusion *ld, const uint8_t *bytes, size_t len, const td_digit_vae *vae);

#endif
