/* hf_bnb.c — bitsandbytes' serialized layers (doc/hf-formats.md;
 * algorithms.md 3.4, 3.5).
 *
 * Linear4bit (nf4, fp4), at prefix P:
 *   P.weight                          U8  [(n + 1) / 2, 1]  codes, first element
 *                                                           in the high nibble
 *   P.weight.absmax                   F32 [blocks]          (U8 with double quant)
 *   P.weight.quant_map                F32 [16]              the code table
 *   P.weight.nested_absmax            F32 [ceil(blocks / 256)]   double quant
 *   P.weight.nested_quant_map         F32 [256]             the dynamic map
 *   P.weight.quant_state.bitsandbytes__nf4 (or __fp4)  U8  JSON: quant_type,
 *        blocksize, dtype, shape, and nested_blocksize, nested_dtype,
 *        nested_offset with double quant
 * These are libquant's nf4/fp4 planes as they are.
 *
 * Linear8bitLt (LLM.int8), at prefix P:
 *   P.weight I8 [out, in], P.SCB F32 [out] (row absmax), P.weight_format U8 []
 *   (0 = row-major); W = weight * SCB / 127. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/half.h"
#include "../kernels/dequantize.h"
#include "../formats/codecs_bnb4.h"
#include "../formats/linear.h"
#include "../io/json.h"
#include "hf.h"
#include "layouts.h"

#define NESTED_BLOCK 256

/* ---- Linear4bit -------------------------------------------------------------- */

static const char *state_part(lq_type type)
{
    return type == LQ_TYPE_FP4 ? "weight.quant_state.bitsandbytes__fp4"
                               : "weight.quant_state.bitsandbytes__nf4";
}

lq_status lq__hf_bnb4_export(const char *fn, const lq_tensor *q, const char *prefix,
                             lq_safetensors *st)
{
    const lq_scheme *s = q->scheme;
    if (!s || (s->qp.type != LQ_TYPE_NF4 && s->qp.type != LQ_TYPE_FP4))
        return lq__fail(LQ_ERR_INVALID, "%s: bnb4 stores nf4 or fp4; '%s' is %s", fn, q->name,
                        lq_type_name(q->type));
    int64_t n = lq_tensor_numel(q), blocks = (n + s->qp.block - 1) / s->qp.block;
    int64_t cols = q->shape[q->ndim - 1];
    lq__layout l;
    lq_status st_ = lq__codec_layout(fn, &s->qp, cols ? n / cols : 0, cols, &l);
    if (st_ != LQ_OK)
        return st_;
    const int dq = s->qp.double_quant;
    char json[512];
    int len = snprintf(json, sizeof json, "{\"quant_type\": \"%s\", \"blocksize\": %d, "
                       "\"dtype\": \"bfloat16\", \"shape\": [",
                       s->qp.type == LQ_TYPE_FP4 ? "fp4" : "nf4", s->qp.block);
    for (int d = 0; d < q->ndim; d++)
        len += snprintf(json + len, sizeof json - (size_t)len, "%s%lld", d ? ", " : "",
                        (long long)q->shape[d]);
    if (dq) {
        float offset;
        memcpy(&offset, q->data + l.offset[3], 4);
        len += snprintf(json + len, sizeof json - (size_t)len, "], \"nested_blocksize\": %d, "
                        "\"nested_dtype\": \"float32\", \"nested_offset\": %.9g}", NESTED_BLOCK,
                        (double)offset);
    } else {
        len += snprintf(json + len, sizeof json - (size_t)len, "]}");
    }
    int64_t sw[2] = {(n + 1) / 2, 1}, sa[1] = {blocks}, s16[1] = {16},
            sn[1] = {(blocks + NESTED_BLOCK - 1) / NESTED_BLOCK}, s256[1] = {256}, sj[1] = {len};
    st_ = lq__hf_add(st, prefix, "weight", "U8", 2, sw, q->data, l.bytes[0]);
    if (st_ == LQ_OK)
        st_ = lq__hf_add(st, prefix, "weight.absmax", dq ? "U8" : "F32", 1, sa,
                         q->data + l.offset[1], l.bytes[1]);
    if (st_ == LQ_OK)
        st_ = lq__hf_add(st, prefix, "weight.quant_map", "F32", 1, s16,
                         lq__bnb4_code(s->qp.type), 64);
    if (st_ == LQ_OK && dq)
        st_ = lq__hf_add(st, prefix, "weight.nested_absmax", "F32", 1, sn, q->data + l.offset[2],
                         l.bytes[2]);
    if (st_ == LQ_OK && dq)
        st_ = lq__hf_add(st, prefix, "weight.nested_quant_map", "F32", 1, s256,
                         lq__bnb_dynamic_map(), 1024);
    if (st_ == LQ_OK)
        st_ = lq__hf_add(st, prefix, state_part(s->qp.type), "U8", 1, sj, json, (uint64_t)len);
    return st_;
}

/* The quant state: type, block size, shape and, with double quant, the
 * offset. */
typedef struct {
    lq_type type;
    lq_type dtype; /* what the weight decodes to: bitsandbytes rounds its values to it */
    int block, dq, ndim;
    int64_t shape[LQ_MAX_DIMS];
    float offset;
} bnb_state;

static lq_status parse_state(const char *fn, const lq__hf_part *p, lq_type type, bnb_state *bs)
{
    lq__json_doc *doc = NULL;
    lq_status s = lq__json_parse(fn, "bnb quant state", (const char *)p->data, (size_t)p->nbytes,
                                 8, &doc);
    if (s != LQ_OK)
        return s;
    const lq__json *r = lq__json_root(doc), *bsz = lq__json_get(r, "blocksize"),
                   *shape = lq__json_get(r, "shape"), *off = lq__json_get(r, "nested_offset"),
                   *nb = lq__json_get(r, "nested_blocksize"), *dt = lq__json_get(r, "dtype");
    const char *why = NULL;
    memset(bs, 0, sizeof *bs);
    bs->type = type;
    bs->dtype = !dt || lq__json_is_str(dt, "float32") ? LQ_TYPE_F32
                : lq__json_is_str(dt, "bfloat16")     ? LQ_TYPE_BF16
                : lq__json_is_str(dt, "float16")      ? LQ_TYPE_F16
                                                      : (lq_type)-1;
    if (!lq__json_is_str(lq__json_get(r, "quant_type"), type == LQ_TYPE_FP4 ? "fp4" : "nf4"))
        why = "quant_type does not match the tensor's name";
    else if (!bsz || bsz->kind != LQ__JSON_INT || bsz->integer < 32 || bsz->integer > 4096 ||
             (bsz->integer & (bsz->integer - 1)))
        why = "blocksize is not a power of two from 32 to 4096";
    else if (!shape || shape->kind != LQ__JSON_ARRAY || shape->count < 1 ||
             shape->count > LQ_MAX_DIMS)
        why = "shape is not a list of 1 to 4 sizes";
    else if (off && (off->kind != LQ__JSON_INT && off->kind != LQ__JSON_REAL))
        why = "nested_offset is not a number";
    else if (off && (!nb || nb->kind != LQ__JSON_INT || nb->integer != NESTED_BLOCK))
        why = "nested_blocksize is not 256";
    else if (bs->dtype == (lq_type)-1)
        why = "dtype is not float32, bfloat16 or float16";
    if (!why) {
        bs->block = (int)bsz->integer;
        bs->ndim = (int)shape->count;
        for (int d = 0; d < bs->ndim && !why; d++) {
            const lq__json *v = &shape->items[d];
            if (v->kind != LQ__JSON_INT || v->integer < 0 || v->integer > ((int64_t)1 << 40))
                why = "a shape entry is not a size";
            else
                bs->shape[d] = v->integer;
        }
        bs->dq = off != NULL;
        bs->offset = off ? (float)off->real : 0.0f;
    }
    lq__json_free(doc);
    return why ? lq__fail(LQ_ERR_FORMAT, "%s: quant state: %s", fn, why) : LQ_OK;
}

/* A stored table must be the one libquant decodes with. */
static lq_status same_table(const char *fn, const lq__hf_part *p, const float *want, int n,
                            const char *what)
{
    if (p->shape[0] != n || memcmp(p->data, want, 4 * (size_t)n) != 0)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: %s differs from bitsandbytes' standard table", fn,
                        what);
    return LQ_OK;
}

/* A 4-bit layer's stored tensors and quant state, their sizes checked
 * against each other (not yet the tables' values). */
typedef struct {
    lq__hf_part w, am, qm, na, nm;
    bnb_state bs;
    lq_scheme *sc; /* "nf4:b64:dq" as libquant names the layout */
    lq__layout l;
    int64_t n;
} bnb4_parts;

static lq_status bnb4_read(const char *fn, const lq_safetensors *st, const char *prefix,
                           bnb4_parts *p)
{
    memset(p, 0, sizeof *p);
    lq__hf_part qs;
    lq_type type = LQ_TYPE_NF4;
    lq_status s = lq__hf_find(st, prefix, state_part(type), "U8", 1, &qs);
    if (s == LQ_ERR_FORMAT) {
        type = LQ_TYPE_FP4;
        s = lq__hf_find(st, prefix, state_part(type), "U8", 1, &qs);
    }
    if (s == LQ_OK)
        s = lq__hf_find(st, prefix, "weight", "U8", -1, &p->w);
    if (s == LQ_OK)
        s = lq__hf_find(st, prefix, "weight.quant_map", "F32", 1, &p->qm);
    if (s != LQ_OK) {
        lq__error_prefix(fn);
        return s;
    }
    bnb_state *bs = &p->bs;
    if ((s = parse_state(fn, &qs, type, bs)) != LQ_OK)
        return s;
    s = lq__hf_find(st, prefix, "weight.absmax", bs->dq ? "U8" : "F32", 1, &p->am);
    if (s == LQ_OK && bs->dq)
        s = lq__hf_find(st, prefix, "weight.nested_absmax", "F32", 1, &p->na);
    if (s == LQ_OK && bs->dq)
        s = lq__hf_find(st, prefix, "weight.nested_quant_map", "F32", 1, &p->nm);
    if (s != LQ_OK) {
        lq__error_prefix(fn);
        return s;
    }
    if (p->qm.shape[0] != 16 || (bs->dq && p->nm.shape[0] != 256))
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': quant_map has %lld entries (16), "
                        "nested_quant_map %lld (256)", fn, prefix, (long long)p->qm.shape[0],
                        (long long)(bs->dq ? p->nm.shape[0] : 256));
    char text[48];
    snprintf(text, sizeof text, "%s:b%d%s", type == LQ_TYPE_FP4 ? "fp4" : "nf4", bs->block,
             bs->dq ? ":dq" : "");
    if ((s = lq_scheme_parse(text, &p->sc)) != LQ_OK)
        return s;
    /* the codes bound the element count: 2 per byte */
    int64_t n = 1, cols = bs->shape[bs->ndim - 1], most = 2 * (int64_t)p->w.nbytes;
    for (int d = 0; d < bs->ndim && s == LQ_OK; d++) {
        if (bs->shape[d] && n > most / bs->shape[d])
            s = lq__fail(LQ_ERR_FORMAT, "%s: '%s': the quant state's shape needs more codes than "
                         "the weight holds", fn, prefix);
        n *= bs->shape[d];
    }
    p->n = n;
    if (s == LQ_OK)
        s = lq__codec_layout(fn, &p->sc->qp, cols ? n / cols : 0, cols, &p->l);
    if (s == LQ_OK && (p->w.nbytes != p->l.bytes[0] || p->am.nbytes != p->l.bytes[1] ||
                       (bs->dq && p->na.nbytes != p->l.bytes[2])))
        s = lq__fail(LQ_ERR_FORMAT, "%s: '%s': the codes or block scales do not fit a %s tensor of "
                     "%lld elements", fn, prefix, text, (long long)n);
    return s;
}

lq_status lq__hf_bnb4_import(const char *fn, const lq_safetensors *st, const char *prefix,
                             lq_tensor **out)
{
    bnb4_parts p;
    lq_status s = bnb4_read(fn, st, prefix, &p);
    /* a tensor of libquant's type decodes with the standard tables */
    if (s == LQ_OK)
        s = same_table(fn, &p.qm, lq__bnb4_code(p.bs.type), 16, "quant_map");
    if (s == LQ_OK && p.bs.dq)
        s = same_table(fn, &p.nm, lq__bnb_dynamic_map(), 256, "nested_quant_map");
    const lq__layout *l = &p.l;
    uint8_t *bytes = s == LQ_OK ? lq__malloc(l->total + 1) : NULL;
    if (s == LQ_OK && !bytes)
        s = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (s == LQ_OK) {
        memcpy(bytes, p.w.data, l->bytes[0]);
        memcpy(bytes + l->offset[1], p.am.data, l->bytes[1]);
        if (p.bs.dq) {
            memcpy(bytes + l->offset[2], p.na.data, l->bytes[2]);
            memcpy(bytes + l->offset[3], &p.bs.offset, 4);
        }
        char name[LQ_MAX_NAME + 1];
        lq__hf_name(name, prefix, "weight");
        s = lq_tensor_wrap_quantized(p.sc, p.bs.ndim, p.bs.shape, bytes, l->total, LQ_COPY, name,
                                     out);
    }
    lq__free(bytes);
    lq_scheme_free(p.sc);
    return s;
}

static float part_f32(const lq__hf_part *p, int64_t i)
{
    float f;
    memcpy(&f, p->data + 4 * i, 4);
    return f;
}

/* As bitsandbytes' dequantize_4bit, with the tables the checkpoint stores
 * (torch builds the nested dynamic map with a vectorised linspace that
 * differs from the portable one by 1-2 ulp in some entries on x86): the
 * block's absmax (a float, or with double quant nested_quant_map[byte] times
 * the nested absmax plus the offset), code value times it in float32, then
 * rounded to the quant state's dtype; the first element of a byte is its
 * high nibble. */
lq_status lq__hf_bnb4_decode(const char *fn, const lq_safetensors *st, const char *prefix,
                             float *out, int64_t count)
{
    bnb4_parts p;
    lq_status s = bnb4_read(fn, st, prefix, &p);
    lq_scheme_free(p.sc);
    if (s != LQ_OK)
        return s;
    if (count != p.n)
        return lq__fail(LQ_ERR_SHAPE, "%s: '%s' has %lld weights, the buffer %lld", fn, prefix,
                        (long long)p.n, (long long)count);
    const bnb_state *bs = &p.bs;
    for (int64_t i = 0; i < p.n;) {
        const int64_t b = i / bs->block, end = (b + 1) * bs->block < p.n ? (b + 1) * bs->block
                                                                           : p.n;
        const float amax = bs->dq ? part_f32(&p.nm, p.am.data[b]) *
                                        part_f32(&p.na, b / NESTED_BLOCK) + bs->offset
                                  : part_f32(&p.am, b);
        for (; i < end; i++) {
            const uint8_t byte = p.w.data[i / 2];
            const float v = part_f32(&p.qm, i % 2 ? byte & 15 : byte >> 4) * amax;
            out[i] = bs->dtype == LQ_TYPE_BF16 ? lq__bf16_to_f32(lq__f32_to_bf16(v))
                     : bs->dtype == LQ_TYPE_F16 ? lq__f16_to_f32(lq__f32_to_f16(v))
                                                : v;
        }
    }
    return LQ_OK;
}

lq_status lq__hf_bnb4_shape(const char *fn, const lq_safetensors *st, const char *prefix,
                            int64_t *rows, int64_t *cols)
{
    lq__hf_part qs;
    lq_type type = LQ_TYPE_NF4;
    lq_status s = lq__hf_find(st, prefix, state_part(type), "U8", 1, &qs);
    if (s == LQ_ERR_FORMAT) {
        type = LQ_TYPE_FP4;
        s = lq__hf_find(st, prefix, state_part(type), "U8", 1, &qs);
    }
    bnb_state bs;
    if (s != LQ_OK) {
        lq__error_prefix(fn);
        return s;
    }
    if ((s = parse_state(fn, &qs, type, &bs)) != LQ_OK)
        return s;
    if (bs.ndim != 2)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': the quant state's shape has %d dimensions, "
                        "not 2", fn, prefix, bs.ndim);
    *rows = bs.shape[0];
    *cols = bs.shape[1];
    return LQ_OK;
}

/* ---- Linear8bitLt ------------------------------------------------------------ */

/* The int8 map of a 2-D int8:channel:sym tensor. */
static lq_status int8_map(const char *fn, const lq_tensor *q, lq__linear_map *m)
{
    const lq_scheme *s = q->scheme;
    if (!s || s->qp.type != LQ_TYPE_INT8 || s->qp.group != LQ_GROUP_CHANNEL || !s->qp.sym ||
        q->ndim != 2)
        return lq__fail(LQ_ERR_INVALID, "%s: int8 (LLM.int8) stores 2-D int8:channel:sym weights; "
                        "'%s' is %s", fn, q->name, s ? s->text : lq_type_name(q->type));
    lq__layout l;
    lq_status st = lq__codec_layout(fn, &s->qp, q->shape[0], q->shape[1], &l);
    if (st == LQ_OK)
        lq__linear_map_init(m, &s->qp, q->shape[0], q->shape[1], &l);
    return st;
}

lq_status lq__hf_int8_export(const char *fn, const lq_tensor *q, const char *prefix,
                             lq_safetensors *st)
{
    lq__linear_map m;
    lq_status s = int8_map(fn, q, &m);
    if (s != LQ_OK)
        return s;
    int8_t *w = lq__malloc((size_t)(m.rows * m.cols) + 1);
    float *scb = lq__malloc((size_t)m.rows * 4 + 4);
    if (!w || !scb)
        s = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    for (int64_t r = 0; s == LQ_OK && r < m.rows; r++) {
        scb[r] = lq__linear_load_param(q->data, &m, (size_t)r).scale * 127.0f;
        for (int64_t c = 0; c < m.cols; c++)
            w[r * m.cols + c] = (int8_t)(q->data[m.codes + (size_t)r * m.row_bytes + c] - 128);
    }
    int64_t sw[2] = {m.rows, m.cols}, ss[1] = {m.rows};
    uint8_t row_major = 0;
    if (s == LQ_OK)
        s = lq__hf_add(st, prefix, "weight", "I8", 2, sw, w, (uint64_t)(m.rows * m.cols));
    if (s == LQ_OK)
        s = lq__hf_add(st, prefix, "SCB", "F32", 1, ss, scb, (uint64_t)m.rows * 4);
    if (s == LQ_OK)
        s = lq__hf_add(st, prefix, "weight_format", "U8", 0, NULL, &row_major, 1);
    lq__free(w);
    lq__free(scb);
    return s;
}

/* The weight and SCB of a Linear8bitLt layer, checked. */
static lq_status int8_parts(const char *fn, const lq_safetensors *st, const char *prefix,
                            lq__hf_part *w, lq__hf_part *scb)
{
    lq__hf_part wf;
    lq_status s = lq__hf_find(st, prefix, "weight", "I8", 2, w);
    if (s == LQ_OK)
        s = lq__hf_find(st, prefix, "SCB", "F32", 1, scb);
    if (s == LQ_OK && lq__hf_find(st, prefix, "weight_format", "U8", -1, &wf) == LQ_OK &&
        (wf.nbytes != 1 || wf.data[0] != 0))
        s = lq__fail(LQ_ERR_UNSUPPORTED, "weight_format is not 0 (row-major)");
    if (s == LQ_OK && scb->shape[0] != w->shape[0])
        s = lq__fail(LQ_ERR_FORMAT, "SCB has %lld entries for %lld rows", (long long)scb->shape[0],
                     (long long)w->shape[0]);
    for (int64_t r = 0; s == LQ_OK && r < scb->shape[0]; r++) {
        float v = lq__hf_float(scb, r);
        if (!isfinite(v) || v < 0)
            s = lq__fail(LQ_ERR_FORMAT, "SCB[%lld] is %g", (long long)r, v);
    }
    if (s != LQ_OK)
        lq__error_prefix(fn);
    return s;
}

lq_status lq__hf_int8_import(const char *fn, const lq_safetensors *st, const char *prefix,
                             lq_tensor **out)
{
    lq__hf_part w, scb;
    lq_status s = int8_parts(fn, st, prefix, &w, &scb);
    lq_scheme *sc = NULL;
    if (s == LQ_OK)
        s = lq_scheme_parse("llm_int8:int8:scale=f32", &sc);
    lq__layout l;
    int64_t shape[2] = {w.shape[0], w.shape[1]};
    if (s == LQ_OK)
        s = lq__codec_layout(fn, &sc->qp, shape[0], shape[1], &l);
    uint8_t *bytes = s == LQ_OK ? lq__malloc(l.total + 1) : NULL;
    if (s == LQ_OK && !bytes)
        s = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (s == LQ_OK) {
        lq__linear_map m;
        lq__linear_map_init(&m, &sc->qp, shape[0], shape[1], &l);
        for (int64_t i = 0; i < shape[0] * shape[1]; i++)
            bytes[i] = (uint8_t)((int8_t)w.data[i] + 128);
        for (int64_t r = 0; r < shape[0]; r++) {
            lq__linear_param p = {lq__hf_float(&scb, r) / 127.0f, 128};
            lq__linear_store_param(bytes, &m, (size_t)r, p);
        }
        char name[LQ_MAX_NAME + 1];
        lq__hf_name(name, prefix, "weight");
        s = lq_tensor_wrap_quantized(sc, 2, shape, bytes, l.total, LQ_COPY, name, out);
    }
    lq__free(bytes);
    lq_scheme_free(sc);
    return s;
}

lq_status lq__hf_int8_decode(const char *fn, const lq_safetensors *st, const char *prefix,
                             float *out, int64_t count)
{
    lq__hf_part w, scb;
    lq_status s = int8_parts(fn, st, prefix, &w, &scb);
    if (s != LQ_OK)
        return s;
    if (count != w.shape[0] * w.shape[1])
        return lq__fail(LQ_ERR_SHAPE, "%s: '%s' has %lld weights, the buffer %lld", fn, prefix,
                        (long long)(w.shape[0] * w.shape[1]), (long long)count);
    /* int8_vectorwise_dequant: weight * SCB, then * (1/127) as an f32 constant */
    const float inv127 = 7.874015718698502e-3f;
    for (int64_t r = 0; r < w.shape[0]; r++) {
        float sr = lq__hf_float(&scb, r);
        for (int64_t c = 0; c < w.shape[1]; c++)
            out[r * w.shape[1] + c] = ((float)(int8_t)w.data[r * w.shape[1] + c] * sr) * inv127;
    }
    return LQ_OK;
}
