// csv_points.h - 2-D points from CSV text in memory (the page's upload, the CLI's file).
//
// The input is a byte buffer of `len` bytes, not NUL-terminated; the parser never
// reads past it. Accepted:
//   - one point per line, "x,y"; the separator may also be ';' or plain
//     whitespace (spaces / tabs), with optional whitespace around it;
//   - line ends "\n", "\r\n" or a lone "\r";
//   - blank lines, and comments: '#' starts a comment that runs to the line end;
//   - one optional header line (e.g. "x,y"): the first non-blank, non-comment
//     line, when its first field is not a number;
//   - numbers as C's strtod reads them ("1", "-2.5", "3e-2").
// Rejected, each with a one-sentence reason naming the line where it applies:
//   - a line that is not exactly two numbers:
//       "line 3: expected two numbers 'x,y', got 'abc'"
//   - a line longer than TD_CSV_MAX_LINE bytes;
//   - a value that is NaN or infinite, or overflows a float ("line 4: non-finite value ...");
//   - fewer than TD_CSV_MIN_POINTS points (TD_ERR_FORMAT);
//   - more than TD_CSV_MAX_POINTS points (TD_ERR_LIMIT).
#ifndef TD_CSV_POINTS_H
#define TD_CSV_POINTS_H

#include <stddef.h>

#include "core/status.h"

enum {
    TD_CSV_MIN_POINTS = 2,          // the metrics need two points for a spread
    TD_CSV_MAX_POINTS = 1000000,    // 8 MB of floats: plenty for a scatter plot
    TD_CSV_MAX_LINE = 256,          // bytes per line, line end excluded
};

// Points (n, 2), row-major; owned by the struct.
typedef struct {
    float *xy;
    int n;
} td_points;

// Parse `len` bytes at `text` into `points` (which need not be initialised; on
// failure it is left empty). Free with td_points_free.
td_status td_points_parse_csv(td_points *points, const char *text, size_t len);

void td_points_free(td_points *points);

#endif
