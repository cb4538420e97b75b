/* codecs.c — the codec table (a row per type of core/type_list.h), and the
 * helpers codecs share. */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/half.h"
#include "../core/type_info.h"
#include "../core/type_list.h"
#include "codec.h"
#include "codecs_list.h"

#define PLAIN(T, n, ...) [LQ_TYPE_##T] = &lq__codec_##n,
#define PARAM(T, n, v, bits, codec) [LQ_TYPE_##T] = &lq__codec_##codec,
#define GGML(T, n, ...) [LQ_TYPE_##T] = &lq__codec_##n,
static const lq__codec *const table[LQ_TYPE_COUNT_] = {
    LQ__PLAIN_TYPES(PLAIN) LQ__PARAM_TYPES(PARAM) LQ__GGML_TYPES(GGML)
};
#undef GGML
#undef PARAM
#undef PLAIN

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
