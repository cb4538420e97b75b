/* hf_gptq.c — AutoGPTQ's "gptq" checkpoint layout (v1) and GPTQModel's
 * "gptq_v2" (doc/hf-formats.md; algorithms.md 1.7). Per layer:
 *
 *   qweight  I32 [in * bits / 32, out]   codes, one LSB-first bit stream per
 *                                         output down the input dimension
 *                                         (for 3 bits: 32 values in 3 words)
 *   qzeros   I32 [groups, out * bits / 32] zero points along the outputs,
 *                                         minus 1 in v1, as they are in v2
 *   scales   F16 [groups, out]            (F32 for scale=f32 tensors)
 *   g_idx    I32 [in]                     the group of each input column
 *
 * W[o, c] = scales[g, o] * (q[c, o] - zero[g, o]) with g = g_idx[c]. */
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "hf.h"
#include "layouts.h"

static int valid_bits(int b) { return b == 2 || b == 3 || b == 4 || b == 8; }

lq_status lq__hf_gptq_export(const char *fn, const lq_tensor *q, const int32_t *perm, int v2,
                             const char *prefix, lq_safetensors *st)
{
    lq__hf_int h;
    lq_status s = lq__hf_int_from_tensor(fn, q, perm, &h);
    if (s != LQ_OK)
        return s;
    const int64_t in = h.in, out = h.out, b = h.bits;
    int32_t *qweight = NULL, *qzeros = NULL;
    if ((in * b) % 32 || (out * b) % 32)
        s = lq__fail(LQ_ERR_SHAPE, "%s: gptq packs %lld-bit codes into 32-bit words: in (%lld) and "
                     "out (%lld) must be multiples of %lld", fn, (long long)b, (long long)in,
                     (long long)out, (long long)(b == 3 ? 32 : 32 / b));
    for (int64_t i = 0; s == LQ_OK && !v2 && !h.sym && i < h.ngroups * out; i++)
        if (h.zeros[i] == 0)
            s = lq__fail(LQ_ERR_UNSUPPORTED, "%s: gptq v1 stores zero - 1, and a group of '%s' has "
                         "zero point 0 (v1 loaders would read 2^bits); use gptq_v2 or awq", fn,
                         q->name);
    const int64_t qrows = in * b / 32, zcols = out * b / 32;
    if (s == LQ_OK) {
        qweight = lq__calloc((size_t)(qrows * out) + 1, sizeof *qweight);
        qzeros = lq__calloc((size_t)(h.ngroups * zcols) + 1, sizeof *qzeros);
        if (!qweight || !qzeros)
            s = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    if (s == LQ_OK) {
        for (int64_t o = 0; o < out; o++)
            for (int64_t c = 0; c < in; c++)
                lq__hf_put_bits(qweight + o, out, c, (int)b, h.codes[o * in + c]);
        for (int64_t g = 0; g < h.ngroups; g++)
            for (int64_t o = 0; o < out; o++)
                lq__hf_put_bits(qzeros + g * zcols, 1, o, (int)b,
                                (uint32_t)(h.zeros[g * out + o] - (v2 ? 0 : 1)));
        int64_t sw[2] = {qrows, out}, sz[2] = {h.ngroups, zcols}, sg[1] = {in};
        s = lq__hf_add(st, prefix, "qweight", "I32", 2, sw, qweight, (uint64_t)(qrows * out) * 4);
        if (s == LQ_OK)
            s = lq__hf_add(st, prefix, "qzeros", "I32", 2, sz, qzeros,
                           (uint64_t)(h.ngroups * zcols) * 4);
        if (s == LQ_OK)
            s = lq__hf_add_scales(st, prefix, &h);
        if (s == LQ_OK)
            s = lq__hf_add(st, prefix, "g_idx", "I32", 1, sg, h.g_idx, (uint64_t)in * 4);
    }
    lq__free(qweight);
    lq__free(qzeros);
    lq__hf_int_free(&h);
    return s;
}

lq_status lq__hf_gptq_read(const char *fn, const lq_safetensors *st, int v2, const char *prefix,
                           lq__hf_int *h)
{
    lq__hf_part qw, qz, sc, gi;
    lq_status s = lq__hf_find(st, prefix, "g_idx", "I32", 1, &gi);
    if (s == LQ_OK)
        s = lq__hf_find(st, prefix, "qweight", "I32", 2, &qw);
    if (s == LQ_OK)
        s = lq__hf_find(st, prefix, "scales", "F16,BF16,F32", 2, &sc);
    if (s == LQ_OK)
        s = lq__hf_find(st, prefix, "qzeros", "I32", 2, &qz);
    if (s != LQ_OK) {
        lq__error_prefix(fn);
        return s;
    }
    const int64_t in = gi.shape[0], out = qw.shape[1], ngroups = sc.shape[0];
    const int bits = in > 0 && (qw.shape[0] * 32) % in == 0 ? (int)(qw.shape[0] * 32 / in) : 0;
    if (!valid_bits(bits) || in < 1 || out < 1)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': qweight [%lld, %lld] and g_idx [%lld] give no "
                        "bit width of 2, 3, 4 or 8", fn, prefix, (long long)qw.shape[0],
                        (long long)out, (long long)in);
    if (ngroups < 1 || sc.shape[1] != out || qz.shape[0] != ngroups ||
        qz.shape[1] * 32 != out * bits)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': scales [%lld, %lld] or qzeros [%lld, %lld] do "
                        "not fit %d-bit codes for %lld outputs", fn, prefix, (long long)ngroups,
                        (long long)sc.shape[1], (long long)qz.shape[0], (long long)qz.shape[1],
                        bits, (long long)out);
    if ((s = lq__hf_int_alloc(h, out, in, ngroups)) != LQ_OK)
        return s;
    h->bits = bits;
    h->scale_type = strcmp(sc.dtype, "F16") == 0 ? LQ_TYPE_F16 : LQ_TYPE_F32;
    h->group = (in + ngroups - 1) / ngroups;
    for (int64_t c = 0; c < in; c++) {
        int32_t g = lq__hf_i32(&gi, c);
        if (g < 0 || g >= ngroups) {
            lq__hf_int_free(h);
            return lq__fail(LQ_ERR_FORMAT, "%s: '%s': g_idx[%lld] = %d is not a group (0..%lld)",
                            fn, prefix, (long long)c, (int)g, (long long)(ngroups - 1));
        }
        h->g_idx[c] = g;
    }
    for (int64_t o = 0; o < out; o++)
        for (int64_t c = 0; c < in; c++)
            h->codes[o * in + c] = (uint8_t)lq__hf_get_bits(qw.data + 4 * o, out, c, bits);
    for (int64_t g = 0; g < ngroups; g++)
        for (int64_t o = 0; o < out; o++) {
            uint32_t z = lq__hf_get_bits(qz.data + 4 * g * qz.shape[1], 1, o, bits);
            h->zeros[g * out + o] = (int32_t)z + (v2 ? 0 : 1);
            h->scales[g * out + o] = lq__hf_float(&sc, g * out + o);
        }
    return LQ_OK;
}
