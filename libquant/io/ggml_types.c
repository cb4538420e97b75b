/* ggml_types.c — the ggml tensor types GGUF defines (ids from ggml.h's enum
 * ggml_type, sizes from ggml-common.h). */
#include <stddef.h>

#include "../core/type_info.h"
#include "ggml_types.h"

static const lq__ggml_type table[] = {
    [0] = {"f32", 1, 4},        [1] = {"f16", 1, 2},        [2] = {"q4_0", 32, 18},
    [3] = {"q4_1", 32, 20},     [6] = {"q5_0", 32, 22},     [7] = {"q5_1", 32, 24},
    [8] = {"q8_0", 32, 34},     [9] = {"q8_1", 32, 36},     [10] = {"q2_k", 256, 84},
    [11] = {"q3_k", 256, 110},  [12] = {"q4_k", 256, 144},  [13] = {"q5_k", 256, 176},
    [14] = {"q6_k", 256, 210},  [15] = {"q8_k", 256, 292},  [16] = {"iq2_xxs", 256, 66},
    [17] = {"iq2_xs", 256, 74}, [18] = {"iq3_xxs", 256, 98}, [19] = {"iq1_s", 256, 50},
    [20] = {"iq4_nl", 32, 18},  [21] = {"iq3_s", 256, 110}, [22] = {"iq2_s", 256, 82},
    [23] = {"iq4_xs", 256, 136}, [24] = {"i8", 1, 1},       [25] = {"i16", 1, 2},
    [26] = {"i32", 1, 4},       [27] = {"i64", 1, 8},       [28] = {"f64", 1, 8},
    [29] = {"iq1_m", 256, 56},  [30] = {"bf16", 1, 2},      [34] = {"tq1_0", 256, 54},
    [35] = {"tq2_0", 256, 66},  [39] = {"mxfp4", 32, 17},   [40] = {"nvfp4", 64, 36},
    [41] = {"q1_0", 128, 18},   [42] = {"q2_0", 64, 18},
};

const lq__ggml_type *lq__ggml_lookup(int id)
{
    if (id < 0 || (size_t)id >= sizeof table / sizeof *table || !table[id].name)
        return NULL;
    return &table[id];
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
