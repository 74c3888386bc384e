// test_json.c - the strict JSON parser behind safetensors headers.
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "io/json.h"

// Parse `text`; return the failure message, or "(accepted)".
static const char *error_of(const char *text, const td_json_limits *limits) {
    static char message[600];
    td_json_doc doc;
    td_status s = td_json_parse(text, strlen(text), limits, &doc);
    snprintf(message, sizeof message, "%s", s ? td_error_message() : "(accepted)");
    td_json_free(&doc);
    return message;
}

TEST(a_nested_document_parses_into_linked_nodes) {
    const char *text = " {\"a\": [1, -2.5e1, true, false, null], \"b\": {\"c\": \"d\"}, \"e\": {}} ";
    td_json_doc doc;
    CHECK_EQ(td_json_parse(text, strlen(text), NULL, &doc), TD_OK);
    const td_json_node *root = &doc.nodes[0];
    CHECK(root->kind == TD_JSON_OBJECT && root->count == 3);
    const td_json_node *a = td_json_get(&doc, root, "a");
    CHECK(a && a->kind == TD_JSON_ARRAY && a->count == 5);
    td_json_kind kinds[5] = {TD_JSON_NUMBER, TD_JSON_NUMBER, TD_JSON_TRUE, TD_JSON_FALSE, TD_JSON_NULL};
    int k = 0;
    for (uint32_t i = a ? a->first : 0; i; i = doc.nodes[i].next, k++) CHECK(doc.nodes[i].kind == kinds[k]);
    CHECK_EQ(k, 5);
    const td_json_node *one = &doc.nodes[a->first], *minus = &doc.nodes[one->next];
    CHECK(one->is_integer && one->integer == 1);
    CHECK(!minus->is_integer && minus->number == -25.0);
    const td_json_node *c = td_json_get(&doc, td_json_get(&doc, root, "b"), "c");
    CHECK(c && c->kind == TD_JSON_STRING && strcmp(c->str, "d") == 0 && c->len == 1);
    CHECK(td_json_get(&doc, root, "e")->count == 0);
    CHECK(td_json_get(&doc, root, "zz") == NULL);
    CHECK(td_json_get(&doc, a, "a") == NULL);  // not an object
    td_json_free(&doc);
}

TEST(escapes_and_surrogate_pairs_decode_to_utf8) {
    const char *text = "\"q\\\" s\\\\ /\\/ \\b\\f\\n\\r\\t \\u00e9 \\u20AC \\ud83d\\ude00 \\u0000!\"";
    td_json_doc doc;
    CHECK_EQ(td_json_parse(text, strlen(text), NULL, &doc), TD_OK);
    const char want[] = "q\" s\\ // \b\f\n\r\t \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \0!";
    CHECK_EQ(doc.nodes[0].len, sizeof want - 1);
    CHECK(memcmp(doc.nodes[0].str, want, sizeof want - 1) == 0);
    td_json_free(&doc);
}

TEST(integers_are_exact_up_to_int64_and_flagged_beyond) {
    td_json_doc doc;
    const char *text = "[9223372036854775807, -9223372036854775808, 9223372036854775808, 0, -0, 1.0, 1e2]";
    CHECK_EQ(td_json_parse(text, strlen(text), NULL, &doc), TD_OK);
    const td_json_node *n = &doc.nodes[doc.nodes[0].first];
    CHECK(n->is_integer && n->integer == INT64_MAX);
    n = &doc.nodes[n->next];
    CHECK(n->is_integer && n->integer == INT64_MIN);
    n = &doc.nodes[n->next];
    CHECK(!n->is_integer && n->number == 9223372036854775808.0);
    n = &doc.nodes[n->next];
    CHECK(n->is_integer && n->integer == 0);
    n = &doc.nodes[n->next];
    CHECK(n->is_integer && n->integer == 0);
    n = &doc.nodes[n->next];
    CHECK(!n->is_integer && n->number == 1.0);  // 1.0 is written as a fraction
    n = &doc.nodes[n->next];
    CHECK(!n->is_integer && n->number == 100.0);
    td_json_free(&doc);
}

TEST(malformed_text_is_rejected_with_the_byte_offset) {
    CHECK_CONTAINS(error_of("", NULL), "expected a value, found the end of the input");
    CHECK_CONTAINS(error_of("  ", NULL), "at byte 2");
    CHECK_CONTAINS(error_of("{\"a\" 1}", NULL), "at byte 5: expected ':' after a key, found '1'");
    CHECK_CONTAINS(error_of("[1 2]", NULL), "expected ',' or ']' in an array, found '2'");
    CHECK_CONTAINS(error_of("{\"a\":1 \"b\":2}", NULL), "expected ',' or '}' in an object");
    CHECK_CONTAINS(error_of("{a:1}", NULL), "expected a string key, found 'a'");
    CHECK_CONTAINS(error_of("[-]", NULL), "expected a digit, found ']'");
    CHECK_CONTAINS(error_of("[1.]", NULL), "expected a digit after '.'");
    CHECK_CONTAINS(error_of("[+1]", NULL), "expected a value, found '+'");
    CHECK_CONTAINS(error_of("[.5]", NULL), "expected a value, found '.'");
    CHECK_CONTAINS(error_of("[-01]", NULL), "leading zero");
    CHECK_CONTAINS(error_of("'a'", NULL), "found '''");
    CHECK_CONTAINS(error_of("\"tab\there\"", NULL), "control character 0x09 inside a string");
    CHECK_CONTAINS(error_of("\"\\u12zz\"", NULL), "bad hex digit in \\u escape");
    CHECK_CONTAINS(error_of("\"\\u12", NULL), "truncated \\u escape");
    CHECK_CONTAINS(error_of("\"\\", NULL), "bad escape \\ followed by the end of the input");
    CHECK_CONTAINS(error_of("\"\\ud800\\u0041\"", NULL), "high surrogate without its pair");
    CHECK_CONTAINS(error_of("\"\xf5\x80\x80\x80\"", NULL), "invalid UTF-8");  // above U+10FFFF
    CHECK_CONTAINS(error_of("\"\xe2\x82\"", NULL), "invalid UTF-8");          // truncated sequence
    CHECK_CONTAINS(error_of("\"\x80\"", NULL), "invalid UTF-8");              // lone continuation
    CHECK_CONTAINS(error_of("nul", NULL), "expected a value, found 'n'");
    CHECK_CONTAINS(error_of("true false", NULL), "trailing 'f' after the value");
    CHECK_CONTAINS(error_of("[1]\v", NULL), "trailing byte 0x0b");  // \v is not JSON whitespace
    CHECK_CONTAINS(error_of("\"\xe2\x82\xac\" \t\r\n", NULL), "(accepted)");
}

TEST(duplicate_keys_are_found_even_among_many) {
    CHECK_CONTAINS(error_of("{\"a\":1,\"b\":2,\"a\":3}", NULL), "duplicate key 'a'");
    CHECK_CONTAINS(error_of("{\"a\":{\"x\":1,\"x\":1}}", NULL), "duplicate key 'x' in the object at byte 5");
    CHECK_CONTAINS(error_of("{\"a\":1,\"a\\u0000\":2,\"A\":3}", NULL), "(accepted)");  // all distinct
    // 5000 keys with one repeat at the end: found by the sort, not by O(n^2) scans.
    size_t cap = 5000 * 16 + 64, len = 0;
    char *text = malloc(cap);
    text[len++] = '{';
    for (int i = 0; i < 5000; i++) len += (size_t)snprintf(text + len, cap - len, "\"k%d\":%d,", i, i);
    len += (size_t)snprintf(text + len, cap - len, "\"k1234\":0}");
    CHECK_CONTAINS(error_of(text, NULL), "duplicate key 'k1234'");
    text[len - 5] = '9';  // "k1239" ... still a repeat
    text[len - 6] = '9';  // "k1299"
    text[len - 7] = '9';  // "k1999"
    text[len - 8] = 'x';  // "kx999": new
    CHECK_CONTAINS(error_of(text, NULL), "(accepted)");
    free(text);
}

TEST(depth_and_value_count_limits_hold) {
    td_json_limits two = {2, 100};
    CHECK_CONTAINS(error_of("[[1]]", &two), "(accepted)");
    CHECK_CONTAINS(error_of("[[[1]]]", &two), "at byte 2: nested deeper than 2 levels");
    CHECK_CONTAINS(error_of("{\"a\":{\"b\":{}}}", &two), "nested deeper than 2 levels");
    td_json_limits four_values = {8, 4};
    CHECK_CONTAINS(error_of("[1,2,3]", &four_values), "(accepted)");
    CHECK_CONTAINS(error_of("[1,2,3,4]", &four_values), "more than 4 values");
    char deep[200001];
    memset(deep, '[', 100000);
    memset(deep + 100000, ']', 100000);
    deep[200000] = '\0';
    CHECK_CONTAINS(error_of(deep, NULL), "nested deeper than 64 levels");  // no stack overflow
}

int main(void) {
    RUN(a_nested_document_parses_into_linked_nodes);
    RUN(escapes_and_surrogate_pairs_decode_to_utf8);
    RUN(integers_are_exact_up_to_int64_and_flagged_beyond);
    RUN(malformed_text_is_rejected_with_the_byte_offset);
    RUN(duplicate_keys_are_found_even_among_many);
    RUN(depth_and_value_count_limits_hold);
    return check_summary("test_json");
}
