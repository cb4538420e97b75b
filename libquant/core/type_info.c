/* type_info.c — the table of element types. */
#include <ctype.h>
#include <stddef.h>

#include "error.h"
#include "type_info.h"

#define PLAIN(n, g, b, fl) {n, g, b, 1, b, 8 * (b), fl}
#define PARAM(n, bits) {n, -1, 0, 0, 0, bits, LQ__T_QUANT | LQ__T_PARAM}
#define GGML(n, g, be, bb, bits, fl) {n, g, 0, be, bb, bits, LQ__T_QUANT | LQ__T_GGML | (fl)}

static const lq__type_info table[LQ_TYPE_COUNT_] = {
    [LQ_TYPE_F32] = PLAIN("f32", 0, 4, LQ__T_FLOAT),
    [LQ_TYPE_F16] = PLAIN("f16", 1, 2, LQ__T_FLOAT),
    [LQ_TYPE_BF16] = PLAIN("bf16", 30, 2, LQ__T_FLOAT),
    [LQ_TYPE_F64] = PLAIN("f64", 28, 8, LQ__T_FLOAT),
    [LQ_TYPE_I8] = PLAIN("i8", 24, 1, 0),
    [LQ_TYPE_U8] = PLAIN("u8", -1, 1, 0),
    [LQ_TYPE_I16] = PLAIN("i16", 25, 2, 0),
    [LQ_TYPE_I32] = PLAIN("i32", 26, 4, 0),
    [LQ_TYPE_I64] = PLAIN("i64", 27, 8, 0),

    [LQ_TYPE_INT8] = PARAM("int8", 8),
    [LQ_TYPE_INT4] = PARAM("int4", 4),
    [LQ_TYPE_INT3] = PARAM("int3", 3),
    [LQ_TYPE_INT2] = PARAM("int2", 2),
    [LQ_TYPE_NF4] = PARAM("nf4", 4),
    [LQ_TYPE_FP4] = PARAM("fp4", 4),
    [LQ_TYPE_FP8_E4M3] = PARAM("fp8_e4m3", 8),
    [LQ_TYPE_FP8_E5M2] = PARAM("fp8_e5m2", 8),

    [LQ_TYPE_Q4_0] = GGML("q4_0", 2, 32, 18, 4, 0),
    [LQ_TYPE_Q4_1] = GGML("q4_1", 3, 32, 20, 4, 0),
    [LQ_TYPE_Q5_0] = GGML("q5_0", 6, 32, 22, 5, 0),
    [LQ_TYPE_Q5_1] = GGML("q5_1", 7, 32, 24, 5, 0),
    [LQ_TYPE_Q8_0] = GGML("q8_0", 8, 32, 34, 8, 0),
    [LQ_TYPE_Q8_1] = GGML("q8_1", 9, 32, 36, 8, LQ__T_ACT_ONLY),
    [LQ_TYPE_Q2_K] = GGML("q2_k", 10, 256, 84, 2, 0),
    [LQ_TYPE_Q3_K] = GGML("q3_k", 11, 256, 110, 3, 0),
    [LQ_TYPE_Q4_K] = GGML("q4_k", 12, 256, 144, 4, 0),
    [LQ_TYPE_Q5_K] = GGML("q5_k", 13, 256, 176, 5, 0),
    [LQ_TYPE_Q6_K] = GGML("q6_k", 14, 256, 210, 6, 0),
    [LQ_TYPE_Q8_K] = GGML("q8_k", 15, 256, 292, 8, LQ__T_ACT_ONLY),
    [LQ_TYPE_IQ4_NL] = GGML("iq4_nl", 20, 32, 18, 4, 0),
    [LQ_TYPE_IQ4_XS] = GGML("iq4_xs", 23, 256, 136, 4, 0),
};

const lq__type_info *lq__type(lq_type type)
{
    if (type < 0 || type >= LQ_TYPE_COUNT_ || !table[type].name)
        return NULL;
    return &table[type];
}

const char *lq_type_name(lq_type type)
{
    const lq__type_info *ti = lq__type(type);
    return ti ? ti->name : NULL;
}

static int same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

lq_status lq_type_from_name(const char *name, lq_type *out)
{
    if (!name || !out)
        return lq__fail(LQ_ERR_INVALID, "lq_type_from_name: NULL argument");
    for (int t = 0; t < LQ_TYPE_COUNT_; t++) {
        if (table[t].name && same_name(name, table[t].name)) {
            *out = t;
            return LQ_OK;
        }
    }
    return lq__fail(LQ_ERR_INVALID, "lq_type_from_name: unknown type '%.64s'", name);
}

int lq_type_is_quantized(lq_type type)
{
    const lq__type_info *ti = lq__type(type);
    return ti && (ti->flags & LQ__T_QUANT) ? 1 : 0;
}

int lq_type_ggml_id(lq_type type)
{
    const lq__type_info *ti = lq__type(type);
    return ti ? ti->ggml_id : -1;
}
