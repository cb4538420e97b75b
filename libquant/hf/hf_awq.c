/* hf_awq.c — AutoAWQ's "gemm" checkpoint layout (doc/hf-formats.md;
 * algorithms.md 2.5). Per layer, 4-bit only:
 *
 *   qweight  I32 [in, out / 8]        8 codes per word along the OUTPUT
 *                                     dimension, nibbles interleaved
 *   qzeros   I32 [groups, out / 8]    zero points as they are, interleaved
 *   scales   F16 [groups, out]        (F32 for scale=f32 tensors)
 *
 * Nibble i (bits 4i..4i+3) of word `col` holds output 8 col + order[i],
 * order = [0, 2, 4, 6, 1, 3, 5, 7] (AWQ_ORDER). W = (q - zero) * scale. */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "hf.h"
#include "layouts.h"

static const int order[8] = {0, 2, 4, 6, 1, 3, 5, 7};

/* One interleaved word from the 8 values v[0..7] of consecutive outputs. */
static int32_t pack8(const int32_t *v)
{
    uint32_t w = 0;
    for (int i = 0; i < 8; i++)
        w |= ((uint32_t)v[order[i]] & 15u) << (4 * i);
    return (int32_t)w;
}

static void unpack8(const uint8_t *word, int32_t *v)
{
    uint32_t w;
    memcpy(&w, word, 4);
    for (int i = 0; i < 8; i++)
        v[order[i]] = (int32_t)((w >> (4 * i)) & 15u);
}

lq_status lq__hf_awq_export(const char *fn, const lq_tensor *q, const char *prefix,
                            lq_safetensors *st)
{
    lq__hf_int h;
    lq_status s = lq__hf_int_from_tensor(fn, q, NULL, &h);
    if (s != LQ_OK)
        return s;
    const int64_t in = h.in, out = h.out, cols = out / 8;
    int32_t *qweight = NULL, *qzeros = NULL;
    if (h.bits != 4)
        s = lq__fail(LQ_ERR_INVALID, "%s: awq stores int4 only; '%s' is int%d", fn, q->name,
                     h.bits);
    else if (out % 8)
        s = lq__fail(LQ_ERR_SHAPE, "%s: awq packs 8 outputs per word; '%s' has %lld", fn, q->name,
                     (long long)out);
    if (s == LQ_OK) {
        qweight = lq__malloc((size_t)(in * cols) * 4 + 4);
        qzeros = lq__malloc((size_t)(h.ngroups * cols) * 4 + 4);
        if (!qweight || !qzeros)
            s = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    if (s == LQ_OK) {
        int32_t v[8];
        for (int64_t c = 0; c < in; c++)
            for (int64_t k = 0; k < cols; k++) {
                for (int i = 0; i < 8; i++)
                    v[i] = h.codes[(8 * k + i) * in + c];
                qweight[c * cols + k] = pack8(v);
            }
        for (int64_t g = 0; g < h.ngroups; g++)
            for (int64_t k = 0; k < cols; k++)
                qzeros[g * cols + k] = pack8(h.zeros + g * out + 8 * k);
        int64_t sw[2] = {in, cols}, sz[2] = {h.ngroups, cols};
        s = lq__hf_add(st, prefix, "qweight", "I32", 2, sw, qweight, (uint64_t)(in * cols) * 4);
        if (s == LQ_OK)
            s = lq__hf_add(st, prefix, "qzeros", "I32", 2, sz, qzeros,
                           (uint64_t)(h.ngroups * cols) * 4);
        if (s == LQ_OK)
            s = lq__hf_add_scales(st, prefix, &h);
    }
    lq__free(qweight);
    lq__free(qzeros);
    lq__hf_int_free(&h);
    return s;
}

lq_status lq__hf_awq_read(const char *fn, const lq_safetensors *st, const char *prefix,
                          lq__hf_int *h)
{
    lq__hf_part qw, qz, sc;
    lq_status s = lq__hf_find(st, prefix, "qweight", "I32", 2, &qw);
    if (s == LQ_OK)
        s = lq__hf_find(st, prefix, "scales", "F16,BF16,F32", 2, &sc);
    if (s == LQ_OK)
        s = lq__hf_find(st, prefix, "qzeros", "I32", 2, &qz);
    if (s != LQ_OK) {
        lq__error_prefix(fn);
        return s;
    }
    const int64_t in = qw.shape[0], cols = qw.shape[1], out = 8 * cols, ngroups = sc.shape[0];
    if (in < 1 || cols < 1 || ngroups < 1 || in % ngroups || sc.shape[1] != out ||
        qz.shape[0] != ngroups || qz.shape[1] != cols)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': qweight [%lld, %lld], scales [%lld, %lld] and "
                        "qzeros [%lld, %lld] do not describe one 4-bit layer", fn, prefix,
                        (long long)in, (long long)cols, (long long)ngroups, (long long)sc.shape[1],
                        (long long)qz.shape[0], (long long)qz.shape[1]);
    if ((s = lq__hf_int_alloc(h, out, in, ngroups)) != LQ_OK)
        return s;
    h->bits = 4;
    h->scale_type = strcmp(sc.dtype, "F16") == 0 ? LQ_TYPE_F16 : LQ_TYPE_F32;
    h->group = in / ngroups;
    int32_t v[8];
    for (int64_t c = 0; c < in; c++) {
        h->g_idx[c] = (int32_t)(c / h->group);
        for (int64_t k = 0; k < cols; k++) {
            unpack8(qw.data + 4 * (c * cols + k), v);
            for (int i = 0; i < 8; i++)
                h->codes[(8 * k + i) * in + c] = (uint8_t)v[i];
        }
    }
    for (int64_t g = 0; g < ngroups; g++) {
        for (int64_t k = 0; k < cols; k++)
            unpack8(qz.data + 4 * (g * cols + k), h->zeros + g * out + 8 * k);
        for (int64_t o = 0; o < out; o++)
            h->scales[g * out + o] = lq__hf_float(&sc, g * out + o);
    }
    return LQ_OK;
}
