// json.h - a small, strict JSON parser: just enough for safetensors headers.
//
// Strict means RFC 8259 and nothing more: no comments, no trailing commas, no
// leading zeros, no bare control characters or invalid UTF-8 in strings, no
// lone surrogates, no duplicate keys in one object, nothing but whitespace
// after the value. Untrusted input is bounded by a nesting depth and a value
// count, so a hostile header can cost neither stack nor unbounded memory.
//
// The parse produces a flat array of nodes. Children of an array or object are
// linked through `next` (index 0 is the root, which is never anyone's child,
// so 0 also means "no more"):
//
//   for (uint32_t i = obj->first; i; i = doc.nodes[i].next) use(&doc.nodes[i]);
#ifndef TD_JSON_H
#define TD_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef enum {
    TD_JSON_NULL,
    TD_JSON_FALSE,
    TD_JSON_TRUE,
    TD_JSON_NUMBER,
    TD_JSON_STRING,
    TD_JSON_ARRAY,
    TD_JSON_OBJECT,
} td_json_kind;

typedef struct {
    td_json_kind kind;
    uint32_t next;       // next sibling, 0 when last
    uint32_t first;      // first child of an array or object, 0 when empty
    uint32_t count;      // number of children of an array or object
    const char *key;     // member name inside an object (decoded, NUL-terminated), else NULL
    size_t key_len;      // bytes in key; a decoded \u0000 can make it differ from strlen
    const char *str;     // string value (decoded, NUL-terminated)
    size_t len;          // bytes in str
    double number;       // any number's value (nearest double)
    int64_t integer;     // exact value when is_integer
    int is_integer;      // written without fraction or exponent and fits in int64
    size_t offset;       // byte offset of the value in the input (for messages)
} td_json_node;

typedef struct {
    td_json_node *nodes;  // nodes[0] is the root value
    size_t count;
    char *pool;           // decoded strings and keys live here
} td_json_doc;

typedef struct {
    int max_depth;        // arrays/objects nested deeper than this are rejected
    size_t max_nodes;     // values beyond this count are rejected
} td_json_limits;

// Parse exactly `len` bytes of `text` (no NUL terminator needed). On failure
// the message names the problem and its byte offset; `doc` is left empty.
// `limits` may be NULL for the defaults (depth 64, 1 << 20 values).
td_status td_json_parse(const char *text, size_t len, const td_json_limits *limits,
                        td_json_doc *doc);
void td_json_free(td_json_doc *doc);

// The member of object `obj` called `key`, or NULL.
const td_json_node *td_json_get(const td_json_doc *doc, const td_json_node *obj,
                                const char *key);

// "null", "a number", "a string", "an array", ... for error messages.
const char *td_json_kind_name(td_json_kind kind);

#endif
