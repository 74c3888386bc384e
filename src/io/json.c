// json.c - strict recursive-descent JSON parser into a flat node array.
//
// One pass over the bytes. Strings are decoded into a pool allocated once at
// the input's length: a JSON string never decodes longer than its quoted
// source (escapes shrink, raw UTF-8 copies 1:1, and the two quotes pay for the
// NUL terminator), so the pool never moves and keys can point into it.
#include "io/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *text;
    size_t len, pos;
    td_json_limits limits;
    td_json_doc *doc;
    size_t cap;        // allocated nodes
    size_t pool_used;
} parser;

// ---- errors -----------------------------------------------------------------

// Describe the byte at `at` for a message: 'x' when printable, else hex.
static void describe_byte(const parser *p, size_t at, char *buf, size_t size) {
    if (at >= p->len) {
        snprintf(buf, size, "the end of the input");
        return;
    }
    unsigned char c = (unsigned char)p->text[at];
    if (c >= 0x20 && c < 0x7f) snprintf(buf, size, "'%c'", c);
    else snprintf(buf, size, "byte 0x%02x", c);
}

static td_status unexpected(const parser *p, const char *wanted) {
    char what[32];
    describe_byte(p, p->pos, what, sizeof what);
    return td_fail(TD_ERR_FORMAT, "invalid JSON at byte %zu: expected %s, found %s", p->pos,
                   wanted, what);
}

// ---- lexical helpers --------------------------------------------------------

static void skip_space(parser *p) {
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int peek(const parser *p) {
    return p->pos < p->len ? (unsigned char)p->text[p->pos] : -1;
}

static td_status new_node(parser *p, td_json_kind kind, uint32_t *index) {
    td_json_doc *doc = p->doc;
    if (doc->count >= p->limits.max_nodes || doc->count >= UINT32_MAX)
        return td_fail(TD_ERR_LIMIT, "invalid JSON at byte %zu: more than %zu values", p->pos,
                       p->limits.max_nodes);
    if (doc->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64, bytes;
        if (cap > p->limits.max_nodes) cap = p->limits.max_nodes;
        if (td_mul_size(cap, sizeof *doc->nodes, &bytes))
            return td_fail(TD_ERR_NOMEM, "JSON node array size overflows");
        td_json_node *grown = realloc(doc->nodes, bytes);
        if (!grown) return td_fail(TD_ERR_NOMEM, "out of memory for %zu JSON values", cap);
        doc->nodes = grown;
        p->cap = cap;
    }
    *index = (uint32_t)doc->count++;
    td_json_node *n = &doc->nodes[*index];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->offset = p->pos;
    return TD_OK;
}

static td_status expect_literal(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
        return unexpected(p, "a value");
    p->pos += n;
    return TD_OK;
}

// ---- strings ----------------------------------------------------------------

static int hex_value(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Read the 4 hex digits after "\u" at p->pos.
static td_status read_hex4(parser *p, unsigned *out) {
    if (p->len - p->pos < 4)
        return td_fail(TD_ERR_FORMAT, "invalid JSON at byte %zu: truncated \\u escape", p->pos);
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value((unsigned char)p->text[p->pos + (size_t)i]);
        if (h < 0)
            return td_fail(TD_ERR_FORMAT, "invalid JSON at byte %zu: bad hex digit in \\u escape",
                           p->pos + (size_t)i);
        v = v * 16 + (unsigned)h;
    }
    p->pos += 4;
    *out = v;
    return TD_OK;
}

static size_t put_utf8(char *dst, unsigned cp) {
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

// Length of the valid UTF-8 sequence starting at s[0] (at most `avail` bytes),
// or 0 when it is malformed, overlong, a surrogate or beyond U+10FFFF.
static size_t utf8_sequence(const unsigned char *s, size_t avail) {
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;        // overlong
        if (c == 0xED) hi = 0x9F;        // UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;        // overlong
        if (c == 0xF4) hi = 0x8F;        // above U+10FFFF
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return n;
}

// Parse a string at p->pos (which holds '"'); store it decoded in the pool.
static td_status parse_string(parser *p, const char **out, size_t *out_len) {
    size_t start = p->pos++;
    char *dst = p->doc->pool + p->pool_used;
    size_t n = 0;
    for (;;) {
        if (p->pos >= p->len)
            return td_fail(TD_ERR_FORMAT, "invalid JSON: unterminated string starting at byte %zu",
                           start);
        unsigned char c = (unsigned char)p->text[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20)
            return td_fail(TD_ERR_FORMAT,
                           "invalid JSON at byte %zu: control character 0x%02x inside a string",
                           p->pos, c);
        if (c != '\\') {
            size_t seq = utf8_sequence((const unsigned char *)p->text + p->pos, p->len - p->pos);
            if (seq == 0)
                return td_fail(TD_ERR_FORMAT, "invalid JSON at byte %zu: invalid UTF-8 in a string",
                               p->pos);
            memcpy(dst + n, p->text + p->pos, seq);
            n += seq;
            p->pos += seq;
            continue;
        }
        size_t esc = p->pos++;
        int e = peek(p);
        p->pos++;
        switch (e) {
        case '"': dst[n++] = '"'; break;
        case '\\': dst[n++] = '\\'; break;
        case '/': dst[n++] = '/'; break;
        case 'b': dst[n++] = '\b'; break;
        case 'f': dst[n++] = '\f'; break;
        case 'n': dst[n++] = '\n'; break;
        case 'r': dst[n++] = '\r'; break;
        case 't': dst[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            td_status s = read_hex4(p, &cp);
            if (s) return s;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return td_fail(TD_ERR_FORMAT, "invalid JSON at byte %zu: lone low surrogate", esc);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned low = 0;
                if (p->len - p->pos < 2 || p->text[p->pos] != '\\' || p->text[p->pos + 1] != 'u')
                    return td_fail(TD_ERR_FORMAT,
                                   "invalid JSON at byte %zu: high surrogate without its pair", esc);
                p->pos += 2;
                if ((s = read_hex4(p, &low))) return s;
                if (low < 0xDC00 || low > 0xDFFF)
                    return td_fail(TD_ERR_FORMAT,
                                   "invalid JSON at byte %zu: high surrogate without its pair", esc);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            n += put_utf8(dst + n, cp);
            break;
        }
        default: {
            char what[32];
            p->pos = esc + 1;
            describe_byte(p, p->pos, what, sizeof what);
            return td_fail(TD_ERR_FORMAT, "invalid JSON at byte %zu: bad escape \\ followed by %s",
                           esc, what);
        }
        }
    }
    dst[n] = '\0';
    p->pool_used += n + 1;
    *out = dst;
    *out_len = n;
    return TD_OK;
}

// ---- numbers ----------------------------------------------------------------

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static td_status parse_number(parser *p, td_json_node *node) {
    size_t start = p->pos;
    int negative = 0, integral = 1, fits = 1;
    uint64_t magnitude = 0;
    if (peek(p) == '-') {
        negative = 1;
        p->pos++;
    }
    if (!is_digit(peek(p))) return unexpected(p, "a digit");
    if (peek(p) == '0') {
        p->pos++;
        if (is_digit(peek(p)))
            return td_fail(TD_ERR_FORMAT, "invalid JSON at byte %zu: number with a leading zero",
                           start);
    } else {
        while (is_digit(peek(p))) {
            unsigned d = (unsigned)(peek(p) - '0');
            if (magnitude > (UINT64_MAX - d) / 10) fits = 0;
            else magnitude = magnitude * 10 + d;
            p->pos++;
        }
    }
    if (peek(p) == '.') {
        integral = 0;
        p->pos++;
        if (!is_digit(peek(p))) return unexpected(p, "a digit after '.'");
        while (is_digit(peek(p))) p->pos++;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        integral = 0;
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-') p->pos++;
        if (!is_digit(peek(p))) return unexpected(p, "a digit in the exponent");
        while (is_digit(peek(p))) p->pos++;
    }
    // The grammar is checked; strtod needs a terminated copy for the value.
    size_t n = p->pos - start;
    char small[64], *copy = n < sizeof small ? small : malloc(n + 1);
    if (!copy) return td_fail(TD_ERR_NOMEM, "out of memory for a %zu-digit number", n);
    memcpy(copy, p->text + start, n);
    copy[n] = '\0';
    node->number = strtod(copy, NULL);
    if (copy != small) free(copy);
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (integral && fits && magnitude <= limit) {
        node->is_integer = 1;
        node->integer = negative ? (magnitude == limit ? INT64_MIN : -(int64_t)magnitude)
                                 : (int64_t)magnitude;
    }
    return TD_OK;
}

// ---- arrays, objects, values ------------------------------------------------

typedef struct {
    const char *key;
    size_t len;
} key_ref;

static int compare_keys(const void *a, const void *b) {
    const key_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    if (c) return c;
    return (x->len > y->len) - (x->len < y->len);
}

// Reject an object whose members repeat a key: sort the keys, compare neighbours.
static td_status check_duplicates(parser *p, uint32_t obj) {
    const td_json_node *o = &p->doc->nodes[obj];
    if (o->count < 2) return TD_OK;
    key_ref *keys = malloc(o->count * sizeof *keys);
    if (!keys) return td_fail(TD_ERR_NOMEM, "out of memory checking %u keys", o->count);
    size_t k = 0;
    for (uint32_t i = o->first; i; i = p->doc->nodes[i].next)
        keys[k++] = (key_ref){p->doc->nodes[i].key, p->doc->nodes[i].key_len};
    qsort(keys, k, sizeof *keys, compare_keys);
    td_status s = TD_OK;
    for (size_t i = 1; i < k && !s; i++)
        if (compare_keys(&keys[i - 1], &keys[i]) == 0)
            s = td_fail(TD_ERR_FORMAT, "invalid JSON: duplicate key '%s' in the object at byte %zu",
                        keys[i].key, o->offset);
    free(keys);
    return s;
}

static td_status parse_value(parser *p, int depth, uint32_t *index);

// Parse the children of an array or object at p->pos ('[' or '{') into node `self`.
static td_status parse_container(parser *p, int depth, uint32_t self, int is_object) {
    char close = is_object ? '}' : ']';
    uint32_t last = 0;
    p->pos++;
    skip_space(p);
    if (peek(p) == close) {
        p->pos++;
        return TD_OK;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        td_status s;
        if (is_object) {
            skip_space(p);
            if (peek(p) != '"') return unexpected(p, "a string key");
            if ((s = parse_string(p, &key, &key_len))) return s;
            skip_space(p);
            if (peek(p) != ':') return unexpected(p, "':' after a key");
            p->pos++;
        }
        uint32_t child;
        if ((s = parse_value(p, depth + 1, &child))) return s;
        td_json_node *nodes = p->doc->nodes;
        nodes[child].key = key;
        nodes[child].key_len = key_len;
        if (last) nodes[last].next = child;
        else nodes[self].first = child;
        nodes[self].count++;
        last = child;
        skip_space(p);
        if (peek(p) == ',') {
            p->pos++;
            continue;
        }
        if (peek(p) == close) {
            p->pos++;
            return is_object ? check_duplicates(p, self) : TD_OK;
        }
        return unexpected(p, is_object ? "',' or '}' in an object" : "',' or ']' in an array");
    }
}

static td_status parse_value(parser *p, int depth, uint32_t *index) {
    skip_space(p);
    int c = peek(p);
    td_status s;
    if ((c == '[' || c == '{') && depth > p->limits.max_depth)
        return td_fail(TD_ERR_LIMIT, "invalid JSON at byte %zu: nested deeper than %d levels",
                       p->pos, p->limits.max_depth);
    switch (c) {
    case '{':
    case '[':
        if ((s = new_node(p, c == '{' ? TD_JSON_OBJECT : TD_JSON_ARRAY, index))) return s;
        return parse_container(p, depth, *index, c == '{');
    case '"':
        if ((s = new_node(p, TD_JSON_STRING, index))) return s;
        {
            const char *str;
            size_t len;
            if ((s = parse_string(p, &str, &len))) return s;
            p->doc->nodes[*index].str = str;
            p->doc->nodes[*index].len = len;
        }
        return TD_OK;
    case 't':
        if ((s = new_node(p, TD_JSON_TRUE, index))) return s;
        return expect_literal(p, "true");
    case 'f':
        if ((s = new_node(p, TD_JSON_FALSE, index))) return s;
        return expect_literal(p, "false");
    case 'n':
        if ((s = new_node(p, TD_JSON_NULL, index))) return s;
        return expect_literal(p, "null");
    default:
        if (c == '-' || is_digit(c)) {
            if ((s = new_node(p, TD_JSON_NUMBER, index))) return s;
            return parse_number(p, &p->doc->nodes[*index]);
        }
        return unexpected(p, "a value");
    }
}

// ---- public -----------------------------------------------------------------

td_status td_json_parse(const char *text, size_t len, const td_json_limits *limits,
                        td_json_doc *doc) {
    memset(doc, 0, sizeof *doc);
    if (!text && len) return td_fail(TD_ERR_ARG, "JSON text is NULL");
    parser p = {.text = text, .len = len, .doc = doc};
    p.limits = limits ? *limits : (td_json_limits){64, (size_t)1 << 20};
    if (p.limits.max_nodes == 0) p.limits.max_nodes = 1;
    size_t pool_size;
    if (td_add_size(len, 1, &pool_size)) return td_fail(TD_ERR_LIMIT, "JSON text too long");
    doc->pool = malloc(pool_size);
    if (!doc->pool) return td_fail(TD_ERR_NOMEM, "out of memory for %zu bytes of JSON", len);
    uint32_t root;
    td_status s = parse_value(&p, 1, &root);
    if (!s) {
        skip_space(&p);
        if (p.pos != len) {
            char what[32];
            describe_byte(&p, p.pos, what, sizeof what);
            s = td_fail(TD_ERR_FORMAT, "invalid JSON at byte %zu: trailing %s after the value",
                        p.pos, what);
        }
    }
    if (s) td_json_free(doc);
    return s;
}

void td_json_free(td_json_doc *doc) {
    free(doc->nodes);
    free(doc->pool);
    memset(doc, 0, sizeof *doc);
}

const td_json_node *td_json_get(const td_json_doc *doc, const td_json_node *obj,
                                const char *key) {
    if (!obj || obj->kind != TD_JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (uint32_t i = obj->first; i; i = doc->nodes[i].next)
        if (doc->nodes[i].key_len == n && memcmp(doc->nodes[i].key, key, n) == 0)
            return &doc->nodes[i];
    return NULL;
}

const char *td_json_kind_name(td_json_kind kind) {
    switch (kind) {
    case TD_JSON_NULL: return "null";
    case TD_JSON_FALSE:
    case TD_JSON_TRUE: return "a boolean";
    case TD_JSON_NUMBER: return "a number";
    case TD_JSON_STRING: return "a string";
    case TD_JSON_ARRAY: return "an array";
    case TD_JSON_OBJECT: return "an object";
    }
    return "an unknown value";
}
