// normal.h - the standard normal's density, CDF and inverse CDF.
#ifndef TD_NORMAL_H
#define TD_NORMAL_H

// phi(x) = exp(-x^2/2) / sqrt(2 pi)
double td_normal_pdf(double x);

// Phi(x) = P(Z <= x), through erfc so the far tails keep relative accuracy.
double td_normal_cdf(double x);

// Phi^-1(p) for p in (0, 1); returns -inf / +inf at 0 / 1 and NaN outside.
// Acklam's rational approximation (relative error < 1.15e-9) followed by one
// Halley step on Phi, which brings it to full double precision.
double td_normal_icdf(double p);

#endif
