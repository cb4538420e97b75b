/* codecs.c — the codec table: one row per type, and the helpers codecs share. */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/half.h"
#include "../core/type_info.h"
#include "codec.h"
#include "codecs_list.h"

static const lq__codec *const table[LQ_TYPE_COUNT_] = {
    [LQ_TYPE_F32] = &lq__codec_f32,
    [LQ_TYPE_F16] = &lq__codec_f16,
    [LQ_TYPE_BF16] = &lq__codec_bf16,
    [LQ_TYPE_F64] = &lq__codec_f64,
    [LQ_TYPE_I8] = &lq__codec_i8,
    [LQ_TYPE_U8] = &lq__codec_u8,
    [LQ_TYPE_I16] = &lq__codec_i16,
    [LQ_TYPE_I32] = &lq__codec_i32,
    [LQ_TYPE_I64] = &lq__codec_i64,
    LQ__CODECS_QUANTIZED
};

const lq__codec *lq__codec_for(lq_type type)
{
    if (type < 0 || type >= LQ_TYPE_COUNT_)
        return NULL;
    return table[type];
}

lq_status lq__codec_layout(const char *fn, const lq__qparams *qp, int64_t rows, int64_t cols,
                           lq__layout *out)
{
    const lq__type_info *ti = lq__type(qp->type);
    const lq__codec *c = lq__codec_for(qp->type);
    if (!ti || !c)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: type %s has no codec in this build", fn,
                        ti ? ti->name : "?");
    lq_status st = c->check(qp, rows, cols);
    if (st != LQ_OK) {
        lq__error_prefix(fn);
        return st;
    }
    if (!c->layout(qp, rows, cols, out))
        return lq__fail(LQ_ERR_NOMEM, "%s: a [%lld, %lld] %s tensor does not fit in memory", fn,
                        (long long)rows, (long long)cols, ti->name);
    return LQ_OK;
}

bool lq__layout_planes(lq__layout *out, int nplanes, const size_t *bytes)
{
    size_t off = 0;
    out->nplanes = nplanes;
    for (int i = 0; i < nplanes; i++) {
        out->offset[i] = off;
        out->bytes[i] = bytes[i];
        if (!lq__add_size(off, bytes[i], &off))
            return false;
    }
    out->total = off;
    return true;
}

float lq__scale_load(const uint8_t *plane, lq_type scale_type, size_t index)
{
    if (scale_type == LQ_TYPE_F32) {
        float f;
        memcpy(&f, plane + 4 * index, 4);
        return f;
    }
    uint16_t h;
    memcpy(&h, plane + 2 * index, 2);
    return lq__f16_to_f32(h);
}

void lq__scale_store(uint8_t *plane, lq_type scale_type, size_t index, float value)
{
    if (scale_type == LQ_TYPE_F32) {
        memcpy(plane + 4 * index, &value, 4);
        return;
    }
    uint16_t h = lq__f32_to_f16(value);
    memcpy(plane + 2 * index, &h, 2);
}

float lq__scale_round(lq_type scale_type, float value)
{
    return scale_type == LQ_TYPE_F32 ? value : lq__f16_to_f32(lq__f32_to_f16(value));
}
