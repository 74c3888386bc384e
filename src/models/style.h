// style.h - digits of any class and colour in the style of a reference digit.
//
// The choice: the style of a digit is its code in the class-and-colour-conditional VAE
// (models/digit_vae.h, kind "digit-cvae"; Kingma et al. 2014, M2 "analogies"). Its
// encoder q(z | ink, class) reads the ink map (the colour divided out) together with the
// reference's class, and its decoder p(ink | z, class) is given the class too, with the
// colour multiplied in after. The code never has to say what the labels say, and the KL
// term charges for every bit it carries, so z holds what they do not: slant, stroke
// weight, width, loops. Re-rendering is then one decoder call:
//
//   reference (28, 28, 3) or ink map, its class -> encoder mean mu (Z) = the style code
//   (style code, new class, new colour) -> decoder -> digit (28, 28, 3)
//
// The reference's class: known for a data set digit; for a PNG or a drawing the caller
// must supply one - the CLI asks the evaluation classifier (models/classifier.h) for it.
// An earlier version left the class out of the encoder: the code then had to carry the
// class itself and the decoder redrew the reference's digit (17% of re-rendered digits
// took the requested class).
//
// Why not DDIM inversion of the reference through the latent diffusion model: the
// inverted noise also encodes class and colour, and re-sampling it under another class
// fights that; it costs 2 x steps network calls per reference, against one encoder call.
// The VAE route is exact about colour by construction and cheap enough for the page.
//
//   td_style_encode(&cvae, &w, refs, ref_labels, n, codes);       // (n, 2352) -> (n, Z)
//   td_style_render(&cvae, &w, codes, labels, colours, n, out);   // -> (n, 2352)
#ifndef TD_STYLE_H
#define TD_STYLE_H

#include "core/status.h"
#include "models/digit_vae.h"

// Reference images rgb (n, 2352) in [0, 1] (any colour: only the ink counts) and their
// classes (n) in 0..9 -> style codes (n, Z). TD_ERR_ARG unless cvae is the conditional
// kind, or for a missing or bad class.
td_status td_style_encode(td_digit_vae *cvae, td_digit_vae_work *w, const float *rgb, const int *labels, int n,
                          float *codes);

// The same from ink maps (n, 784) in [0, 1] (a PNG read with io/image_read.h).
td_status td_style_encode_ink(td_digit_vae *cvae, td_digit_vae_work *w, const float *ink, const int *labels, int n,
                              float *codes);

// codes (n, Z), labels (n) in 0..9, colours (n, 3) in [0, 1] -> digits (n, 2352).
td_status td_style_render(td_digit_vae *cvae, td_digit_vae_work *w, const float *codes, const int *labels,
                          const float *colours, int n, float *out);

#endif
