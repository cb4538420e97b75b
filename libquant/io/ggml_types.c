/* ggml_types.c — the ggml tensor types GGUF defines, from the rows of
 * core/type_list.h. */
#include <stddef.h>

#include "../core/type_info.h"
#include "../core/type_list.h"
#include "ggml_types.h"

/* Searched by id: the plain type without a ggml id (u8, -1) never matches. */
#define PLAIN(T, n, v, g, b, fl) {g, {#n, 1, b}},
#define GGML(T, n, v, g, be, bb, ...) {g, {#n, be, bb}},
#define FOREIGN(n, g, be, bb) {g, {#n, be, bb}},
static const struct {
    int id;
    lq__ggml_type type;
} table[] = {LQ__PLAIN_TYPES(PLAIN) LQ__GGML_TYPES(GGML) LQ__GGML_FOREIGN_TYPES(FOREIGN)};
#undef FOREIGN
#undef GGML
#undef PLAIN

const lq__ggml_type *lq__ggml_lookup(int id)
{
    for (size_t i = 0; id >= 0 && i < sizeof table / sizeof *table; i++)
        if (table[i].id == id)
            return &table[i].type;
    return NULL;
}

lq_type lq__lq_type_of_ggml(int id)
{
    for (lq_type t = 0; t < LQ_TYPE_COUNT_; t++) {
        const lq__type_info *ti = lq__type(t);
        if (ti && ti->ggml_id == id)
            return t;
    }
    return -1;
}

bool lq__ggml_nbytes(const lq__ggml_type *t, int ndim, const int64_t *ne, uint64_t *out,
                     const char **why)
{
    for (int i = 0; i < ndim; i++) {
        if (ne[i] < 0) {
            *why = "a dimension is negative";
            return false;
        }
    }
    if (ne[0] % t->block_elems != 0) {
        *why = "the row length is not a multiple of the type's block";
        return false;
    }
    /* The element count must fit in int64, as ggml requires, and so must the
     * product of the nonzero dimensions: a tensor with a zero dimension is
     * empty, but its shape is still multiplied out in other orders. */
    uint64_t nonzero = 1;
    bool empty = false;
    for (int i = 0; i < ndim; i++) {
        if (ne[i] == 0) {
            empty = true;
            continue;
        }
        if (nonzero > (uint64_t)INT64_MAX / (uint64_t)ne[i]) {
            *why = "the element count overflows 64 bits";
            return false;
        }
        nonzero *= (uint64_t)ne[i];
    }
    uint64_t elems = empty ? 0 : nonzero;
    uint64_t blocks = elems / (uint64_t)t->block_elems;
    if (blocks > UINT64_MAX / (uint64_t)t->block_bytes) {
        *why = "the byte size overflows 64 bits";
        return false;
    }
    *out = blocks * (uint64_t)t->block_bytes;
    return true;
}
