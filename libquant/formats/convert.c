/* convert.c — the layout parameters of any tensor, and quantized tensors over
 * bytes that are already laid out (lq_tensor_wrap_quantized). Decoding to
 * floats is in libquant/kernels/dequantize.c, which has the fast decoders. */
#include <string.h>

#include <lq/lq.h>

#include "../core/error.h"
#include "../core/tensor.h"
#include "../core/type_info.h"
#include "convert.h"

void lq__tensor_qparams(const lq_tensor *t, lq__qparams *qp)
{
    if (t->scheme) {
        *qp = t->scheme->qp;
        return;
    }
    memset(qp, 0, sizeof *qp);
    qp->type = t->type;
    qp->sym = 1;
    qp->scale_type = LQ_TYPE_F16;
}

lq_status lq_tensor_wrap_quantized(const lq_scheme *scheme, int ndim, const int64_t *shape,
                                   const void *data, size_t nbytes, int mode,
                                   const char *name, lq_tensor **out)
{
    static const char fn[] = "lq_tensor_wrap_quantized";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!scheme)
        return lq__fail(LQ_ERR_INVALID, "%s: scheme is NULL", fn);
    if (mode != LQ_BORROW && mode != LQ_COPY)
        return lq__fail(LQ_ERR_INVALID, "%s: mode %d is neither LQ_BORROW nor LQ_COPY", fn, mode);
    if (name && strlen(name) > LQ_MAX_NAME)
        return lq__fail(LQ_ERR_INVALID, "%s: name longer than %d bytes", fn, LQ_MAX_NAME);
    int64_t numel;
    lq_status st = lq__check_shape(fn, ndim, shape, &numel);
    if (st != LQ_OK)
        return st;
    int64_t cols = shape[ndim - 1], rows = cols ? numel / cols : 0; /* an empty tensor has no rows */
    lq__layout layout;
    st = lq__codec_layout(fn, &scheme->qp, rows, cols, &layout);
    if (st != LQ_OK)
        return st;
    if (layout.total != nbytes)
        return lq__fail(LQ_ERR_SHAPE, "%s: %s needs %zu bytes for this shape, got %zu", fn,
                        scheme->text, layout.total, nbytes);
    if (!data && nbytes)
        return lq__fail(LQ_ERR_INVALID, "%s: data is NULL", fn);
    lq_type type = scheme->qp.type;
    const lq_scheme *keep = lq__type(type)->flags & LQ__T_QUANT ? scheme : NULL;
    st = lq__tensor_alloc(fn, type, ndim, shape, name, mode == LQ_COPY ? nbytes : 0, keep, out);
    if (st != LQ_OK)
        return st;
    if (mode == LQ_COPY) {
        if (nbytes)
            memcpy((*out)->data, data, nbytes);
    } else {
        (*out)->data = (uint8_t *)(uintptr_t)data;
        (*out)->nbytes = nbytes;
        (*out)->owned = false;
    }
    return LQ_OK;
}
