/* scheme_parse.c — lq_scheme: parse the scheme grammar, fill defaults, validate,
 * and write the canonical string. doc/schemes.md is the reference. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "ftype_list.h"
#include "scheme.h"
#include "type_info.h"
#include "scheme_names.h"

static const char *const method_names[] = {"rtn", "gptq", "awq", "hqq", "smoothquant", "llm_int8"};
#define N_METHODS (int)(sizeof method_names / sizeof *method_names)

/* The llama.cpp file types (llama_ftype ids). Those whose name is no type's
 * ("q4_k_m", not "q6_k") are mixture names in the grammar. A type's name
 * stays that type even when a file type of the same name has another default
 * type: "iq2_s" is the iq2_s format, while the file type IQ2_S (default
 * iq2_xs) is reached through the file-type names of lq_qopts_create. */
static const struct {
    const char *name;
    lq_type base;
    int ftype;
} ftypes[] = {
#define FTYPE_ROW(N, n, id, t) {#n, LQ_TYPE_##t, id},
    LQ__FTYPES(FTYPE_ROW)
#undef FTYPE_ROW
};
#define N_FTYPES (int)(sizeof ftypes / sizeof *ftypes)

static int is_mixture(int i)
{
    for (int t = 0; t < LQ_TYPE_COUNT_; t++) {
        const lq__type_info *ti = lq__type(t);
        if (ti && strcmp(ftypes[i].name, ti->name) == 0)
            return 0;
    }
    return 1;
}

#define UNSET_GROUP INT64_MIN

const char *lq__method_name(int method)
{
    return method >= 0 && method < N_METHODS ? method_names[method] : NULL;
}

const char *lq__mixture_name(int ftype)
{
    for (int i = 0; i < N_FTYPES; i++)
        if (ftypes[i].ftype == ftype && is_mixture(i))
            return ftypes[i].name;
    return NULL;
}

static int is_int_type(lq_type t)
{
    return t == LQ_TYPE_INT8 || t == LQ_TYPE_INT4 || t == LQ_TYPE_INT3 || t == LQ_TYPE_INT2;
}

static int is_bnb4(lq_type t) { return t == LQ_TYPE_NF4 || t == LQ_TYPE_FP4; }
static int is_fp8(lq_type t) { return t == LQ_TYPE_FP8_E4M3 || t == LQ_TYPE_FP8_E5M2; }

/* Defaults for every field the text did not set. */
static void fill_defaults(struct lq_scheme *s)
{
    lq_type t = s->qp.type;
    if (s->qp.group == UNSET_GROUP) {
        if (t == LQ_TYPE_INT8)
            s->qp.group = LQ_GROUP_CHANNEL;
        else if (is_int_type(t))
            s->qp.group = s->method == LQ_METHOD_HQQ ? 64 : 128;
        else if (is_fp8(t))
            s->qp.group = LQ_GROUP_TENSOR;
        else
            s->qp.group = 0;
    }
    if (s->qp.sym < 0) /* asym for awq's int grids; a ggml block type has its own form */
        s->qp.sym = !((s->method == LQ_METHOD_AWQ && is_int_type(t)) || s->method == LQ_METHOD_HQQ);
    if (s->qp.scale_type < 0)
        s->qp.scale_type = is_fp8(t) ? LQ_TYPE_F32 : LQ_TYPE_F16;
    if (s->qp.block == 0 && is_bnb4(t))
        s->qp.block = 64;
    if (isnan(s->damp))
        s->damp = 0.01;
    if (isnan(s->alpha))
        s->alpha = 0.5;
    if (isnan(s->threshold))
        s->threshold = 6.0;
    if (s->iters < 0)
        s->iters = 20;
}

static void unset(struct lq_scheme *s)
{
    memset(s, 0, sizeof *s);
    s->qp.group = UNSET_GROUP;
    s->qp.sym = -1;
    s->qp.scale_type = -1;
    s->damp = s->alpha = s->threshold = NAN;
    s->iters = -1;
}

/* The reason a filled scheme is inconsistent, or NULL when it is fine. */
static const char *inconsistency(const struct lq_scheme *s, char *buf, size_t cap)
{
    lq_type t = s->qp.type;
    const lq__type_info *ti = lq__type(t);
    if (!ti || (ti->flags & LQ__T_ACT_ONLY) || (!(ti->flags & LQ__T_QUANT) && t != LQ_TYPE_F32 &&
                                                t != LQ_TYPE_F16 && t != LQ_TYPE_BF16))
        return "the type is not a weight format";
    int ggml = (ti->flags & LQ__T_GGML) != 0;
    int64_t g = s->qp.group;
    switch (s->method) {
    case LQ_METHOD_RTN:
        break;
    case LQ_METHOD_GPTQ:
        if (!(is_int_type(t) || ggml))
            return "gptq quantizes to int8/int4/int3/int2 or a ggml block type";
        if (!(s->damp > 0 && s->damp < 1))
            return "damp must be in (0, 1)";
        if (s->static_groups && !(is_int_type(t) && g > 0))
            return "static_groups needs an int type with a group size";
        break;
    case LQ_METHOD_AWQ:
        /* into ggml blocks within a llama.cpp mixture only: its scales are
         * folded where llama.cpp's graph has a place for them (lq_model_quantize) */
        if (!is_int_type(t) && !(ggml && s->mixture))
            return "awq quantizes to int8/int4/int3/int2 or a llama.cpp k-quant mixture";
        break;
    case LQ_METHOD_HQQ:
        if (!is_int_type(t))
            return "hqq quantizes to int8/int4/int3/int2";
        if (s->qp.sym)
            return "hqq optimizes zero points: it is always asym";
        if (s->iters < 1 || s->iters > 1000)
            return "iters must be 1..1000";
        break;
    case LQ_METHOD_SMOOTHQUANT:
    case LQ_METHOD_LLM_INT8:
        if (t != LQ_TYPE_INT8 || g != LQ_GROUP_CHANNEL || !s->qp.sym)
            return "smoothquant and llm_int8 use int8:channel:sym weights";
        if (!(s->alpha >= 0 && s->alpha <= 1))
            return "alpha must be in [0, 1]";
        if (!(s->threshold > 0))
            return "threshold must be positive";
        break;
    default:
        return "unknown method";
    }
    if (is_int_type(t)) {
        if (g < LQ_GROUP_TENSOR)
            return "the group size must be positive";
    } else if (g != 0 && !is_fp8(t)) {
        snprintf(buf, cap, "%s has no group size, channel or tensor option", ti->name);
        return buf;
    }
    if (is_fp8(t) && g != LQ_GROUP_CHANNEL && g != LQ_GROUP_TENSOR)
        return "fp8 scales are per channel or per tensor, not per group";
    if (!is_int_type(t) && !s->qp.sym) {
        snprintf(buf, cap, "%s has no zero points (asym)", ti->name);
        return buf;
    }
    if (!is_int_type(t) && !is_fp8(t) && s->qp.scale_type != LQ_TYPE_F16) {
        snprintf(buf, cap, "%s has a fixed scale type", ti->name);
        return buf;
    }
    if (is_fp8(t) && s->qp.scale_type != LQ_TYPE_F32)
        return "fp8 scales are f32";
    if (is_bnb4(t)) {
        int b = s->qp.block;
        if (b < 32 || b > 4096 || (b & (b - 1)))
            return "the nf4/fp4 block size must be a power of two from 32 to 4096";
    } else if (s->qp.block || s->qp.double_quant) {
        snprintf(buf, cap, "%s has no block size or double quantization (b, dq)", ti->name);
        return buf;
    }
    if ((s->act_order) && s->method != LQ_METHOD_GPTQ)
        return "act_order is a gptq option";
    if (s->static_groups && s->method != LQ_METHOD_GPTQ)
        return "static_groups is a gptq option";
    return NULL;
}

static void append(char *buf, const char *fmt, ...) LQ__PRINTF(2, 3);
static void append(char *buf, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, LQ__SCHEME_TEXT - len, fmt, ap);
    va_end(ap);
}

/* ":key=value" with the shortest decimal that reads back as the same double,
 * so that the canonical string always parses to the identical scheme. */
static void append_number(char *buf, const char *key, double v)
{
    char num[32];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, v);
        if (strtod(num, NULL) == v)
            break;
    }
    append(buf, ":%s=%s", key, num);
}

static void make_canonical(struct lq_scheme *s)
{
    char *b = s->text;
    lq_type t = s->qp.type;
    b[0] = 0;
    if (s->method != LQ_METHOD_RTN)
        append(b, "%s:", method_names[s->method]);
    const char *mix = s->mixture ? lq__mixture_name(s->mixture) : NULL;
    append(b, "%s", mix ? mix : lq__type(t)->name);
    if (is_int_type(t) || is_fp8(t)) {
        if (s->qp.group > 0)
            append(b, ":g%lld", (long long)s->qp.group);
        else
            append(b, s->qp.group == LQ_GROUP_CHANNEL ? ":channel" : ":tensor");
    }
    if (is_int_type(t)) {
        append(b, s->qp.sym ? ":sym" : ":asym");
        if (s->qp.scale_type == LQ_TYPE_F32)
            append(b, ":scale=f32");
    }
    if (is_bnb4(t))
        append(b, ":b%d%s", s->qp.block, s->qp.double_quant ? ":dq" : "");
    if (s->method == LQ_METHOD_GPTQ) {
        if (s->act_order)
            append(b, ":act_order");
        if (s->static_groups)
            append(b, ":static_groups");
        if (s->damp != 0.01)
            append_number(b, "damp", s->damp);
    }
    if (s->method == LQ_METHOD_SMOOTHQUANT && s->alpha != 0.5)
        append_number(b, "alpha", s->alpha);
    if (s->method == LQ_METHOD_LLM_INT8 && s->threshold != 6.0)
        append_number(b, "threshold", s->threshold);
    if (s->method == LQ_METHOD_HQQ && s->iters != 20)
        append(b, ":iters=%d", s->iters);
}

static int parse_i64(const char *p, int64_t lo, int64_t hi, int64_t *out)
{
    if (!isdigit((unsigned char)*p))
        return 0;
    errno = 0;
    char *end;
    long long v = strtoll(p, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

static int parse_f64(const char *p, double *out)
{
    if (!*p || isspace((unsigned char)*p))
        return 0;
    errno = 0;
    char *end;
    double v = strtod(p, &end);
    if (errno || *end || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

/* Apply one option token; NULL on success, else why it was refused. */
static const char *apply_option(struct lq_scheme *s, const char *tok)
{
    int64_t v;
    double f;
    if (strcmp(tok, "channel") == 0) {
        s->qp.group = LQ_GROUP_CHANNEL;
    } else if (strcmp(tok, "tensor") == 0) {
        s->qp.group = LQ_GROUP_TENSOR;
    } else if (strcmp(tok, "sym") == 0) {
        s->qp.sym = 1;
    } else if (strcmp(tok, "asym") == 0) {
        s->qp.sym = 0;
    } else if (strcmp(tok, "dq") == 0) {
        s->qp.double_quant = 1;
    } else if (strcmp(tok, "act_order") == 0) {
        s->act_order = 1;
    } else if (strcmp(tok, "static_groups") == 0) {
        s->static_groups = 1;
    } else if (strcmp(tok, "scale=f16") == 0) {
        s->qp.scale_type = LQ_TYPE_F16;
    } else if (strcmp(tok, "scale=f32") == 0) {
        s->qp.scale_type = LQ_TYPE_F32;
    } else if (tok[0] == 'g' && isdigit((unsigned char)tok[1])) {
        if (!parse_i64(tok + 1, 1, (int64_t)1 << 40, &v))
            return "is not a group size";
        s->qp.group = v;
    } else if (tok[0] == 'b' && isdigit((unsigned char)tok[1])) {
        if (!parse_i64(tok + 1, 1, 1 << 20, &v))
            return "is not a block size";
        s->qp.block = (int)v;
    } else if (strncmp(tok, "damp=", 5) == 0) {
        if (!parse_f64(tok + 5, &f))
            return "is not a number";
        s->damp = f;
    } else if (strncmp(tok, "alpha=", 6) == 0) {
        if (!parse_f64(tok + 6, &f))
            return "is not a number";
        s->alpha = f;
    } else if (strncmp(tok, "threshold=", 10) == 0) {
        if (!parse_f64(tok + 10, &f))
            return "is not a number";
        s->threshold = f;
    } else if (strncmp(tok, "iters=", 6) == 0) {
        if (!parse_i64(tok + 6, 1, 1000, &v))
            return "is not an iteration count (1..1000)";
        s->iters = (int)v;
    } else {
        return "is not a known option";
    }
    return NULL;
}

/* Type or mixture name; 0 when unknown. */
static int parse_type(struct lq_scheme *s, const char *tok)
{
    for (int i = 0; i < N_FTYPES; i++) {
        if (is_mixture(i) && strcmp(tok, ftypes[i].name) == 0) {
            s->qp.type = ftypes[i].base;
            s->mixture = ftypes[i].ftype;
            return 1;
        }
    }
    for (int t = 0; t < LQ_TYPE_COUNT_; t++) {
        const lq__type_info *ti = lq__type(t);
        if (ti && strcmp(tok, ti->name) == 0) {
            s->qp.type = t;
            return 1;
        }
    }
    return 0;
}

lq_status lq_scheme_parse(const char *text, lq_scheme **out)
{
    static const char fn[] = "lq_scheme_parse";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!text)
        return lq__fail(LQ_ERR_INVALID, "%s: text is NULL", fn);
    size_t len = strlen(text);
    if (len == 0)
        return lq__fail(LQ_ERR_INVALID, "%s: empty scheme string", fn);
    if (len >= LQ__SCHEME_TEXT)
        return lq__fail(LQ_ERR_INVALID, "%s: scheme string longer than %d bytes", fn,
                        LQ__SCHEME_TEXT - 1);
    if (strstr(text, "::") || text[len - 1] == ':' || text[0] == ':')
        return lq__fail(LQ_ERR_INVALID, "%s: '%s': empty part between ':'", fn, text);
    char buf[LQ__SCHEME_TEXT];
    for (size_t i = 0; i <= len; i++)
        buf[i] = (char)tolower((unsigned char)text[i]);

    struct lq_scheme s;
    unset(&s);
    char *save = NULL;
    char *tok = strtok_r(buf, ":", &save);
    if (!tok)
        return lq__fail(LQ_ERR_INVALID, "%s: '%s': no type", fn, text);
    for (int m = 0; m < N_METHODS; m++) {
        if (strcmp(tok, method_names[m]) == 0) {
            s.method = m;
            tok = strtok_r(NULL, ":", &save);
            if (!tok)
                return lq__fail(LQ_ERR_INVALID, "%s: '%s': method %s needs a type after it", fn,
                                text, method_names[m]);
            break;
        }
    }
    if (!parse_type(&s, tok))
        return lq__fail(LQ_ERR_INVALID, "%s: '%s': '%s' is not a method or type", fn, text, tok);
    while ((tok = strtok_r(NULL, ":", &save))) {
        const char *why = apply_option(&s, tok);
        if (why)
            return lq__fail(LQ_ERR_INVALID, "%s: '%s': option '%s' %s", fn, text, tok, why);
    }
    fill_defaults(&s);
    char why_buf[96];
    const char *why = inconsistency(&s, why_buf, sizeof why_buf);
    if (why)
        return lq__fail(LQ_ERR_INVALID, "%s: '%s': %s", fn, text, why);
    make_canonical(&s);
    *out = lq__malloc(sizeof **out);
    if (!*out)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    **out = s;
    return LQ_OK;
}

lq_status lq_scheme_clone(const lq_scheme *s, lq_scheme **out)
{
    if (!s || !out)
        return lq__fail(LQ_ERR_INVALID, "lq_scheme_clone: NULL argument");
    *out = lq__malloc(sizeof **out);
    if (!*out)
        return lq__fail(LQ_ERR_NOMEM, "lq_scheme_clone: out of memory");
    **out = *s;
    return LQ_OK;
}

void lq_scheme_free(lq_scheme *s)
{
    lq__free(s);
}

const char *lq_scheme_string(const lq_scheme *s)
{
    return s ? s->text : "";
}

static int is_float_param(int param)
{
    return param == LQ_PARAM_DAMP || param == LQ_PARAM_ALPHA || param == LQ_PARAM_THRESHOLD;
}

lq_status lq_scheme_get_int(const lq_scheme *s, int param, int64_t *out)
{
    static const char fn[] = "lq_scheme_get_int";
    if (!s || !out)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    switch (param) {
    case LQ_PARAM_TYPE: *out = s->qp.type; break;
    case LQ_PARAM_METHOD: *out = s->method; break;
    case LQ_PARAM_BITS: *out = lq__type(s->qp.type)->code_bits; break;
    case LQ_PARAM_GROUP_SIZE: *out = s->qp.group; break;
    case LQ_PARAM_SYMMETRIC: *out = s->qp.sym; break;
    case LQ_PARAM_BLOCK_SIZE: *out = s->qp.block; break;
    case LQ_PARAM_DOUBLE_QUANT: *out = s->qp.double_quant; break;
    case LQ_PARAM_SCALE_TYPE: *out = s->qp.scale_type; break;
    case LQ_PARAM_ACT_ORDER: *out = s->act_order; break;
    case LQ_PARAM_STATIC_GROUPS: *out = s->static_groups; break;
    case LQ_PARAM_MIXTURE: *out = s->mixture; break;
    case LQ_PARAM_ITERS: *out = s->iters; break;
    default:
        return lq__fail(LQ_ERR_INVALID, "%s: parameter %d is %s", fn, param,
                        is_float_param(param) ? "a float parameter" : "unknown");
    }
    return LQ_OK;
}

lq_status lq_scheme_get_float(const lq_scheme *s, int param, double *out)
{
    static const char fn[] = "lq_scheme_get_float";
    if (!s || !out)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    switch (param) {
    case LQ_PARAM_DAMP: *out = s->damp; break;
    case LQ_PARAM_ALPHA: *out = s->alpha; break;
    case LQ_PARAM_THRESHOLD: *out = s->threshold; break;
    default:
        return lq__fail(LQ_ERR_INVALID, "%s: parameter %d is not a float parameter", fn, param);
    }
    return LQ_OK;
}

/* Validate the changed copy and, if it is consistent, store it in *s. */
static lq_status commit(const char *fn, lq_scheme *s, struct lq_scheme *changed)
{
    char why_buf[96];
    const char *why = inconsistency(changed, why_buf, sizeof why_buf);
    if (why)
        return lq__fail(LQ_ERR_INVALID, "%s: '%s': %s", fn, s->text, why);
    make_canonical(changed);
    *s = *changed;
    return LQ_OK;
}

lq_status lq_scheme_set_int(lq_scheme *s, int param, int64_t value)
{
    static const char fn[] = "lq_scheme_set_int";
    if (!s)
        return lq__fail(LQ_ERR_INVALID, "%s: scheme is NULL", fn);
    struct lq_scheme c = *s;
    switch (param) {
    case LQ_PARAM_TYPE:
    case LQ_PARAM_METHOD: {
        /* a new type or method starts from that combination's defaults */
        int method = param == LQ_PARAM_METHOD ? (int)value : s->method;
        int type = param == LQ_PARAM_TYPE ? (int)value : s->qp.type;
        if (method < 0 || method >= N_METHODS || value != (int)value)
            return lq__fail(LQ_ERR_INVALID, "%s: %lld is not a method", fn, (long long)value);
        if (!lq__type(type))
            return lq__fail(LQ_ERR_INVALID, "%s: %lld is not a type", fn, (long long)value);
        unset(&c);
        c.method = method;
        c.qp.type = type;
        fill_defaults(&c);
        break;
    }
    case LQ_PARAM_GROUP_SIZE: c.qp.group = value; break;
    case LQ_PARAM_SYMMETRIC: c.qp.sym = value != 0; break;
    case LQ_PARAM_BLOCK_SIZE:
        if (value < 0 || value > (1 << 20))
            return lq__fail(LQ_ERR_INVALID, "%s: block size %lld out of range", fn, (long long)value);
        c.qp.block = (int)value;
        break;
    case LQ_PARAM_DOUBLE_QUANT: c.qp.double_quant = value != 0; break;
    case LQ_PARAM_SCALE_TYPE:
        if (value != LQ_TYPE_F16 && value != LQ_TYPE_F32)
            return lq__fail(LQ_ERR_INVALID, "%s: scale type must be LQ_TYPE_F16 or LQ_TYPE_F32", fn);
        c.qp.scale_type = (lq_type)value;
        break;
    case LQ_PARAM_ACT_ORDER: c.act_order = value != 0; break;
    case LQ_PARAM_STATIC_GROUPS: c.static_groups = value != 0; break;
    case LQ_PARAM_ITERS:
        if (value < 1 || value > 1000)
            return lq__fail(LQ_ERR_INVALID, "%s: iters %lld outside 1..1000", fn, (long long)value);
        c.iters = (int)value;
        break;
    case LQ_PARAM_BITS:
    case LQ_PARAM_MIXTURE:
        return lq__fail(LQ_ERR_INVALID, "%s: parameter %d is read-only", fn, param);
    default:
        return lq__fail(LQ_ERR_INVALID, "%s: parameter %d is %s", fn, param,
                        is_float_param(param) ? "a float parameter" : "unknown");
    }
    return commit(fn, s, &c);
}

lq_status lq_scheme_set_float(lq_scheme *s, int param, double value)
{
    static const char fn[] = "lq_scheme_set_float";
    if (!s)
        return lq__fail(LQ_ERR_INVALID, "%s: scheme is NULL", fn);
    if (!isfinite(value))
        return lq__fail(LQ_ERR_INVALID, "%s: value is not finite", fn);
    struct lq_scheme c = *s;
    switch (param) {
    case LQ_PARAM_DAMP: c.damp = value; break;
    case LQ_PARAM_ALPHA: c.alpha = value; break;
    case LQ_PARAM_THRESHOLD: c.threshold = value; break;
    default:
        return lq__fail(LQ_ERR_INVALID, "%s: parameter %d is not a float parameter", fn, param);
    }
    return commit(fn, s, &c);
}

lq_status lq__scheme_default(lq_type type, struct lq_scheme *out)
{
    const lq__type_info *ti = lq__type(type);
    if (!ti)
        return lq__fail(LQ_ERR_INVALID, "%d is not an lq_type", type);
    unset(out);
    out->qp.type = type;
    fill_defaults(out);
    char why_buf[96];
    const char *why = inconsistency(out, why_buf, sizeof why_buf);
    if (why)
        return lq__fail(LQ_ERR_INVALID, "type %s: %s", ti->name, why);
    make_canonical(out);
    return LQ_OK;
}
