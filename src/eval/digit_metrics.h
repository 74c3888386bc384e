// digit_metrics.h - how good are generated coloured digits? Numbers for `thinkdiff
// eval digits` and the digit tests.
//
//   class accuracy   the evaluation classifier's arg-max against the requested class
//   colour error     CIE76 delta-E (sRGB -> XYZ, D65 -> CIELAB, Euclidean distance)
//                    between the requested colour and the digit's colour, measured as
//                    the mean RGB of its 16 brightest pixels (brightness = the max
//                    channel), so anti-aliased stroke edges do not count as a darker
//                    colour. Real test digits coloured exactly score about 0.6:
//                    MNIST's brightest pixels are 253/255, not 255 (test_digit_metrics).
//   Frechet distance between two sets of classifier features (its penultimate
//                    layer): |mu_a - mu_b|^2 + tr(C_a + C_b - 2 (C_a^1/2 C_b C_a^1/2)^1/2),
//                    the FID recipe with our own classifier; matrix square roots by a
//                    Jacobi eigen-decomposition in double.
//   slant            the shear of the intensity image from its central moments:
//                    slant = -mu11 / mu02 with y pointing down, so a digit whose top
//                    leans right (like italics) has positive slant: x moves by `slant`
//                    pixels per pixel going up.
//   stroke weight    ink mass in "full pixels": the sum of the intensity (max
//                    channel) divided by the digit's brightness (the mean max channel
//                    of its 16 brightest pixels), so it does not depend on the colour.
//   Pearson r        for reference-vs-generated slant and stroke weight.
//
// Images are (28, 28, 3) HWC floats in [0, 1], as in data/digits.h.
#ifndef TD_DIGIT_METRICS_H
#define TD_DIGIT_METRICS_H

#include "core/status.h"
#include "data/digits.h"
#include "models/classifier.h"

enum { TD_DIGIT_COLOR_PIXELS = 16, TD_FRECHET_MAX_DIM = 1024 };

// ---- colour ---------------------------------------------------------------------

// sRGB in [0, 1] (gamma-encoded) -> CIELAB (D65 white): lab[0] = L*, lab[1] = a*, lab[2] = b*.
void td_srgb_to_lab(td_rgb c, double lab[3]);

// CIE76 delta-E: the Euclidean distance between the two colours' Lab coordinates.
double td_delta_e76(td_rgb a, td_rgb b);

// The digit's colour: mean RGB of its 16 brightest pixels by max channel (ties by
// pixel order).
td_rgb td_digit_color(const float *image);

// delta-E between `requested` and td_digit_color(image).
double td_digit_color_error(const float *image, td_rgb requested);

// ---- style: moments ------------------------------------------------------------------

// image (28, 28, 3) -> gray (28, 28): the max channel of each pixel.
void td_digit_intensity(const float *image, float *gray);

// Slant -mu11 / mu02 of a gray (h, w) image (see above); 0 for an empty image.
double td_gray_slant(const float *gray, int h, int w);

// Slant of a coloured digit (of its intensity image).
double td_digit_slant(const float *image);

// Stroke weight of a coloured digit (see above); 0 for a black image.
double td_digit_stroke_weight(const float *image);

// Pearson correlation of x (n) and y (n); NAN when n < 2 or either is constant.
double td_pearson(const double *x, const double *y, int n);

// ---- Frechet distance ------------------------------------------------------------------

// Eigen-decomposition of the symmetric n x n matrix A (row-major, destroyed) by
// cyclic Jacobi rotations: eigenvalues into `values` (n, ascending), eigenvectors
// into the COLUMNS of V (n, n) (may be NULL). TD_ERR_ARG for n outside 1..1024,
// TD_ERR_FORMAT if A is not symmetric or not finite.
td_status td_sym_eigen(double *A, int n, double *values, double *V);

// Frechet distance between Gaussians N(mu_a, C_a) and N(mu_b, C_b) in d dimensions
// (covariances row-major, symmetric positive semi-definite; negative eigenvalues
// from round-off are clamped to 0).
td_status td_frechet_from_stats(const double *mu_a, const double *C_a, const double *mu_b,
                                const double *C_b, int d, double *out);

// Means and covariances (divisor n - 1) of the feature sets a (na, d) and b (nb, d),
// then td_frechet_from_stats. na, nb >= 2.
td_status td_frechet_distance(const float *a, int na, const float *b, int nb, int d,
                              double *out);

// ---- class accuracy ----------------------------------------------------------------------

// Fraction of images (n, 28, 28, 3) that the classifier assigns to labels (n).
td_status td_digit_class_accuracy(const td_classifier *clf, const float *images,
                                  const int *labels, int n, double *accuracy);

#endif
