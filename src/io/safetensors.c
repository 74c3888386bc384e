// safetensors.c - the reader (validate everything, then convert on copy) and
// the writer (which checks its own output with the reader before returning).
#include "io/safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/file.h"
#include "io/json.h"

// ---- element types ----------------------------------------------------------

const char *td_dtype_name(td_dtype dtype) {
    switch (dtype) {
    case TD_DTYPE_F32: return "F32";
    case TD_DTYPE_F16: return "F16";
    case TD_DTYPE_BF16: return "BF16";
    }
    return "?";
}

size_t td_dtype_size(td_dtype dtype) { return dtype == TD_DTYPE_F32 ? 4 : 2; }

static uint32_t float_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

uint16_t td_float_to_half(float f) {
    uint32_t x = float_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t a = x & 0x7FFFFFFFu;
    if (a > 0x7F800000u)  // NaN: force quiet, keep the top payload bits
        return (uint16_t)(sign | 0x7E00u | ((a >> 13) & 0x03FFu));
    if (a >= 0x477FF000u)  // >= 65520 (halfway past 65504) rounds to infinity
        return (uint16_t)(sign | 0x7C00u);
    if (a >= 0x38800000u) {  // >= 2^-14: a normal half
        uint32_t h = ((a >> 23) - 112u) << 10 | ((a >> 13) & 0x03FFu);
        uint32_t rest = a & 0x1FFFu;  // the 13 dropped mantissa bits
        if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;  // may carry into the exponent
        return (uint16_t)(sign | h);
    }
    // Below 2^-14: a subnormal half m * 2^-24, or zero. With the implicit bit
    // the float is M * 2^(E - 150), i.e. M >> (126 - E) units of 2^-24.
    uint32_t e = a >> 23;
    if (e < 102) return sign;  // below 2^-25: rounds to zero (float subnormals too)
    uint32_t m = (a & 0x007FFFFFu) | 0x00800000u, shift = 126u - e;  // 14..24
    uint32_t h = m >> shift, rest = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rest > half || (rest == half && (h & 1u))) h++;  // 0x3FF + 1 becomes the least normal
    return (uint16_t)(sign | h);
}

float td_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1Fu, m = h & 0x03FFu;
    if (e == 31) return bits_float(sign | 0x7F800000u | m << 13);  // inf, NaN with payload
    if (e != 0) return bits_float(sign | (e + 112u) << 23 | m << 13);
    if (m == 0) return bits_float(sign);
    e = 113;  // subnormal: shift the leading 1 up to the implicit position
    while (!(m & 0x0400u)) {
        m <<= 1;
        e--;
    }
    return bits_float(sign | e << 23 | (m & 0x03FFu) << 13);
}

float td_bf16_to_float(uint16_t b) { return bits_float((uint32_t)b << 16); }

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
}

// ---- small helpers ----------------------------------------------------------

static uint64_t read_u64_le(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

// "[4, 4]" into buf (sizes are small: at most 4 dims).
static const char *format_shape(char *buf, size_t size, int ndim, const size_t *shape) {
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%zu", i ? ", " : "", shape[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

void td_safetensors_free(td_safetensors *st) {
    for (size_t i = 0; i < st->n_tensors; i++) free(st->tensors[i].name);
    for (size_t i = 0; i < st->n_meta; i++) {
        free(st->meta[i].key);
        free(st->meta[i].value);
    }
    free(st->tensors);
    free(st->meta);
    free(st->by_name);
    free(st->owned);
    memset(st, 0, sizeof *st);
}

static char *copy_string(const char *s, size_t n) {
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

// ---- header validation ------------------------------------------------------

// Read a non-negative JSON integer as uint64 ("what" names it in messages).
static td_status get_count(const td_json_node *v, const char *name, const char *what,
                           uint64_t *out) {
    if (v->kind != TD_JSON_NUMBER || !v->is_integer)
        return td_fail(TD_ERR_FORMAT, "tensor '%s': %s is %s, not an integer", name, what,
                       v->kind == TD_JSON_NUMBER ? "a fraction or too large"
                                                 : td_json_kind_name(v->kind));
    if (v->integer < 0)
        return td_fail(TD_ERR_FORMAT, "tensor '%s': %s is negative (%lld)", name, what,
                       (long long)v->integer);
    *out = (uint64_t)v->integer;
    return TD_OK;
}

static td_status parse_dtype(const td_json_node *v, const char *name, td_dtype *out) {
    if (v->kind != TD_JSON_STRING)
        return td_fail(TD_ERR_FORMAT, "tensor '%s': dtype must be a string, got %s", name,
                       td_json_kind_name(v->kind));
    if (strcmp(v->str, "F32") == 0) *out = TD_DTYPE_F32;
    else if (strcmp(v->str, "F16") == 0) *out = TD_DTYPE_F16;
    else if (strcmp(v->str, "BF16") == 0) *out = TD_DTYPE_BF16;
    else
        return td_fail(TD_ERR_FORMAT,
                       "tensor '%s': dtype '%.16s' is not supported (F32, F16 and BF16 are)", name,
                       v->str);
    if (v->len != strlen(v->str))  // "F32\u0000junk"
        return td_fail(TD_ERR_FORMAT, "tensor '%s': dtype contains a NUL byte", name);
    return TD_OK;
}

static td_status parse_shape(const td_json_doc *doc, const td_json_node *v, td_st_tensor *t) {
    if (v->kind != TD_JSON_ARRAY)
        return td_fail(TD_ERR_FORMAT, "tensor '%s': shape must be an array, got %s", t->name,
                       td_json_kind_name(v->kind));
    if (v->count > TD_ST_MAX_DIMS)
        return td_fail(TD_ERR_FORMAT, "tensor '%s': shape has %u dims, more than the %d supported",
                       t->name, v->count, TD_ST_MAX_DIMS);
    t->ndim = (int)v->count;
    t->numel = 1;
    int i = 0;
    for (uint32_t c = v->first; c; c = doc->nodes[c].next, i++) {
        char what[32];
        uint64_t dim;
        snprintf(what, sizeof what, "dim %d of shape", i);
        td_status s = get_count(&doc->nodes[c], t->name, what, &dim);
        if (s) return s;
        if (dim > SIZE_MAX || td_mul_size(t->numel, (size_t)dim, &t->numel))
            return td_fail(TD_ERR_FORMAT, "tensor '%s': element count of the shape overflows",
                           t->name);
        t->shape[i] = (size_t)dim;
    }
    size_t bytes;
    char shape[96];
    if (td_mul_size(t->numel, td_dtype_size(t->dtype), &bytes))
        return td_fail(TD_ERR_FORMAT, "tensor '%s': byte count of shape %s overflows", t->name,
                       format_shape(shape, sizeof shape, t->ndim, t->shape));
    return TD_OK;
}

static td_status parse_offsets(const td_json_doc *doc, const td_json_node *v, td_st_tensor *t,
                               size_t data_len) {
    if (v->kind != TD_JSON_ARRAY || v->count != 2)
        return td_fail(TD_ERR_FORMAT, "tensor '%s': data_offsets must be an array of 2 integers",
                       t->name);
    uint64_t begin, end;
    td_status s;
    if ((s = get_count(&doc->nodes[v->first], t->name, "data_offsets begin", &begin))) return s;
    if ((s = get_count(&doc->nodes[doc->nodes[v->first].next], t->name, "data_offsets end", &end)))
        return s;
    if (end < begin)
        return td_fail(TD_ERR_FORMAT, "tensor '%s': data_offsets [%llu, %llu] end before they begin",
                       t->name, (unsigned long long)begin, (unsigned long long)end);
    if (end > data_len)
        return td_fail(TD_ERR_FORMAT,
                       "tensor '%s': data_offsets [%llu, %llu] reach past the end of the "
                       "%zu-byte data buffer",
                       t->name, (unsigned long long)begin, (unsigned long long)end, data_len);
    t->begin = (size_t)begin;
    t->end = (size_t)end;
    size_t need = t->numel * td_dtype_size(t->dtype);  // checked in parse_shape
    char shape[96];
    if (need != t->end - t->begin)
        return td_fail(TD_ERR_FORMAT,
                       "tensor '%s': data_offsets [%zu, %zu] hold %zu bytes but shape %s of %s "
                       "needs %zu",
                       t->name, t->begin, t->end, t->end - t->begin,
                       format_shape(shape, sizeof shape, t->ndim, t->shape),
                       td_dtype_name(t->dtype), need);
    return TD_OK;
}

// One header entry: name -> {"dtype", "shape", "data_offsets"}, nothing else.
static td_status parse_tensor(const td_json_doc *doc, const td_json_node *entry, td_st_tensor *t,
                              size_t data_len) {
    if (entry->key_len == 0) return td_fail(TD_ERR_FORMAT, "a tensor name is empty");
    if (entry->key_len > TD_ST_MAX_NAME)
        return td_fail(TD_ERR_FORMAT, "tensor name '%.32s...' is %zu bytes, over the %d-byte limit",
                       entry->key, entry->key_len, TD_ST_MAX_NAME);
    if (strlen(entry->key) != entry->key_len)
        return td_fail(TD_ERR_FORMAT, "tensor name '%s...' contains a NUL byte", entry->key);
    if (!(t->name = copy_string(entry->key, entry->key_len)))
        return td_fail(TD_ERR_NOMEM, "out of memory for a tensor name");
    if (entry->kind != TD_JSON_OBJECT)
        return td_fail(TD_ERR_FORMAT, "tensor '%s': entry must be an object, got %s", t->name,
                       td_json_kind_name(entry->kind));
    static const char *const fields[] = {"dtype", "shape", "data_offsets"};
    const td_json_node *found[3] = {NULL, NULL, NULL};
    for (uint32_t c = entry->first; c; c = doc->nodes[c].next) {
        int k = 0;
        while (k < 3 && strcmp(doc->nodes[c].key, fields[k]) != 0) k++;
        if (k == 3 || doc->nodes[c].key_len != strlen(fields[k]))
            return td_fail(TD_ERR_FORMAT, "tensor '%s': unknown field '%s'", t->name,
                           doc->nodes[c].key);
        found[k] = &doc->nodes[c];
    }
    for (int k = 0; k < 3; k++)
        if (!found[k])
            return td_fail(TD_ERR_FORMAT, "tensor '%s': missing field '%s'", t->name, fields[k]);
    td_status s;
    if ((s = parse_dtype(found[0], t->name, &t->dtype))) return s;
    if ((s = parse_shape(doc, found[1], t))) return s;
    return parse_offsets(doc, found[2], t, data_len);
}

static td_status parse_metadata(const td_json_node *obj, const td_json_doc *doc,
                                td_safetensors *st) {
    if (obj->kind != TD_JSON_OBJECT)
        return td_fail(TD_ERR_FORMAT, "__metadata__ must be an object of strings, got %s",
                       td_json_kind_name(obj->kind));
    if (obj->count && !(st->meta = calloc(obj->count, sizeof *st->meta)))
        return td_fail(TD_ERR_NOMEM, "out of memory for %u metadata entries", obj->count);
    for (uint32_t c = obj->first; c; c = doc->nodes[c].next) {
        const td_json_node *v = &doc->nodes[c];
        if (v->kind != TD_JSON_STRING)
            return td_fail(TD_ERR_FORMAT, "__metadata__ value for '%s' must be a string, got %s",
                           v->key, td_json_kind_name(v->kind));
        if (strlen(v->key) != v->key_len || strlen(v->str) != v->len)
            return td_fail(TD_ERR_FORMAT, "__metadata__ entry '%s' contains a NUL byte", v->key);
        td_st_meta *m = &st->meta[st->n_meta++];
        m->key = copy_string(v->key, v->key_len);
        m->value = copy_string(v->str, v->len);
        if (!m->key || !m->value) return td_fail(TD_ERR_NOMEM, "out of memory for metadata");
    }
    return TD_OK;
}

static int compare_by_offset(const void *a, const void *b) {
    const td_st_tensor *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);  // empty tensors first
}

static int compare_by_name(const void *a, const void *b) {
    const td_st_tensor *x = *(const td_st_tensor *const *)a, *y = *(const td_st_tensor *const *)b;
    return strcmp(x->name, y->name);
}

// Sorted by offset, the tensors must tile [0, data_len) exactly.
static td_status check_tiling(const td_safetensors *st) {
    size_t at = 0;
    for (size_t i = 0; i < st->n_tensors; i++) {
        const td_st_tensor *t = &st->tensors[i];
        if (t->begin < at)
            return td_fail(TD_ERR_FORMAT,
                           "tensor '%s': data_offsets [%zu, %zu] overlap tensor '%s' which ends "
                           "at %zu",
                           t->name, t->begin, t->end, st->tensors[i - 1].name, at);
        if (t->begin > at) {
            if (i == 0)
                return td_fail(TD_ERR_FORMAT,
                               "tensor '%s': data_offsets [%zu, %zu] leave a gap at the start of "
                               "the data buffer",
                               t->name, t->begin, t->end);
            return td_fail(TD_ERR_FORMAT,
                           "tensor '%s': data_offsets [%zu, %zu] leave a gap after tensor '%s' "
                           "which ends at %zu",
                           t->name, t->begin, t->end, st->tensors[i - 1].name, at);
        }
        at = t->end;
    }
    if (at != st->data_len)
        return td_fail(TD_ERR_FORMAT,
                       "tensors end at byte %zu but the data buffer holds %zu bytes: the rest "
                       "is unaccounted for",
                       at, st->data_len);
    return TD_OK;
}

static td_status parse_header(const td_json_doc *doc, td_safetensors *st) {
    const td_json_node *root = &doc->nodes[0];
    if (root->kind != TD_JSON_OBJECT)
        return td_fail(TD_ERR_FORMAT, "header must be a JSON object, got %s",
                       td_json_kind_name(root->kind));
    size_t n = root->count;
    if (td_json_get(doc, root, "__metadata__")) n--;
    if (n && !(st->tensors = calloc(n, sizeof *st->tensors)))
        return td_fail(TD_ERR_NOMEM, "out of memory for %zu tensors", n);
    for (uint32_t c = root->first; c; c = doc->nodes[c].next) {
        const td_json_node *entry = &doc->nodes[c];
        td_status s;
        if (strcmp(entry->key, "__metadata__") == 0 && entry->key_len == 12)
            s = parse_metadata(entry, doc, st);
        else
            s = parse_tensor(doc, entry, &st->tensors[st->n_tensors++], st->data_len);
        if (s) return s;
    }
    // JSON member order means nothing (the reference writer's maps are
    // unordered): the file order is the offset order.
    if (n) qsort(st->tensors, n, sizeof *st->tensors, compare_by_offset);
    td_status s = check_tiling(st);
    if (s) return s;
    if (n && !(st->by_name = malloc(n * sizeof *st->by_name)))
        return td_fail(TD_ERR_NOMEM, "out of memory for the tensor index");
    for (size_t i = 0; i < n; i++) st->by_name[i] = &st->tensors[i];
    if (n) qsort(st->by_name, n, sizeof *st->by_name, compare_by_name);
    return TD_OK;
}

td_status td_safetensors_parse(const uint8_t *bytes, size_t len, td_safetensors *out) {
    memset(out, 0, sizeof *out);
    if (!bytes && len) return td_fail(TD_ERR_ARG, "safetensors bytes are NULL");
    if (len < 8)
        return td_fail(TD_ERR_FORMAT,
                       "file is %zu bytes, too short to hold the 8-byte header length", len);
    uint64_t n = read_u64_le(bytes);
    if (n > TD_ST_MAX_HEADER)
        return td_fail(TD_ERR_FORMAT, "header length %llu exceeds the %d-byte (16 MiB) cap",
                       (unsigned long long)n, TD_ST_MAX_HEADER);
    if (n > len - 8)
        return td_fail(TD_ERR_FORMAT, "header length %llu is larger than the %zu bytes that follow it",
                       (unsigned long long)n, len - 8);
    out->header_len = (size_t)n;
    out->data = bytes + 8 + n;
    out->data_len = len - 8 - (size_t)n;
    // Depth 3 is all the format needs (root, entry, shape); 8 leaves room for
    // a precise "shape is an array, not an integer" message instead.
    td_json_limits limits = {8, (size_t)1 << 20};
    td_json_doc doc;
    td_status s = td_json_parse((const char *)bytes + 8, (size_t)n, &limits, &doc);
    if (s) {
        char reason[400];
        snprintf(reason, sizeof reason, "%s", td_error_message());
        td_safetensors_free(out);
        return td_fail(s, "header: %s", reason);
    }
    s = parse_header(&doc, out);
    td_json_free(&doc);
    if (s) td_safetensors_free(out);
    return s;
}

td_status td_safetensors_read_file(const char *path, td_safetensors *out) {
    uint8_t *bytes;
    size_t len;
    memset(out, 0, sizeof *out);
    td_status s = td_file_read(path, TD_ST_MAX_FILE, &bytes, &len);
    if (s) return s;
    s = td_safetensors_parse(bytes, len, out);
    if (s) {
        char reason[400];
        snprintf(reason, sizeof reason, "%s", td_error_message());
        free(bytes);
        return td_fail(s, "cannot read '%s': %s", path, reason);
    }
    out->owned = bytes;
    return TD_OK;
}

// ---- lookup and conversion --------------------------------------------------

const td_st_tensor *td_safetensors_find(const td_safetensors *st, const char *name) {
    size_t lo = 0, hi = st->n_tensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, st->by_name[mid]->name);
        if (c == 0) return st->by_name[mid];
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

const char *td_safetensors_meta(const td_safetensors *st, const char *key) {
    for (size_t i = 0; i < st->n_meta; i++)
        if (strcmp(st->meta[i].key, key) == 0) return st->meta[i].value;
    return NULL;
}

td_status td_safetensors_copy_f32(const td_safetensors *st, const td_st_tensor *t, float *dst,
                                  size_t capacity) {
    if (!t) return td_fail(TD_ERR_ARG, "no tensor given to copy");
    if (capacity < t->numel)
        return td_fail(TD_ERR_ARG, "tensor '%s' has %zu elements but the destination holds %zu",
                       t->name, t->numel, capacity);
    const uint8_t *src = st->data + t->begin;
    if (t->dtype == TD_DTYPE_F32) {
        if (host_is_little_endian()) {
            if (t->numel) memcpy(dst, src, t->numel * 4);
        } else {
            for (size_t i = 0; i < t->numel; i++, src += 4)
                dst[i] = bits_float((uint32_t)src[0] | (uint32_t)src[1] << 8 |
                                    (uint32_t)src[2] << 16 | (uint32_t)src[3] << 24);
        }
        return TD_OK;
    }
    for (size_t i = 0; i < t->numel; i++, src += 2) {
        uint16_t h = (uint16_t)(src[0] | src[1] << 8);
        dst[i] = t->dtype == TD_DTYPE_F16 ? td_half_to_float(h) : td_bf16_to_float(h);
    }
    return TD_OK;
}

td_status td_safetensors_expect(const td_safetensors *st, const char *name, int ndim,
                                const int *shape, float *dst) {
    if (ndim < 0 || ndim > TD_ST_MAX_DIMS)
        return td_fail(TD_ERR_ARG, "expected shape for '%s' has %d dims", name, ndim);
    size_t want[TD_ST_MAX_DIMS] = {0}, numel = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return td_fail(TD_ERR_ARG, "expected shape for '%s' has a negative dim", name);
        want[i] = (size_t)shape[i];
        if (td_mul_size(numel, want[i], &numel))
            return td_fail(TD_ERR_ARG, "expected shape for '%s' overflows", name);
    }
    const td_st_tensor *t = td_safetensors_find(st, name);
    if (!t) return td_fail(TD_ERR_SHAPE, "tensor '%s' is missing from the file", name);
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == want[i];
    if (!same) {
        char have_s[96], want_s[96];
        return td_fail(TD_ERR_SHAPE, "tensor '%s' has shape %s but the model needs %s", name,
                       format_shape(have_s, sizeof have_s, t->ndim, t->shape),
                       format_shape(want_s, sizeof want_s, ndim, want));
    }
    return td_safetensors_copy_f32(st, t, dst, numel);
}

// ---- writing ----------------------------------------------------------------

typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} text;

static void text_put(text *s, const char *bytes, size_t n) {
    if (s->failed) return;
    if (n > s->cap - s->len) {
        size_t cap = s->cap ? s->cap : 256;
        while (n > cap - s->len) {
            if (cap > SIZE_MAX / 2) {
                s->failed = 1;
                return;
            }
            cap *= 2;
        }
        char *grown = realloc(s->buf, cap);
        if (!grown) {
            s->failed = 1;
            return;
        }
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, bytes, n);
    s->len += n;
}

static void text_str(text *s, const char *z) { text_put(s, z, strlen(z)); }

static void text_size(text *s, size_t v) {
    char num[32];
    text_put(s, num, (size_t)snprintf(num, sizeof num, "%zu", v));
}

// A JSON string literal: quotes, backslashes and control characters escaped.
// Other bytes pass through; the reader's check of the output catches bad UTF-8.
static void text_json_string(text *s, const char *z) {
    text_put(s, "\"", 1);
    for (; *z; z++) {
        unsigned char c = (unsigned char)*z;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            text_put(s, esc, 2);
        } else if (c < 0x20) {
            char esc[8];
            text_put(s, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", c));
        } else {
            text_put(s, (const char *)&c, 1);
        }
    }
    text_put(s, "\"", 1);
}

static td_status entry_bytes(const td_st_entry *e, td_dtype dtype, size_t *numel, size_t *bytes) {
    if (!e->name || !*e->name) return td_fail(TD_ERR_ARG, "a tensor to write has an empty name");
    if (strlen(e->name) > TD_ST_MAX_NAME)
        return td_fail(TD_ERR_ARG, "tensor name '%.32s...' is over the %d-byte limit", e->name,
                       TD_ST_MAX_NAME);
    if (strcmp(e->name, "__metadata__") == 0)
        return td_fail(TD_ERR_ARG, "a tensor cannot be called __metadata__");
    if (e->ndim < 0 || e->ndim > TD_ST_MAX_DIMS)
        return td_fail(TD_ERR_ARG, "tensor '%s' has %d dims; 0 to %d are supported", e->name,
                       e->ndim, TD_ST_MAX_DIMS);
    *numel = 1;
    for (int i = 0; i < e->ndim; i++) {
        if (e->shape[i] < 0)
            return td_fail(TD_ERR_ARG, "tensor '%s' has a negative dim %d", e->name, e->shape[i]);
        if (td_mul_size(*numel, (size_t)e->shape[i], numel))
            return td_fail(TD_ERR_ARG, "tensor '%s' has too many elements", e->name);
    }
    if (*numel && !e->data) return td_fail(TD_ERR_ARG, "tensor '%s' has no data", e->name);
    if (td_mul_size(*numel, td_dtype_size(dtype), bytes))
        return td_fail(TD_ERR_ARG, "tensor '%s' has too many bytes", e->name);
    return TD_OK;
}

static td_status build_header(const td_st_entry *tensors, size_t n_tensors,
                              const td_st_pair *meta, size_t n_meta, td_dtype dtype, text *h,
                              size_t *data_len) {
    text_put(h, "{", 1);
    if (n_meta) {
        text_str(h, "\"__metadata__\":{");
        for (size_t i = 0; i < n_meta; i++) {
            if (!meta[i].key || !meta[i].value)
                return td_fail(TD_ERR_ARG, "metadata entry %zu has a NULL key or value", i);
            if (i) text_put(h, ",", 1);
            text_json_string(h, meta[i].key);
            text_put(h, ":", 1);
            text_json_string(h, meta[i].value);
        }
        text_put(h, "}", 1);
    }
    size_t at = 0;
    for (size_t i = 0; i < n_tensors; i++) {
        const td_st_entry *e = &tensors[i];
        size_t numel, bytes;
        td_status s = entry_bytes(e, dtype, &numel, &bytes);
        if (s) return s;
        if (i || n_meta) text_put(h, ",", 1);
        text_json_string(h, e->name);
        text_str(h, ":{\"dtype\":\"");
        text_str(h, td_dtype_name(dtype));
        text_str(h, "\",\"shape\":[");
        for (int d = 0; d < e->ndim; d++) {
            if (d) text_put(h, ",", 1);
            text_size(h, (size_t)e->shape[d]);
        }
        text_str(h, "],\"data_offsets\":[");
        text_size(h, at);
        text_put(h, ",", 1);
        if (td_add_size(at, bytes, &at))
            return td_fail(TD_ERR_ARG, "tensors to write total more bytes than fit in memory");
        text_size(h, at);
        text_str(h, "]}");
    }
    text_put(h, "}", 1);
    while (h->len % 8) text_put(h, " ", 1);  // so the data buffer starts 8-aligned
    if (h->failed) return td_fail(TD_ERR_NOMEM, "out of memory building a safetensors header");
    *data_len = at;
    return TD_OK;
}

td_status td_safetensors_write_mem(const td_st_entry *tensors, size_t n_tensors,
                                   const td_st_pair *meta, size_t n_meta, td_dtype dtype,
                                   uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    if (dtype != TD_DTYPE_F32 && dtype != TD_DTYPE_F16)
        return td_fail(TD_ERR_ARG, "can only write F32 or F16, not %s", td_dtype_name(dtype));
    if ((n_tensors && !tensors) || (n_meta && !meta))
        return td_fail(TD_ERR_ARG, "tensor or metadata list is NULL");
    text h = {0};
    size_t data_len = 0, total = 0;
    td_status s = build_header(tensors, n_tensors, meta, n_meta, dtype, &h, &data_len);
    if (!s && (td_add_size(8, h.len, &total) || td_add_size(total, data_len, &total)))
        s = td_fail(TD_ERR_ARG, "safetensors file would be larger than fits in memory");
    if (!s && h.len > TD_ST_MAX_HEADER)
        s = td_fail(TD_ERR_LIMIT, "header of %zu bytes exceeds the 16 MiB cap", h.len);
    uint8_t *file = s ? NULL : malloc(total);
    if (!s && !file) s = td_fail(TD_ERR_NOMEM, "out of memory for a %zu-byte file", total);
    if (s) {
        free(h.buf);
        return s;
    }
    for (int i = 0; i < 8; i++) file[i] = (uint8_t)((uint64_t)h.len >> (8 * i));
    memcpy(file + 8, h.buf, h.len);
    free(h.buf);
    uint8_t *p = file + 8 + h.len;
    for (size_t i = 0; i < n_tensors; i++) {
        size_t numel = 1;
        for (int d = 0; d < tensors[i].ndim; d++) numel *= (size_t)tensors[i].shape[d];
        for (size_t k = 0; k < numel; k++) {
            float v = tensors[i].data[k];
            if (dtype == TD_DTYPE_F16) {
                uint16_t b = td_float_to_half(v);
                *p++ = (uint8_t)b;
                *p++ = (uint8_t)(b >> 8);
            } else {
                uint32_t b = float_bits(v);
                for (int j = 0; j < 4; j++) *p++ = (uint8_t)(b >> (8 * j));
            }
        }
    }
    // Write only what we can read: duplicate names, duplicate metadata keys or
    // invalid UTF-8 are caught here, by the same checks every reader applies.
    td_safetensors check;
    s = td_safetensors_parse(file, total, &check);
    td_safetensors_free(&check);
    if (s) {
        char reason[400];
        snprintf(reason, sizeof reason, "%s", td_error_message());
        free(file);
        return td_fail(TD_ERR_ARG, "refusing to write an invalid file: %s", reason);
    }
    *out = file;
    *out_len = total;
    return TD_OK;
}

td_status td_safetensors_write_file(const char *path, const td_st_entry *tensors,
                                    size_t n_tensors, const td_st_pair *meta, size_t n_meta,
                                    td_dtype dtype) {
    uint8_t *bytes;
    size_t len;
    td_status s = td_safetensors_write_mem(tensors, n_tensors, meta, n_meta, dtype, &bytes, &len);
    if (s) return s;
    s = td_file_write_atomic(path, bytes, len);
    free(bytes);
    return s;
}
