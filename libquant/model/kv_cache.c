/* kv_cache.c — the KV cache in f32, f16, int8 or FP8 E4M3 with per-head scales. */
#include <math.h>
#include <string.h>

#include <lq/lq_quality.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/half.h"
#include "../formats/fp8.h"
#include "kv_cache.h"

static size_t elem_bytes(int type)
{
    return type == LQ_KV_F32 ? 4 : type == LQ_KV_F16 ? 2 : 1;
}

static bool has_scales(int type)
{
    return type == LQ_KV_INT8 || type == LQ_KV_FP8;
}

lq_status lq__kv_init(lq__kv *kv, int type, int64_t n_layer, int64_t n_head_kv, int64_t head_dim,
                      int64_t n_ctx, const char *fn)
{
    memset(kv, 0, sizeof *kv);
    if (!lq_kv_type_name(type))
        return lq__fail(LQ_ERR_INVALID, "%s: unknown KV type %d", fn, type);
    kv->type = type;
    kv->n_layer = n_layer;
    kv->n_head_kv = n_head_kv;
    kv->head_dim = head_dim;
    kv->n_ctx = n_ctx;
    size_t vectors, code_bytes, scale_bytes = 0;
    if (!lq__mul_size((size_t)n_ctx, (size_t)n_head_kv, &vectors) ||
        !lq__mul_size(vectors, (size_t)head_dim * elem_bytes(type), &code_bytes) ||
        (has_scales(type) && !lq__mul_size(vectors, sizeof(float), &scale_bytes)))
        return lq__fail(LQ_ERR_NOMEM, "%s: a KV cache of %lld tokens is too large", fn,
                        (long long)n_ctx);
    kv->codes = lq__calloc((size_t)n_layer * 2, sizeof *kv->codes);
    kv->scales = lq__calloc((size_t)n_layer * 2, sizeof *kv->scales);
    bool ok = kv->codes && kv->scales;
    for (int64_t i = 0; ok && i < n_layer * 2; i++) {
        kv->codes[i] = lq__malloc(code_bytes);
        ok = kv->codes[i] != NULL;
        kv->bytes += code_bytes;
        if (ok && scale_bytes) {
            kv->scales[i] = lq__malloc(scale_bytes);
            ok = kv->scales[i] != NULL;
            kv->bytes += scale_bytes;
        }
    }
    if (!ok) {
        lq__kv_free(kv);
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate the KV cache (%lld layers x %zu bytes)",
                        fn, (long long)n_layer, 2 * (code_bytes + scale_bytes));
    }
    return LQ_OK;
}

void lq__kv_free(lq__kv *kv)
{
    for (int64_t i = 0; kv->codes && i < kv->n_layer * 2; i++) {
        lq__free(kv->codes[i]);
        if (kv->scales)
            lq__free(kv->scales[i]);
    }
    lq__free(kv->codes);
    lq__free(kv->scales);
    memset(kv, 0, sizeof *kv);
}

/* One head vector of d floats into 8-bit codes and its scale. A zero vector
 * gets scale 0 and zero codes. */
static float encode8(int type, const float *x, int64_t d, uint8_t *codes)
{
    float amax = 0;
    for (int64_t i = 0; i < d; i++)
        amax = fmaxf(amax, fabsf(x[i]));
    float scale = amax / (type == LQ_KV_INT8 ? 127.0f : 448.0f);
    for (int64_t i = 0; i < d; i++) {
        float v = scale > 0 ? x[i] / scale : 0.0f;
        codes[i] = type == LQ_KV_INT8 ? (uint8_t)(int8_t)lrintf(fminf(fmaxf(v, -127.0f), 127.0f))
                                      : lq__f32_to_e4m3(v, 1);
    }
    return scale;
}

void lq__kv_store(lq__kv *kv, int64_t layer, int kind, int64_t pos, const float *x)
{
    int64_t d = kv->head_dim, row = kv->n_head_kv * d;
    uint8_t *codes = kv->codes[layer * 2 + kind] + (size_t)(pos * row) * elem_bytes(kv->type);
    switch (kv->type) {
    case LQ_KV_F32:
        memcpy(codes, x, (size_t)row * sizeof(float));
        break;
    case LQ_KV_F16:
        for (int64_t i = 0; i < row; i++) {
            uint16_t h = lq__f32_to_f16(x[i]);
            memcpy(codes + 2 * i, &h, 2);
        }
        break;
    default: {
        float *scales = kv->scales[layer * 2 + kind] + pos * kv->n_head_kv;
        for (int64_t h = 0; h < kv->n_head_kv; h++)
            scales[h] = encode8(kv->type, x + h * d, d, codes + h * d);
    }
    }
}

void lq__kv_load(const lq__kv *kv, int64_t layer, int kind, int64_t n, float *dst)
{
    const uint8_t *codes = kv->codes[layer * 2 + kind];
    const float *scales = kv->scales[layer * 2 + kind];
    int64_t d = kv->head_dim, count = n * kv->n_head_kv * d;
    switch (kv->type) {
    case LQ_KV_F32:
        memcpy(dst, codes, (size_t)count * sizeof(float));
        break;
    case LQ_KV_F16:
        for (int64_t i = 0; i < count; i++) {
            uint16_t h;
            memcpy(&h, codes + 2 * i, 2);
            dst[i] = lq__f16_to_f32(h);
        }
        break;
    case LQ_KV_INT8:
        for (int64_t i = 0; i < count; i++)
            dst[i] = (float)(int8_t)codes[i] * scales[i / d];
        break;
    default:
        for (int64_t i = 0; i < count; i++)
            dst[i] = lq__e4m3_to_f32(codes[i]) * scales[i / d];
    }
}

const float *lq__kv_f32(const lq__kv *kv, int64_t layer, int kind)
{
    return kv->type == LQ_KV_F32 ? (const float *)(const void *)kv->codes[layer * 2 + kind] : NULL;
}
