/* hf.c — what the Hugging Face layouts share (hf.h). The public functions
 * are in hf_api.c, the table of layouts in layouts.c, one file per layout
 * does the rest. */
#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/half.h"
#include "../formats/linear.h"
#include "hf.h"

/* ---- tensors of a layer ---------------------------------------------------- */

bool lq__hf_name(char *name, const char *prefix, const char *part)
{
    size_t a = strlen(prefix), b = strlen(part), dot = part[0] != '_';
    if (a + dot + b > LQ_MAX_NAME)
        return false;
    memcpy(name, prefix, a);
    name[a] = '.';
    memcpy(name + a + dot, part, b + 1);
    return true;
}

/* Is dtype one of the comma-separated names in list? */
static bool dtype_in(const char *dtype, const char *list)
{
    size_t n = strlen(dtype);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, dtype, n) == 0)
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

lq_status lq__hf_find(const lq_safetensors *st, const char *prefix, const char *part,
                      const char *dtypes, int ndim, lq__hf_part *out)
{
    char name[LQ_MAX_NAME + 1];
    if (!lq__hf_name(name, prefix, part))
        return lq__fail(LQ_ERR_INVALID, "prefix '%.64s...' is too long", prefix);
    int64_t i = lq_safetensors_find_tensor(st, name);
    if (i < 0)
        return lq__fail(LQ_ERR_FORMAT, "no tensor '%s'", name);
    out->dtype = lq_safetensors_tensor_dtype(st, i);
    out->ndim = lq_safetensors_tensor_ndim(st, i);
    if (!dtype_in(out->dtype, dtypes))
        return lq__fail(LQ_ERR_FORMAT, "tensor '%s' is %s; expected %s", name, out->dtype, dtypes);
    if (ndim >= 0 && out->ndim != ndim)
        return lq__fail(LQ_ERR_FORMAT, "tensor '%s' has %d dimensions; expected %d", name,
                        out->ndim, ndim);
    if (out->ndim > 8)
        return lq__fail(LQ_ERR_FORMAT, "tensor '%s' has %d dimensions", name, out->ndim);
    for (int d = 0; d < out->ndim; d++)
        out->shape[d] = lq_safetensors_tensor_dim(st, i, d);
    const void *data;
    lq_status s = lq_safetensors_tensor_raw(st, i, &data, &out->nbytes);
    out->data = data;
    return s;
}

lq_status lq__hf_add(lq_safetensors *st, const char *prefix, const char *part, const char *dtype,
                     int ndim, const int64_t *shape, const void *data, uint64_t nbytes)
{
    char name[LQ_MAX_NAME + 1];
    if (!lq__hf_name(name, prefix, part))
        return lq__fail(LQ_ERR_INVALID, "prefix '%.64s...' is too long", prefix);
    return lq_safetensors_add_tensor_raw(st, name, dtype, ndim, shape, data, nbytes, LQ_COPY);
}

float lq__hf_float(const lq__hf_part *p, int64_t i)
{
    if (strcmp(p->dtype, "F32") == 0) {
        float f;
        memcpy(&f, p->data + 4 * i, 4);
        return f;
    }
    uint16_t h;
    memcpy(&h, p->data + 2 * i, 2);
    return strcmp(p->dtype, "F16") == 0 ? lq__f16_to_f32(h) : lq__bf16_to_f32(h);
}

int32_t lq__hf_i32(const lq__hf_part *p, int64_t i)
{
    int32_t v;
    memcpy(&v, p->data + 4 * i, 4);
    return v;
}

void lq__hf_put_bits(int32_t *words, int64_t stride, int64_t j, int bits, uint32_t v)
{
    int64_t bit = j * bits, k = bit / 32;
    int off = (int)(bit % 32);
    v &= (1u << bits) - 1u;
    words[k * stride] = (int32_t)((uint32_t)words[k * stride] | v << off);
    if (off + bits > 32)
        words[(k + 1) * stride] = (int32_t)((uint32_t)words[(k + 1) * stride] | v >> (32 - off));
}

static uint32_t word_at(const uint8_t *words, int64_t k)
{
    uint32_t w;
    memcpy(&w, words + 4 * k, 4); /* file data need not be aligned */
    return w;
}

uint32_t lq__hf_get_bits(const uint8_t *words, int64_t stride, int64_t j, int bits)
{
    int64_t bit = j * bits, k = bit / 32;
    int off = (int)(bit % 32);
    uint64_t v = word_at(words, k * stride) >> off;
    if (off + bits > 32)
        v |= (uint64_t)word_at(words, (k + 1) * stride) << (32 - off);
    return (uint32_t)v & ((1u << bits) - 1u);
}

/* ---- the int weight of GPTQ and AWQ ---------------------------------------- */

lq_status lq__hf_int_alloc(lq__hf_int *h, int64_t out, int64_t in, int64_t ngroups)
{
    memset(h, 0, sizeof *h);
    h->out = out;
    h->in = in;
    h->ngroups = ngroups;
    size_t cells = (size_t)(out * in), params = (size_t)(ngroups * out);
    h->codes = lq__malloc(cells + 1);
    h->zeros = lq__malloc((params + 1) * sizeof *h->zeros);
    h->scales = lq__malloc((params + 1) * sizeof *h->scales);
    h->g_idx = lq__malloc((size_t)(in + 1) * sizeof *h->g_idx);
    if (!h->codes || !h->zeros || !h->scales || !h->g_idx) {
        lq__hf_int_free(h);
        return lq__fail(LQ_ERR_NOMEM, "out of memory for a [%lld, %lld] layer", (long long)out,
                        (long long)in);
    }
    return LQ_OK;
}

void lq__hf_int_free(lq__hf_int *h)
{
    lq__free(h->codes);
    lq__free(h->zeros);
    lq__free(h->scales);
    lq__free(h->g_idx);
    memset(h, 0, sizeof *h);
}

lq_status lq__hf_int_from_tensor(const char *fn, const lq_tensor *q, const int32_t *perm,
                                 lq__hf_int *h)
{
    const lq_scheme *s = q->scheme;
    int bits = s ? lq__linear_bits(s->qp.type) : 0;
    if (!bits || q->ndim != 2)
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%s' is not a 2-D int8/int4/int3/int2 weight",
                        fn, q->name);
    int64_t out = q->shape[0], in = q->shape[1];
    lq__layout layout;
    lq_status st = lq__codec_layout(fn, &s->qp, out, in, &layout);
    if (st != LQ_OK)
        return st;
    lq__linear_map m;
    lq__linear_map_init(&m, &s->qp, out, in, &layout);
    int64_t ngroups = m.per_tensor ? 1 : m.row_params;
    if ((st = lq__hf_int_alloc(h, out, in, ngroups)) != LQ_OK)
        return st;
    h->bits = bits;
    h->sym = s->qp.sym;
    h->scale_type = s->qp.scale_type;
    h->group = in / ngroups;
    uint8_t *seen = lq__calloc((size_t)in + 1, 1);
    for (int64_t j = 0; seen && j < in; j++) {
        int64_t src = perm ? perm[j] : j;
        if (src < 0 || src >= in || seen[src]++) {
            st = lq__fail(LQ_ERR_INVALID, "%s: perm is not a permutation of 0..%lld", fn,
                          (long long)(in - 1));
            break;
        }
        h->g_idx[src] = (int32_t)(j / h->group);
        for (int64_t o = 0; o < out; o++)
            h->codes[o * in + src] =
                (uint8_t)lq__linear_get_code(q->data + m.codes + (size_t)o * m.row_bytes, j, bits);
    }
    if (!seen)
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    lq__free(seen);
    for (int64_t g = 0; st == LQ_OK && g < ngroups; g++)
        for (int64_t o = 0; o < out; o++) {
            size_t index = m.per_tensor ? 0 : (size_t)(o * m.row_params + g);
            lq__linear_param p = lq__linear_load_param(q->data, &m, index);
            h->scales[g * out + o] = p.scale;
            h->zeros[g * out + o] = p.zero;
        }
    if (st != LQ_OK)
        lq__hf_int_free(h);
    return st;
}

lq_status lq__hf_int_to_tensor(const char *fn, const lq__hf_int *h, const char *name,
                               lq_tensor **out, int32_t *perm)
{
    const int64_t in = h->in, no = h->out, group = h->group;
    if (group * h->ngroups != in)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: %lld groups do not split %lld columns evenly", fn,
                        (long long)h->ngroups, (long long)in);
    /* columns in order of their group, stably: a group's columns must then
     * be consecutive and exactly `group` of them */
    int32_t *order = lq__malloc((size_t)(in + 1) * sizeof *order);
    int64_t *fill = lq__calloc((size_t)h->ngroups + 1, sizeof *fill);
    lq_status st = order && fill ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    int identity = 1, sym = 1;
    for (int64_t c = 0; st == LQ_OK && c < in; c++) {
        int64_t g = h->g_idx[c];
        if (fill[g] == group) {
            st = lq__fail(LQ_ERR_UNSUPPORTED, "%s: group %lld of g_idx has more than %lld columns",
                          fn, (long long)g, (long long)group);
            break;
        }
        order[g * group + fill[g]++] = (int32_t)c;
    }
    for (int64_t j = 0; st == LQ_OK && j < in; j++)
        identity &= order[j] == j;
    if (st == LQ_OK && !identity && !perm)
        st = lq__fail(LQ_ERR_INVALID, "%s: g_idx orders the columns; pass perm to receive the "
                      "order", fn);
    for (int64_t i = 0; st == LQ_OK && i < h->ngroups * no; i++) {
        if (h->zeros[i] < 0 || h->zeros[i] > 255)
            st = lq__fail(LQ_ERR_UNSUPPORTED, "%s: zero point %d does not fit a byte", fn,
                          (int)h->zeros[i]);
        sym &= h->zeros[i] == 1 << (h->bits - 1);
    }
    char text[64];
    char gtext[24];
    if (h->ngroups == 1)
        strcpy(gtext, "channel");
    else
        snprintf(gtext, sizeof gtext, "g%lld", (long long)group);
    snprintf(text, sizeof text, "int%d:%s:%s:scale=%s", h->bits, gtext, sym ? "sym" : "asym",
             h->scale_type == LQ_TYPE_F32 ? "f32" : "f16");
    lq_scheme *s = NULL;
    lq__layout layout;
    uint8_t *bytes = NULL;
    if (st == LQ_OK)
        st = lq_scheme_parse(text, &s);
    if (st == LQ_OK)
        st = lq__codec_layout(fn, &s->qp, no, in, &layout);
    if (st == LQ_OK && !(bytes = lq__calloc(layout.total + 1, 1)))
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (st == LQ_OK) {
        lq__linear_map m;
        lq__linear_map_init(&m, &s->qp, no, in, &layout);
        for (int64_t o = 0; o < no; o++) {
            uint8_t *row = bytes + m.codes + (size_t)o * m.row_bytes;
            for (int64_t j = 0; j < in; j++)
                lq__linear_put_code(row, j, h->bits, h->codes[o * in + order[j]]);
            for (int64_t g = 0; g < h->ngroups; g++) {
                lq__linear_param p = {h->scales[g * no + o], h->zeros[g * no + o]};
                lq__linear_store_param(bytes, &m, (size_t)(o * m.row_params + g), p);
            }
        }
        int64_t shape[2] = {no, in};
        st = lq_tensor_wrap_quantized(s, 2, shape, bytes, layout.total, LQ_COPY, name, out);
    }
    for (int64_t j = 0; st == LQ_OK && perm && j < in; j++)
        perm[j] = order[j];
    lq_scheme_free(s);
    lq__free(bytes);
    lq__free(order);
    lq__free(fill);
    return st;
}

lq_status lq__hf_add_scales(lq_safetensors *st, const char *prefix, const lq__hf_int *h)
{
    const int f32 = h->scale_type == LQ_TYPE_F32;
    const int64_t n = h->ngroups * h->out, shape[2] = {h->ngroups, h->out};
    uint8_t *b = lq__malloc((size_t)n * (f32 ? 4 : 2) + 1);
    if (!b)
        return lq__fail(LQ_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++) {
        uint16_t hv = lq__f32_to_f16(h->scales[i]); /* exact: the scales came from f16 */
        if (f32)
            memcpy(b + 4 * i, &h->scales[i], 4);
        else
            memcpy(b + 2 * i, &hv, 2);
    }
    lq_status s = lq__hf_add(st, prefix, "scales", f32 ? "F32" : "F16", 2, shape, b,
                             (uint64_t)n * (f32 ? 4 : 2));
    lq__free(b);
    return s;
}

void lq__hf_int_decode(const lq__hf_int *h, float *out)
{
    for (int64_t o = 0; o < h->out; o++)
        for (int64_t c = 0; c < h->in; c++) {
            int64_t i = h->g_idx[c] * h->out + o;
            out[o * h->in + c] = h->scales[i] * (float)((int)h->codes[o * h->in + c] - h->zeros[i]);
        }
}
