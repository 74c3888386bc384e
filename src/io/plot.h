// plot.h - a scatter plot of 2-D points rendered into an RGB pixel buffer.
//
// Points are splatted as density (one unit per point, bilinear) and shaded
// 1 - exp(-density / typical), so one stray point is a visible pale dot while a mode of
// a thousand points is dark but still shows its spread: the ring's modes stay visible
// at any N. A frame marks the plotted box, with ticks at integer coordinates and faint
// lines through x = 0 and y = 0.
#ifndef TD_PLOT_H
#define TD_PLOT_H

#include <stdint.h>

#include "core/status.h"

enum { TD_PLOT_MAX_SIDE = 4096 };

// xy (n, 2) -> rgb (size, size, 3) showing the square box {xmin, xmax, ymin, ymax}
// (y up). Points outside the box are left out; non-finite points are skipped.
// TD_ERR_ARG for size outside 32..TD_PLOT_MAX_SIDE, n < 0, or an empty box.
td_status td_plot_scatter(const float *xy, int n, const float box[4], int size, uint8_t *rgb);

#endif
