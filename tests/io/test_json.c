/* test_json.c — the strict JSON reader and the writer (internal API). */
#include <locale.h>

#include "../harness.h"

#include "libquant/io/json.h"

static lq__json_doc *parse(const char *text, int depth)
{
    lq__json_doc *d = NULL;
    lq_status st = lq__json_parse("t", "text", text, strlen(text), depth, &d);
    CHECK((st == LQ_OK) == (d != NULL));
    return d;
}

static void accepts(const char *text)
{
    lq__json_doc *d = parse(text, 16);
    CHECKF(d != NULL, "should accept %s: %s", text, lq_last_error());
    lq__json_free(d);
}

static void rejects(const char *text, const char *why)
{
    lq__json_doc *d = NULL;
    lq_status st = lq__json_parse("t", "text", text, strlen(text), 16, &d);
    CHECKF(st == LQ_ERR_FORMAT && d == NULL && strstr(lq_last_error(), why),
           "should reject %s with '%s', got %d: %s", text, why, st, lq_last_error());
    lq__json_free(d);
}

static void values(void)
{
    lq__json_doc *d = parse(" {\"a\": [1, -2, 3.5, 1e2, true, false, null, \"s\"], \"b\": {}, "
                            "\"c\": [], \"big\": 9223372036854775807, \"neg\": -9223372036854775808,"
                            " \"over\": 9223372036854775808, \"z\": -0} ", 8);
    CHECK(d != NULL);
    const lq__json *r = lq__json_root(d);
    CHECK(r->kind == LQ__JSON_OBJECT && r->count == 7);
    const lq__json *a = lq__json_get(r, "a");
    CHECK(a && a->kind == LQ__JSON_ARRAY && a->count == 8 && a->offset == 7);
    CHECK(a->items[0].kind == LQ__JSON_INT && a->items[0].integer == 1 && a->items[0].key == NULL);
    CHECK(a->items[1].kind == LQ__JSON_INT && a->items[1].integer == -2);
    CHECK(a->items[2].kind == LQ__JSON_REAL && a->items[2].real == 3.5);
    CHECK(a->items[3].kind == LQ__JSON_REAL && a->items[3].real == 100.0);
    CHECK(a->items[4].kind == LQ__JSON_BOOL && a->items[4].boolean);
    CHECK(a->items[5].kind == LQ__JSON_BOOL && !a->items[5].boolean);
    CHECK(a->items[6].kind == LQ__JSON_NULL);
    CHECK(lq__json_is_str(&a->items[7], "s") && !lq__json_is_str(&a->items[7], "t"));
    CHECK(lq__json_get(r, "b")->kind == LQ__JSON_OBJECT && lq__json_get(r, "b")->count == 0);
    CHECK(lq__json_get(r, "c")->kind == LQ__JSON_ARRAY && lq__json_get(r, "c")->items == NULL);
    CHECK(lq__json_get(r, "big")->integer == INT64_MAX);
    CHECK(lq__json_get(r, "neg")->integer == INT64_MIN);
    CHECK(lq__json_get(r, "over")->kind == LQ__JSON_REAL &&
          lq__json_get(r, "over")->real == 9223372036854775808.0);
    CHECK(lq__json_get(r, "z")->kind == LQ__JSON_INT && lq__json_get(r, "z")->integer == 0);
    CHECK(lq__json_get(r, "missing") == NULL && lq__json_get(a, "a") == NULL);
    CHECK(strcmp(r->items[1].key, "b") == 0 && r->items[1].key_len == 1);
    lq__json_free(d);
    /* scalars at the top */
    accepts("1");
    accepts("\"x\"");
    accepts("null");
    accepts(" [ ] ");
}

static void strings(void)
{
    lq__json_doc *d = parse("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\\ud83d\\ude00\", "
                            "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\", \"nul\\u0000in\"]", 4);
    CHECK(d != NULL);
    const lq__json *r = lq__json_root(d);
    CHECK(r->items[0].len == 12 && memcmp(r->items[0].str, "a\"b\\c/d\b\f\n\r\t", 13) == 0);
    CHECK(strcmp(r->items[1].str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 0);
    CHECK(strcmp(r->items[2].str, r->items[1].str) == 0);
    CHECK(r->items[3].len == 6 && memcmp(r->items[3].str, "nul\0in", 7) == 0);
    lq__json_free(d);
    rejects("\"abc", "not terminated");
    rejects("\"a\nb\"", "control character");
    rejects("\"\\x\"", "unknown escape");
    rejects("\"\\u12\"", "bad \\u escape");
    rejects("\"\\u12G4\"", "bad \\u escape");
    rejects("\"\\ud800\"", "lone high surrogate");
    rejects("\"\\ud800\\u0041\"", "without its low half");
    rejects("\"\\udc00\"", "lone low surrogate");
    rejects("\"\xff\"", "UTF-8");
    rejects("\"\xc0\xaf\"", "UTF-8");         /* overlong */
    rejects("\"\xe0\x80\xaf\"", "UTF-8");     /* overlong */
    rejects("\"\xed\xa0\x80\"", "UTF-8");     /* surrogate */
    rejects("\"\xf4\x90\x80\x80\"", "UTF-8"); /* above U+10FFFF */
    rejects("\"\xe2\x82\"", "UTF-8");         /* cut short */
    rejects("\"\\", "ends inside an escape");
}

static void syntax_errors(void)
{
    rejects("", "ends where a value should be");
    rejects("   ", "ends where a value should be");
    rejects("[1,]", "unexpected character");
    rejects("{\"a\":1,}", "string key");
    rejects("{\"a\" 1}", "':'");
    rejects("{1:2}", "string key");
    rejects("[1 2]", "',' or ']'");
    rejects("{\"a\":1 \"b\":2}", "',' or '}'");
    rejects("[1", "',' or ']'");
    rejects("{", "string key");
    rejects("01", "leading zero");
    rejects("-", "no digits");
    rejects("1.", "after the point");
    rejects("1e", "exponent");
    rejects("+1", "unexpected character");
    rejects(".5", "unexpected character");
    rejects("NaN", "unexpected character");
    rejects("tru", "unexpected character");
    rejects("[1] x", "after the end");
    rejects("{\"a\":1,\"a\":2}", "key \"a\" twice");
    rejects("{\"x\":{\"k\":1,\"j\":2,\"k\":3}}", "key \"k\" twice");
    rejects("// c\n1", "unexpected character");
    /* the reported offset is where the problem is */
    rejects("[1, 2, ?]", "at byte 7");
}

static void depth_is_bounded(void)
{
    static char deep[200001];
    for (int i = 0; i < 100000; i++) {
        deep[i] = '[';
        deep[200000 - 1 - i] = ']';
    }
    lq__json_doc *d = NULL;
    CHECK_STATUS(lq__json_parse("t", "deep", deep, 200000, 64, &d), LQ_ERR_FORMAT);
    CHECK(strstr(lq_last_error(), "too deep") != NULL);
    CHECK_OK(lq__json_parse("t", "deep", deep + 100000 - 64, 128, 64, &d));
    lq__json_free(d);
    CHECK_STATUS(lq__json_parse("t", "deep", deep + 100000 - 65, 130, 64, &d), LQ_ERR_FORMAT);
    /* wide is fine */
    static char wide[300002];
    wide[0] = '[';
    for (int i = 0; i < 100000; i++)
        memcpy(wide + 1 + 3 * i, i ? ",{}" : " {}", 3);
    wide[300001] = ']';
    CHECK_OK(lq__json_parse("t", "wide", wide, sizeof wide, 4, &d));
    CHECK(lq__json_root(d)->count == 100000);
    lq__json_free(d);
    /* and the number of values is bounded too */
    CHECK_STATUS(lq__json_parse_capped("t", "wide", wide, sizeof wide, 4, 100000, &d),
                 LQ_ERR_FORMAT);
    CHECK(strstr(lq_last_error(), "too many values") != NULL);
    CHECK_OK(lq__json_parse_capped("t", "wide", wide, sizeof wide, 4, 100001, &d));
    lq__json_free(d);
}

static void writer(void)
{
    lq__buf b = {0};
    lq__jw w;
    lq__jw_init(&w, &b, 0);
    lq__jw_object(&w);
    lq__jw_key(&w, "s", 1);
    lq__jw_string(&w, "q\"\\\n\x01\xc3\xa9", 7);
    lq__jw_key(&w, "n", 1);
    lq__jw_array(&w);
    lq__jw_int(&w, INT64_MIN);
    lq__jw_uint(&w, UINT64_MAX);
    lq__jw_real(&w, 0.1);
    lq__jw_real(&w, 2.0);
    lq__jw_real(&w, 1e300);
    lq__jw_real(&w, NAN);
    lq__jw_bool(&w, true);
    lq__jw_null(&w);
    lq__jw_array(&w);
    lq__jw_end(&w);
    lq__jw_end(&w);
    lq__jw_end(&w);
    CHECK(!b.failed);
    const char *want = "{\"s\":\"q\\\"\\\\\\n\\u0001\xc3\xa9\",\"n\":[-9223372036854775808,"
                       "18446744073709551615,0.1,2.0,1e+300,null,true,null,[]]}";
    CHECKF(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0, "got %.*s", (int)b.len,
           (const char *)b.data);
    /* and it reads back */
    lq__json_doc *d = NULL;
    CHECK_OK(lq__json_parse("t", "w", (const char *)b.data, b.len, 8, &d));
    CHECK(lq__json_get(lq__json_root(d), "s")->len == 7);
    lq__json_free(d);
    lq__buf_free(&b);
    /* pretty */
    lq__jw_init(&w, &b, 2);
    lq__jw_object(&w);
    lq__jw_key(&w, "a", 1);
    lq__jw_object(&w);
    lq__jw_key(&w, "b", 1);
    lq__jw_int(&w, 1);
    lq__jw_end(&w);
    lq__jw_key(&w, "c", 1);
    lq__jw_array(&w);
    lq__jw_end(&w);
    lq__jw_end(&w);
    want = "{\n  \"a\": {\n    \"b\": 1\n  },\n  \"c\": []\n}";
    CHECKF(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0, "got %.*s", (int)b.len,
           (const char *)b.data);
    lq__buf_free(&b);
}

static void locale_independent(void)
{
    /* a decimal comma locale must not change how numbers read or print */
    if (!setlocale(LC_NUMERIC, "de_DE.UTF-8") && !setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
        printf("# no decimal-comma locale installed; checking in the C locale only\n");
    }
    lq__json_doc *d = parse("[2.5]", 4);
    CHECK(d && lq__json_root(d)->items[0].real == 2.5);
    lq__json_free(d);
    lq__buf b = {0};
    lq__jw w;
    lq__jw_init(&w, &b, 0);
    lq__jw_real(&w, 2.5);
    CHECK(b.len == 3 && memcmp(b.data, "2.5", 3) == 0);
    lq__buf_free(&b);
    setlocale(LC_NUMERIC, "C");
}

LQT_MAIN(values, strings, syntax_errors, depth_is_bounded, writer, locale_independent)
