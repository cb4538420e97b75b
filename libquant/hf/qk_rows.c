/* qk_rows.c — a Q or K weight of the runner (rows in llama.cpp's order)
 * put back in the checkpoint's row order, quantized or not, by moving each
 * row's bytes in every plane (doc/formats.md): exact, since every layout a
 * checkpoint format holds keeps a row's codes, scales and zero points apart
 * from the other rows' (or shares one scale for the whole tensor). */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/tensor.h"
#include "../formats/linear.h"
#include "model.h"
#include "qk_rows.h"

#define MAX_PLANES 3

/* A plane: `row` bytes per row, or `shared` bytes for the whole tensor. */
typedef struct {
    size_t row, shared;
} plane;

/* The planes of t; 0 with a message when its rows cannot be moved apart. */
static int planes_of(const char *fn, const lq_tensor *t, plane *p)
{
    int64_t rows = lq__tensor_rows(t), cols = lq__tensor_cols(t);
    lq_type type = t->type;
    if (!t->scheme) { /* a plain float tensor */
        p[0] = (plane){t->nbytes / (size_t)(rows ? rows : 1), 0};
        return 1;
    }
    const lq__qparams *qp = &t->scheme->qp;
    int bits = lq__linear_bits(type);
    if (bits) {
        bool tensor = qp->group == LQ_GROUP_TENSOR;
        size_t per = qp->group > 0 ? (size_t)(cols / qp->group) : 1;
        size_t sb = qp->scale_type == LQ_TYPE_F32 ? 4 : 2;
        p[0] = (plane){(size_t)((cols * bits + 7) / 8), 0};
        p[1] = tensor ? (plane){0, sb} : (plane){per * sb, 0};
        p[2] = tensor ? (plane){0, 1} : (plane){per, 0};
        return qp->sym ? 2 : 3;
    }
    if (type == LQ_TYPE_FP8_E4M3 || type == LQ_TYPE_FP8_E5M2) {
        p[0] = (plane){(size_t)cols, 0};
        p[1] = qp->group == LQ_GROUP_TENSOR ? (plane){0, 4} : (plane){4, 0};
        return 2;
    }
    if ((type == LQ_TYPE_NF4 || type == LQ_TYPE_FP4) && !qp->double_quant && cols % 2 == 0 &&
        cols % qp->block == 0) { /* the flattened blocks then never cross a row */
        p[0] = (plane){(size_t)cols / 2, 0};
        p[1] = (plane){(size_t)(cols / qp->block) * 4, 0};
        return 2;
    }
    lq__fail(LQ_ERR_UNSUPPORTED, "%s: tensor '%s' (%s): its rows cannot be reordered back to the "
             "checkpoint's Q/K order (blocks that cross rows, or double quantization)", fn,
             t->name, lq_type_name(type));
    return 0;
}

lq_status lq__hf_qk_unpermute(const char *fn, const lq_tensor *t, int64_t heads, lq_tensor **out)
{
    *out = NULL;
    int64_t rows = lq__tensor_rows(t);
    if (heads <= 0 || rows % heads != 0 || (rows / heads) % 2 != 0)
        return lq__fail(LQ_ERR_SHAPE, "%s: tensor '%s': %lld rows are not %lld heads of an even "
                        "size", fn, t->name, (long long)rows, (long long)heads);
    plane p[MAX_PLANES];
    int n = planes_of(fn, t, p);
    if (!n)
        return LQ_ERR_UNSUPPORTED;
    size_t total = 0;
    for (int k = 0; k < n; k++)
        total += p[k].row * (size_t)rows + p[k].shared;
    if (total != t->nbytes)
        return lq__fail(LQ_ERR_FORMAT, "%s: tensor '%s' holds %zu bytes, its layout %zu", fn,
                        t->name, t->nbytes, total);
    lq_status st = lq__tensor_alloc(fn, t->type, t->ndim, t->shape, t->name, t->nbytes, t->scheme,
                                    out);
    if (st != LQ_OK)
        return st;
    const uint8_t *src = t->data;
    uint8_t *dst = (*out)->data;
    for (int k = 0; k < n; k++) {
        if (p[k].shared) {
            memcpy(dst, src, p[k].shared);
        } else {
            for (int64_t r = 0; r < rows; r++)
                memcpy(dst + (size_t)lq__hf_qk_src_row(rows, heads, r) * p[k].row,
                       src + (size_t)r * p[k].row, p[k].row);
        }
        size_t size = p[k].row * (size_t)rows + p[k].shared;
        src += size;
        dst += size;
    }
    return LQ_OK;
}
