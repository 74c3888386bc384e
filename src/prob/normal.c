// normal.c - the standard normal distribution.
//
// The inverse CDF has no closed form; libraries use a rational approximation
// (the blog's footnote [7]). We use Peter Acklam's, split in a central region
// and two tails, then polish it with one Halley step.
#include "prob/normal.h"

#include <math.h>

static const double SQRT_2PI = 2.506628274631000502415765284811;
static const double SQRT_HALF = 0.707106781186547524400844362105;

double td_normal_pdf(double x) { return exp(-0.5 * x * x) / SQRT_2PI; }

double td_normal_cdf(double x) { return 0.5 * erfc(-x * SQRT_HALF); }

static double acklam(double p) {
    static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                -2.759285104469687e+02, 1.383577518672690e+02,
                                -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                -1.556989798598866e+02, 6.680131188771972e+01,
                                -1.328068155288572e+01};
    static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                -2.400758277161838e+00, -2.549732539343734e+00,
                                4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01,
                                2.445134137142996e+00, 3.754408661907416e+00};
    const double p_low = 0.02425;
    if (p < p_low) {  // lower tail
        double q = sqrt(-2.0 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    if (p > 1.0 - p_low) {  // upper tail, by symmetry
        double q = sqrt(-2.0 * log1p(-p));
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    double q = p - 0.5, r = q * q;  // central region
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

double td_normal_icdf(double p) {
    if (!(p >= 0.0 && p <= 1.0)) return (double)NAN;
    if (p == 0.0) return -(double)INFINITY;
    if (p == 1.0) return (double)INFINITY;
    double x = acklam(p);
    // Halley step on f(x) = Phi(x) - p. In the upper tail, work with the
    // complement so the residual keeps its relative precision.
    double e = p > 0.5 ? -(0.5 * erfc(x * SQRT_HALF) - (1.0 - p)) : td_normal_cdf(x) - p;
    double u = e * SQRT_2PI * exp(0.5 * x * x);
    return x - u / (1.0 + 0.5 * x * u);
}
