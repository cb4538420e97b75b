/* test_scheme.c — the scheme grammar: defaults, canonical strings, errors. */
#include "../harness.h"

/* text parses, and its canonical form is `canon`, which parses to itself. */
static void expect_canon(const char *text, const char *canon)
{
    lq_scheme *s = NULL, *s2 = NULL;
    CHECK_OK(lq_scheme_parse(text, &s));
    if (!s)
        return;
    CHECKF(strcmp(lq_scheme_string(s), canon) == 0, "'%s' -> '%s', wanted '%s'", text,
           lq_scheme_string(s), canon);
    CHECK_OK(lq_scheme_parse(lq_scheme_string(s), &s2));
    if (s2)
        CHECK(strcmp(lq_scheme_string(s2), lq_scheme_string(s)) == 0);
    lq_scheme_free(s);
    lq_scheme_free(s2);
}

static void canonical_forms(void)
{
    expect_canon("int4", "int4:g128:sym");
    expect_canon("INT4:G128:ASYM", "int4:g128:asym");
    expect_canon("int8", "int8:channel:sym");
    expect_canon("int8:tensor", "int8:tensor:sym");
    expect_canon("int3:g64:asym:scale=f32", "int3:g64:asym:scale=f32");
    expect_canon("int2:scale=f16", "int2:g128:sym");
    expect_canon("nf4", "nf4:b64");
    expect_canon("nf4:b64:dq", "nf4:b64:dq");
    expect_canon("fp4:b128", "fp4:b128");
    expect_canon("fp8_e4m3", "fp8_e4m3:tensor");
    expect_canon("fp8_e4m3:channel", "fp8_e4m3:channel");
    expect_canon("fp8_e5m2:channel", "fp8_e5m2:channel");
    expect_canon("q4_k", "q4_k");
    expect_canon("q4_k_m", "q4_k_m");
    expect_canon("Q6_K", "q6_k");
    expect_canon("iq4_xs", "iq4_xs");
    expect_canon("iq2_s", "iq2_s"); /* the type, though IQ2_S is also a file type */
    expect_canon("MXFP4_MOE", "mxfp4_moe");
    expect_canon("f16", "f16");
    expect_canon("rtn:int4", "int4:g128:sym");
    expect_canon("gptq:int4:g128:act_order", "gptq:int4:g128:sym:act_order");
    expect_canon("gptq:int4:damp=0.05", "gptq:int4:g128:sym:damp=0.05");
    expect_canon("gptq:q4_k", "gptq:q4_k");
    expect_canon("awq:int4:g128", "awq:int4:g128:asym");
    expect_canon("hqq:int4", "hqq:int4:g64:asym");
    expect_canon("hqq:int2:g32:iters=10", "hqq:int2:g32:asym:iters=10");
    expect_canon("smoothquant:int8", "smoothquant:int8:channel:sym");
    expect_canon("smoothquant:int8:alpha=0.85", "smoothquant:int8:channel:sym:alpha=0.85");
    expect_canon("llm_int8:int8:threshold=4", "llm_int8:int8:channel:sym:threshold=4");
    /* numbers keep every bit, so the canonical form parses to the same scheme */
    expect_canon("gptq:int3:damp=.9999999999992", "gptq:int3:g128:sym:damp=0.9999999999992");
    expect_canon("gptq:int4:damp=0.1", "gptq:int4:g128:sym:damp=0.1");
}

/* A type's name is that type even when a file type has the same name and
 * another default type (the file type IQ2_S defaults to iq2_xs); a file
 * type's name that is no type's is its mixture. */
static void type_names_win_over_file_types(void)
{
    static const struct {
        const char *text;
        lq_type type;
        int64_t mixture;
    } cases[] = {
        {"iq2_s", LQ_TYPE_IQ2_S, 0},   {"IQ2_S", LQ_TYPE_IQ2_S, 0},
        {"tq1_0", LQ_TYPE_TQ1_0, 0},   {"iq2_m", LQ_TYPE_IQ2_S, 29},
        {"mxfp4", LQ_TYPE_MXFP4, 0},   {"mxfp4_moe", LQ_TYPE_MXFP4, 38},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lq_scheme *s = NULL;
        int64_t type = -1, mixture = -1;
        CHECK_OK(lq_scheme_parse(cases[i].text, &s));
        CHECK_OK(lq_scheme_get_int(s, LQ_PARAM_TYPE, &type));
        CHECK_OK(lq_scheme_get_int(s, LQ_PARAM_MIXTURE, &mixture));
        CHECKF(type == cases[i].type && mixture == cases[i].mixture,
               "'%s': type %lld mixture %lld", cases[i].text, (long long)type, (long long)mixture);
        lq_scheme_free(s);
    }
}

static void expect_invalid(const char *text, const char *needle)
{
    lq_scheme *s = (lq_scheme *)1;
    CHECK_STATUS(lq_scheme_parse(text, &s), LQ_ERR_INVALID);
    CHECK(s == NULL);
    CHECKF(strstr(lq_last_error(), needle) != NULL, "'%s': message '%s' lacks '%s'", text,
           lq_last_error(), needle);
}

static void errors_name_the_bad_part(void)
{
    expect_invalid("int5", "'int5' is not a method or type");
    expect_invalid("int4:g100x", "option 'g100x'");
    expect_invalid("int4:g0", "option 'g0'");
    expect_invalid("int4:frobnicate", "option 'frobnicate'");
    expect_invalid("nf4:g64", "nf4 has no group size");
    expect_invalid("nf4:b48", "power of two");
    expect_invalid("nf4:asym", "no zero points");
    expect_invalid("fp8_e4m3:g128", "not per group");
    expect_invalid("q4_k:g32", "q4_k has no group size");
    expect_invalid("gptq", "needs a type");
    expect_invalid("gptq:nf4", "gptq quantizes");
    expect_invalid("awq:q4_0", "awq quantizes");
    expect_invalid("hqq:int4:sym", "always asym");
    expect_invalid("smoothquant:int4", "int8:channel:sym");
    expect_invalid("int4:act_order", "gptq option");
    expect_invalid("gptq:int4:damp=2", "damp");
    expect_invalid("int4::sym", "empty part");
    expect_invalid("int4:", "empty part");
    expect_invalid("", "empty");
    expect_invalid("q8_k", "not a weight format");
    expect_invalid("i32", "not a weight format");
    lq_scheme *s;
    CHECK_STATUS(lq_scheme_parse(NULL, &s), LQ_ERR_INVALID);
    CHECK_STATUS(lq_scheme_parse("int4", NULL), LQ_ERR_INVALID);
    char longtext[300];
    memset(longtext, 'a', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = 0;
    CHECK_STATUS(lq_scheme_parse(longtext, &s), LQ_ERR_INVALID);
}

static void get_and_set(void)
{
    lq_scheme *s = NULL;
    CHECK_OK(lq_scheme_parse("int4:g64:asym", &s));
    int64_t v;
    double f;
    CHECK_OK(lq_scheme_get_int(s, LQ_PARAM_TYPE, &v));
    CHECK(v == LQ_TYPE_INT4);
    CHECK_OK(lq_scheme_get_int(s, LQ_PARAM_BITS, &v));
    CHECK(v == 4);
    CHECK_OK(lq_scheme_get_int(s, LQ_PARAM_GROUP_SIZE, &v));
    CHECK(v == 64);
    CHECK_OK(lq_scheme_get_int(s, LQ_PARAM_SYMMETRIC, &v));
    CHECK(v == 0);
    CHECK_STATUS(lq_scheme_get_int(s, LQ_PARAM_DAMP, &v), LQ_ERR_INVALID);
    CHECK_STATUS(lq_scheme_get_float(s, LQ_PARAM_BITS, &f), LQ_ERR_INVALID);
    CHECK_OK(lq_scheme_set_int(s, LQ_PARAM_GROUP_SIZE, LQ_GROUP_CHANNEL));
    CHECK(strcmp(lq_scheme_string(s), "int4:channel:asym") == 0);
    /* a refused change leaves the scheme as it was */
    CHECK_STATUS(lq_scheme_set_int(s, LQ_PARAM_BLOCK_SIZE, 64), LQ_ERR_INVALID);
    CHECK(strcmp(lq_scheme_string(s), "int4:channel:asym") == 0);
    CHECK_STATUS(lq_scheme_set_int(s, LQ_PARAM_BITS, 8), LQ_ERR_INVALID);
    CHECK_OK(lq_scheme_set_int(s, LQ_PARAM_METHOD, LQ_METHOD_GPTQ));
    CHECK(strcmp(lq_scheme_string(s), "gptq:int4:g128:sym") == 0);
    CHECK_OK(lq_scheme_set_float(s, LQ_PARAM_DAMP, 0.1));
    CHECK_OK(lq_scheme_get_float(s, LQ_PARAM_DAMP, &f));
    CHECK(f == 0.1);
    CHECK(strcmp(lq_scheme_string(s), "gptq:int4:g128:sym:damp=0.1") == 0);
    CHECK_STATUS(lq_scheme_set_int(s, LQ_PARAM_TYPE, LQ_TYPE_NF4), LQ_ERR_INVALID);
    CHECK_OK(lq_scheme_set_int(s, LQ_PARAM_METHOD, LQ_METHOD_RTN));
    CHECK_OK(lq_scheme_set_int(s, LQ_PARAM_TYPE, LQ_TYPE_NF4));
    CHECK(strcmp(lq_scheme_string(s), "nf4:b64") == 0);
    CHECK_STATUS(lq_scheme_set_int(s, LQ_PARAM_TYPE, 9999), LQ_ERR_INVALID);
    lq_scheme *c = NULL;
    CHECK_OK(lq_scheme_clone(s, &c));
    CHECK(strcmp(lq_scheme_string(c), lq_scheme_string(s)) == 0);
    lq_scheme_free(c);
    lq_scheme_free(s);
    lq_scheme_free(NULL);
    CHECK(strcmp(lq_scheme_string(NULL), "") == 0);
}

static void type_names(void)
{
    lq_type t;
    CHECK_OK(lq_type_from_name("Q4_K", &t));
    CHECK(t == LQ_TYPE_Q4_K);
    CHECK(strcmp(lq_type_name(LQ_TYPE_FP8_E4M3), "fp8_e4m3") == 0);
    CHECK(lq_type_name(LQ_TYPE_COUNT_) == NULL && lq_type_name(-1) == NULL && lq_type_name(9) == NULL);
    CHECK_STATUS(lq_type_from_name("q4_9", &t), LQ_ERR_INVALID);
    CHECK(lq_type_is_quantized(LQ_TYPE_INT4) && !lq_type_is_quantized(LQ_TYPE_F16));
    CHECK(lq_type_ggml_id(LQ_TYPE_Q4_K) == 12 && lq_type_ggml_id(LQ_TYPE_BF16) == 30);
    CHECK(lq_type_ggml_id(LQ_TYPE_NF4) == -1);
}

LQT_MAIN(canonical_forms, type_names_win_over_file_types, errors_name_the_bad_part, get_and_set,
         type_names)
