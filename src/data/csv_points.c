// csv_points.c - a line-by-line reader that copies each line into a bounded,
// NUL-terminated buffer before strtod sees it, so it never reads past `len`.
#include "data/csv_points.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

// A printable excerpt of a line for an error message: at most 40 bytes, with
// control and non-ASCII bytes shown as '?', "..." when cut.
static void excerpt(const char *line, size_t len, char out[48]) {
    size_t keep = len > 40 ? 40 : len, i = 0;
    for (; i < keep; i++) {
        unsigned char c = (unsigned char)line[i];
        out[i] = c >= 32 && c < 127 ? (char)c : '?';
    }
    if (keep < len) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

// Skip blanks; then one ',' or ';' with blanks around it, or at least one blank.
// Returns NULL when there is no separator.
static const char *skip_separator(const char *p) {
    const char *start = p;
    while (is_blank(*p)) p++;
    if (*p == ',' || *p == ';') {
        p++;
        while (is_blank(*p)) p++;
        return p;
    }
    return p > start ? p : NULL;
}

typedef enum { LINE_POINT, LINE_NOT_NUMBER, LINE_BAD, LINE_NONFINITE } line_kind;

// line (len bytes, NUL at line[len]) -> xy, or why it is not a point.
static line_kind parse_line(const char *line, size_t len, float xy[2]) {
    char *end;
    double x = strtod(line, &end);
    if (end == line) return LINE_NOT_NUMBER;
    const char *p = skip_separator(end);
    if (!p) return LINE_BAD;
    double y = strtod(p, &end);
    if (end == p) return LINE_BAD;
    while (is_blank(*end)) end++;
    // A NUL byte inside the line stops strtod early: that is garbage too.
    if (end != line + len) return LINE_BAD;
    if (!isfinite(x) || !isfinite(y) || !isfinite((float)x) || !isfinite((float)y)) return LINE_NONFINITE;
    xy[0] = (float)x;
    xy[1] = (float)y;
    return LINE_POINT;
}

// Make room for one more point, doubling up to the cap.
static td_status grow(td_points *points, size_t *capacity) {
    if ((size_t)points->n < *capacity) return TD_OK;
    size_t wanted = *capacity ? 2 * *capacity : 1024, bytes;
    if (wanted > TD_CSV_MAX_POINTS) wanted = TD_CSV_MAX_POINTS;
    if (td_mul_size(wanted, 2 * sizeof(float), &bytes) != 0)
        return td_fail(TD_ERR_NOMEM, "point buffer size overflows");
    float *xy = realloc(points->xy, bytes);
    if (!xy) return td_fail(TD_ERR_NOMEM, "out of memory for %zu points", wanted);
    points->xy = xy;
    *capacity = wanted;
    return TD_OK;
}

static td_status parse(td_points *points, const char *text, size_t len) {
    size_t pos = 0, capacity = 0;
    int line_no = 0, seen_content = 0;
    char line[TD_CSV_MAX_LINE + 1], shown[48];
    while (pos < len) {
        // One line: [start, end), then step over "\n", "\r\n" or "\r".
        line_no++;
        size_t start = pos;
        while (pos < len && text[pos] != '\n' && text[pos] != '\r') pos++;
        size_t end = pos;
        if (pos < len) pos += (text[pos] == '\r' && pos + 1 < len && text[pos + 1] == '\n') ? 2 : 1;

        const char *hash = memchr(text + start, '#', end - start);
        if (hash) end = (size_t)(hash - text);
        while (start < end && is_blank(text[start])) start++;
        while (end > start && is_blank(text[end - 1])) end--;
        size_t n = end - start;
        if (n == 0) continue;
        if (n > TD_CSV_MAX_LINE)
            return td_fail(TD_ERR_FORMAT, "line %d: longer than %d bytes", line_no, TD_CSV_MAX_LINE);
        memcpy(line, text + start, n);
        line[n] = '\0';

        float xy[2] = {0.0f, 0.0f};
        line_kind kind = parse_line(line, n, xy);
        int first = !seen_content;
        seen_content = 1;
        if (kind == LINE_NOT_NUMBER && first) continue;   // the header
        excerpt(line, n, shown);
        if (kind == LINE_NONFINITE)
            return td_fail(TD_ERR_FORMAT, "line %d: non-finite value (NaN, infinity or beyond float range) in '%s'",
                           line_no, shown);
        if (kind != LINE_POINT)
            return td_fail(TD_ERR_FORMAT, "line %d: expected two numbers 'x,y', got '%s'", line_no, shown);
        if (points->n == TD_CSV_MAX_POINTS)
            return td_fail(TD_ERR_LIMIT, "line %d: more than %d points (the cap)", line_no, TD_CSV_MAX_POINTS);
        td_status status = grow(points, &capacity);
        if (status != TD_OK) return status;
        size_t i = (size_t)points->n;
        points->xy[2 * i] = xy[0];
        points->xy[2 * i + 1] = xy[1];
        points->n++;
    }
    if (points->n < TD_CSV_MIN_POINTS)
        return td_fail(TD_ERR_FORMAT, "found %d point%s, need at least %d", points->n,
                       points->n == 1 ? "" : "s", TD_CSV_MIN_POINTS);
    return TD_OK;
}

td_status td_points_parse_csv(td_points *points, const char *text, size_t len) {
    if (!points) return td_fail(TD_ERR_ARG, "points struct is NULL");
    points->xy = NULL;
    points->n = 0;
    if (!text && len > 0) return td_fail(TD_ERR_ARG, "text is NULL but its length is %zu", len);
    td_status status = parse(points, text, len);
    if (status != TD_OK) td_points_free(points);
    return status;
}

void td_points_free(td_points *points) {
    if (!points) return;
    free(points->xy);
    points->xy = NULL;
    points->n = 0;
}
