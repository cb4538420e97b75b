/* type_info.c — the table of element types. */
#include <ctype.h>
#include <stddef.h>

#include "error.h"
#include "type_info.h"
#include "type_list.h"

#define PLAIN(T, n, v, g, b, fl) [LQ_TYPE_##T] = {#n, g, b, 1, b, 8 * (b), fl},
#define PARAM(T, n, v, bits, codec) \
    [LQ_TYPE_##T] = {#n, -1, 0, 0, 0, bits, LQ__T_QUANT | LQ__T_PARAM},
#define GGML(T, n, v, g, be, bb, bits, fl, act, kern, ...) \
    [LQ_TYPE_##T] = {#n, g, 0, be, bb, bits, LQ__T_QUANT | LQ__T_GGML | (fl)},
static const lq__type_info table[LQ_TYPE_COUNT_] = {
    LQ__PLAIN_TYPES(PLAIN) LQ__PARAM_TYPES(PARAM) LQ__GGML_TYPES(GGML)
};
#undef GGML
#undef PARAM
#undef PLAIN

/* The lists and the public enum agree: each row's value is the enum's ... */
#define SAME_VALUE(T, n, v, ...) _Static_assert(LQ_TYPE_##T == (v), "LQ_TYPE_" #T " is " #v);
LQ__PLAIN_TYPES(SAME_VALUE)
LQ__PARAM_TYPES(SAME_VALUE)
LQ__GGML_TYPES(SAME_VALUE)
#undef SAME_VALUE

/* ... and the largest value is LQ_TYPE_COUNT_ - 1, so that a type added to
 * lq_types.h (which raises LQ_TYPE_COUNT_) cannot miss its row. A union of
 * char arrays of value + 1 bytes is as large as its largest member. */
#define SPAN(T, n, v, ...) char t_##T[(v) + 1];
union lq__type_span {
    LQ__PLAIN_TYPES(SPAN) LQ__PARAM_TYPES(SPAN) LQ__GGML_TYPES(SPAN)
};
#undef SPAN
_Static_assert(sizeof(union lq__type_span) == LQ_TYPE_COUNT_,
               "LQ_TYPE_COUNT_ is not one past the last row of type_list.h");

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
