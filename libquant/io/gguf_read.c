/* gguf_read.c — lq__gguf_parse: validate every field of a GGUF image (a
 * mapped file, see gguf_open.c) before anything uses it. The file is hostile
 * until proven otherwise: each count is bounded by the bytes left, each
 * length by the file, each sum and product is overflow-checked, and every
 * failure names the field and its byte offset. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "ggml_types.h"
#include "gguf_internal.h"
#include "le.h"

typedef struct cur {
    const uint8_t *p;
    size_t size, pos;
    const char *fn, *name;
} cur;

static lq_status bad(const cur *c, size_t at, const char *fmt, ...) LQ__PRINTF(3, 4);

static lq_status bad(const cur *c, size_t at, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return lq__fail(LQ_ERR_FORMAT, "%s: %s: %s (at offset %zu of %zu bytes)", c->fn, c->name,
                    what, at, c->size);
}

static lq_status nomem(const cur *c)
{
    return lq__fail(LQ_ERR_NOMEM, "%s: %s: out of memory", c->fn, c->name);
}

static size_t left(const cur *c) { return c->size - c->pos; }

#define TRY(expr)                        \
    do {                                 \
        lq_status try_st_ = (expr);      \
        if (try_st_ != LQ_OK)            \
            return try_st_;              \
    } while (0)

/* Read a u32/u64 called `what`; fails when the file ends first. */
static lq_status rd_u32(cur *c, const char *what, const char *ctx, uint32_t *v)
{
    if (left(c) < 4)
        return bad(c, c->pos, "%s%s: the file ends inside it", ctx, what);
    *v = lq__le32_get(c->p + c->pos);
    c->pos += 4;
    return LQ_OK;
}

static lq_status rd_u64(cur *c, const char *what, const char *ctx, uint64_t *v)
{
    if (left(c) < 8)
        return bad(c, c->pos, "%s%s: the file ends inside it", ctx, what);
    *v = lq__le64_get(c->p + c->pos);
    c->pos += 8;
    return LQ_OK;
}

/* A GGUF string: u64 length and bytes. *s points into the file. */
static lq_status rd_string(cur *c, const char *what, const char *ctx, const uint8_t **s,
                           uint64_t *len)
{
    size_t at = c->pos;
    lq_status st = rd_u64(c, what, ctx, len);
    if (st != LQ_OK)
        return st;
    if (*len > left(c))
        return bad(c, at, "%s%s: length %llu runs past the end of the file", ctx, what,
                   (unsigned long long)*len);
    *s = c->p + c->pos;
    c->pos += (size_t)*len;
    return LQ_OK;
}

static lq_status check_bools(const cur *c, size_t at, const uint8_t *p, uint64_t n,
                             const char *ctx)
{
    for (uint64_t i = 0; i < n; i++)
        if (p[i] > 1)
            return bad(c, at + (size_t)i, "%sbool value %u is neither 0 nor 1", ctx, p[i]);
    return LQ_OK;
}

/* Walk the elements of an array of `type` without keeping them (nested
 * arrays), checking every length; `depth` counts the enclosing arrays. */
static lq_status skip_elements(cur *c, int type, uint64_t count, int depth, const char *ctx)
{
    size_t at = c->pos;
    size_t esize = lq__gguf_scalar_size(type);
    if (esize) {
        if (count > left(c) / esize)
            return bad(c, at, "%s%llu elements of %s run past the end of the file", ctx,
                       (unsigned long long)count, lq__gguf_type_name(type));
        if (type == LQ_GGUF_TYPE_BOOL)
            TRY(check_bools(c, at, c->p + at, count, ctx));
        c->pos += (size_t)(count * esize);
        return LQ_OK;
    }
    /* each string needs 8 bytes, each array 12: bound the loop by the file */
    if (count > left(c) / (type == LQ_GGUF_TYPE_STRING ? 8 : 12))
        return bad(c, at, "%s%llu elements run past the end of the file", ctx,
                   (unsigned long long)count);
    for (uint64_t i = 0; i < count; i++) {
        if (type == LQ_GGUF_TYPE_STRING) {
            const uint8_t *s;
            uint64_t len;
            TRY(rd_string(c, "string element", ctx, &s, &len));
            continue;
        }
        if (depth >= LQ__GGUF_MAX_ARRAY_DEPTH)
            return bad(c, c->pos, "%sarrays are nested more than %d deep", ctx,
                       LQ__GGUF_MAX_ARRAY_DEPTH);
        uint32_t et;
        uint64_t n;
        size_t tat = c->pos;
        TRY(rd_u32(c, "nested array element type", ctx, &et));
        TRY(rd_u64(c, "nested array length", ctx, &n));
        if (et >= LQ__GGUF_N_TYPES)
            return bad(c, tat, "%snested array element type %u is not a GGUF type", ctx, et);
        TRY(skip_elements(c, (int)et, n, depth + 1, ctx));
    }
    return LQ_OK;
}

static lq_status read_string_array(cur *c, lq__gguf_kv *kv, const char *ctx)
{
    size_t at = c->pos;
    if (kv->count > left(c) / 8)
        return bad(c, at, "%s%llu strings run past the end of the file", ctx,
                   (unsigned long long)kv->count);
    /* first pass: check and measure; second: copy */
    size_t total = 0;
    for (uint64_t i = 0; i < kv->count; i++) {
        const uint8_t *s;
        uint64_t len;
        TRY(rd_string(c, "string element", ctx, &s, &len));
        total += (size_t)len + 1; /* bounded by the file size plus the count */
    }
    kv->str_off = lq__calloc((size_t)kv->count + 1, sizeof *kv->str_off);
    kv->data = lq__malloc(total ? total : 1);
    if (!kv->str_off || !kv->data)
        return nomem(c);
    size_t pos = at, off = 0;
    for (uint64_t i = 0; i < kv->count; i++) {
        size_t len = (size_t)lq__le64_get(c->p + pos);
        kv->str_off[i] = off;
        memcpy(kv->data + off, c->p + pos + 8, len);
        kv->data[off + len] = 0;
        off += len + 1;
        pos += 8 + len;
    }
    kv->str_off[kv->count] = off;
    kv->size = off;
    return LQ_OK;
}

/* The value of kv (whose type is set) at the cursor. */
static lq_status read_value(cur *c, lq__gguf_kv *kv, const char *ctx)
{
    size_t at = c->pos;
    size_t esize = lq__gguf_scalar_size(kv->type);
    if (esize) {
        if (left(c) < esize)
            return bad(c, at, "%s%s value: the file ends inside it", ctx,
                       lq__gguf_type_name(kv->type));
        if (kv->type == LQ_GGUF_TYPE_BOOL)
            TRY(check_bools(c, at, c->p + at, 1, ctx));
        if (!(kv->data = lq__malloc(8)))
            return nomem(c);
        memcpy(kv->data, c->p + at, esize);
        kv->size = esize;
        c->pos += esize;
        return LQ_OK;
    }
    if (kv->type == LQ_GGUF_TYPE_STRING) {
        const uint8_t *s;
        uint64_t len;
        TRY(rd_string(c, "string value", ctx, &s, &len));
        if (!(kv->data = (uint8_t *)lq__strndup((const char *)s, (size_t)len)))
            return nomem(c);
        kv->size = (size_t)len;
        return LQ_OK;
    }
    uint32_t et;
    TRY(rd_u32(c, "array element type", ctx, &et));
    TRY(rd_u64(c, "array length", ctx, &kv->count));
    if (et >= LQ__GGUF_N_TYPES)
        return bad(c, at, "%sarray element type %u is not a GGUF type", ctx, et);
    kv->elem_type = (int)et;
    if (et == LQ_GGUF_TYPE_STRING)
        return read_string_array(c, kv, ctx);
    size_t start = c->pos;
    TRY(skip_elements(c, kv->elem_type, kv->count, 1, ctx));
    kv->size = c->pos - start;
    if (!(kv->data = lq__malloc(kv->size ? kv->size : 1)))
        return nomem(c);
    memcpy(kv->data, c->p + start, kv->size);
    return LQ_OK;
}

static lq_status read_kvs(cur *c, lq_gguf *g, uint64_t n_kv)
{
    char ctx[160];
    for (uint64_t i = 0; i < n_kv; i++) {
        size_t at = c->pos;
        snprintf(ctx, sizeof ctx, "kv %llu: ", (unsigned long long)i);
        const uint8_t *key;
        uint64_t klen;
        TRY(rd_string(c, "key", ctx, &key, &klen));
        if (klen == 0 || klen > LQ__GGUF_MAX_KEY)
            return bad(c, at, "%skey length %llu is outside 1..%d", ctx,
                       (unsigned long long)klen, LQ__GGUF_MAX_KEY);
        if (memchr(key, 0, (size_t)klen))
            return bad(c, at, "%skey holds a NUL byte", ctx);
        snprintf(ctx, sizeof ctx, "kv %llu '%.*s': ", (unsigned long long)i,
                 klen > 80 ? 80 : (int)klen, (const char *)key);
        if (lq__names_find(&g->kv_index, g, lq__gguf_kv_name, (const char *)key, (size_t)klen) >= 0)
            return bad(c, at, "%sthe key appears twice", ctx);
        lq__gguf_kv *kv = lq__gguf_kv_append(g);
        if (!kv || !(kv->key = lq__strndup((const char *)key, (size_t)klen)))
            return nomem(c);
        kv->key_len = (size_t)klen;
        size_t tat = c->pos;
        uint32_t type;
        TRY(rd_u32(c, "value type", ctx, &type));
        if (type >= LQ__GGUF_N_TYPES)
            return bad(c, tat, "%svalue type %u is not a GGUF type", ctx, type);
        kv->type = (int)type;
        TRY(read_value(c, kv, ctx));
        if (!lq__names_add(&g->kv_index, g, lq__gguf_kv_name, g->n_kv - 1))
            return nomem(c);
    }
    return LQ_OK;
}

/* general.alignment, checked: a u32 power of two. */
static lq_status read_alignment(const cur *c, const lq_gguf *g, uint64_t *align)
{
    *align = LQ_GGUF_DEFAULT_ALIGNMENT;
    int64_t i = lq__names_find(&g->kv_index, g, lq__gguf_kv_name, "general.alignment", 17);
    if (i < 0)
        return LQ_OK;
    const lq__gguf_kv *kv = &g->kv[i];
    if (kv->type != LQ_GGUF_TYPE_U32)
        return bad(c, 0, "kv %lld 'general.alignment' is a %s, not a u32", (long long)i,
                   lq__gguf_type_name(kv->type));
    uint32_t a = lq__le32_get(kv->data);
    if (a == 0 || (a & (a - 1)) != 0)
        return bad(c, 0, "kv %lld 'general.alignment' is %u, not a power of two", (long long)i, a);
    *align = a;
    return LQ_OK;
}

static lq_status read_tensor_info(cur *c, lq_gguf *g, uint64_t i, uint64_t align)
{
    char ctx[128];
    size_t at = c->pos;
    snprintf(ctx, sizeof ctx, "tensor %llu: ", (unsigned long long)i);
    const uint8_t *name;
    uint64_t nlen;
    TRY(rd_string(c, "name", ctx, &name, &nlen));
    if (nlen == 0 || nlen > LQ_GGUF_MAX_NAME)
        return bad(c, at, "%sname length %llu is outside 1..%d", ctx, (unsigned long long)nlen,
                   LQ_GGUF_MAX_NAME);
    if (memchr(name, 0, (size_t)nlen))
        return bad(c, at, "%sname holds a NUL byte", ctx);
    snprintf(ctx, sizeof ctx, "tensor %llu '%.*s': ", (unsigned long long)i, (int)nlen,
             (const char *)name);
    if (lq__names_find(&g->t_index, g, lq__gguf_tensor_name, (const char *)name, (size_t)nlen) >= 0)
        return bad(c, at, "%sthe name appears twice", ctx);
    lq__gguf_tensor *t = lq__gguf_tensor_append(g);
    if (!t)
        return nomem(c);
    memcpy(t->name, name, (size_t)nlen);
    t->name_len = (size_t)nlen;
    size_t fat = c->pos;
    uint32_t ndim, type;
    TRY(rd_u32(c, "dimension count", ctx, &ndim));
    if (ndim < 1 || ndim > LQ_MAX_DIMS)
        return bad(c, fat, "%sdimension count %u is outside 1..%d", ctx, ndim, LQ_MAX_DIMS);
    t->ndim = (int)ndim;
    for (uint32_t d = 0; d < ndim; d++) {
        fat = c->pos;
        uint64_t v;
        TRY(rd_u64(c, "dimension", ctx, &v));
        if (v > (uint64_t)INT64_MAX)
            return bad(c, fat, "%sdimension %u is negative (%lld)", ctx, d, (long long)v);
        t->ne[d] = (int64_t)v;
    }
    fat = c->pos;
    TRY(rd_u32(c, "type", ctx, &type));
    const lq__ggml_type *gt = lq__ggml_lookup((int)type);
    if (type > INT32_MAX || !gt)
        return bad(c, fat, "%sggml type %u is unknown", ctx, type);
    t->ggml_type = (int)type;
    const char *why;
    if (!lq__ggml_nbytes(gt, t->ndim, t->ne, &t->nbytes, &why))
        return bad(c, fat, "%s%s [%lld, %lld, %lld, %lld]: %s", ctx, gt->name,
                   (long long)t->ne[0], (long long)(ndim > 1 ? t->ne[1] : 1),
                   (long long)(ndim > 2 ? t->ne[2] : 1), (long long)(ndim > 3 ? t->ne[3] : 1), why);
    fat = c->pos;
    TRY(rd_u64(c, "offset", ctx, &t->offset));
    if (t->offset % align != 0)
        return bad(c, fat, "%sdata offset %llu is not a multiple of the alignment %llu", ctx,
                   (unsigned long long)t->offset, (unsigned long long)align);
    if (!lq__names_add(&g->t_index, g, lq__gguf_tensor_name, g->n_t - 1))
        return nomem(c);
    return LQ_OK;
}

static int cmp_offset(const void *a, const void *b)
{
    const lq__gguf_tensor *x = *(const lq__gguf_tensor *const *)a;
    const lq__gguf_tensor *y = *(const lq__gguf_tensor *const *)b;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* Every tensor's data inside the file, and no two overlapping. */
static lq_status check_data(const cur *c, lq_gguf *g)
{
    if (g->n_t == 0)
        return LQ_OK;
    if (g->data_offset > c->size)
        return bad(c, c->pos, "the data section would start at %llu, past the end of the file",
                   (unsigned long long)g->data_offset);
    uint64_t room = c->size - g->data_offset;
    for (int64_t i = 0; i < g->n_t; i++) {
        lq__gguf_tensor *t = &g->t[i];
        if (t->offset > room || t->nbytes > room - t->offset)
            /* offsets and sizes as given: their sums may wrap around 2^64 */
            return bad(c, (size_t)g->data_offset,
                       "tensor %lld '%s': %llu bytes at offset %llu of the data section run past "
                       "its end (it holds %llu bytes)", (long long)i, t->name,
                       (unsigned long long)t->nbytes, (unsigned long long)t->offset,
                       (unsigned long long)room);
        t->data = c->p + g->data_offset + t->offset;
    }
    const lq__gguf_tensor **order = lq__calloc((size_t)g->n_t, sizeof *order);
    if (!order)
        return nomem(c);
    for (int64_t i = 0; i < g->n_t; i++)
        order[i] = &g->t[i];
    qsort(order, (size_t)g->n_t, sizeof *order, cmp_offset);
    const lq__gguf_tensor *prev = NULL;
    lq_status st = LQ_OK;
    for (int64_t i = 0; i < g->n_t && st == LQ_OK; i++) {
        const lq__gguf_tensor *t = order[i];
        if (t->nbytes == 0)
            continue;
        if (prev && prev->offset + prev->nbytes > t->offset)
            st = bad(c, (size_t)(g->data_offset + t->offset),
                     "tensors '%s' [%llu, %llu) and '%s' [%llu, %llu) overlap", prev->name,
                     (unsigned long long)prev->offset,
                     (unsigned long long)(prev->offset + prev->nbytes), t->name,
                     (unsigned long long)t->offset, (unsigned long long)(t->offset + t->nbytes));
        prev = t;
    }
    lq__free(order);
    return st;
}

static lq_status parse(cur *c, lq_gguf *g)
{
    if (c->size < 4 || memcmp(c->p, "GGUF", 4) != 0)
        return bad(c, 0, "not a GGUF file (the magic is not \"GGUF\")");
    c->pos = 4;
    uint32_t version;
    uint64_t n_t, n_kv;
    TRY(rd_u32(c, "version", "", &version));
    if (version == 1 || version == 2)
        return bad(c, 4, "GGUF version %u is not supported, only version 3 (convert the model "
                   "again with a current llama.cpp)", version);
    if (version == 0x03000000u)
        return bad(c, 4, "a big-endian GGUF file: only little-endian files are supported");
    if (version != 3)
        return bad(c, 4, "GGUF version %u is not supported, only version 3", version);
    TRY(rd_u64(c, "tensor count", "", &n_t));
    TRY(rd_u64(c, "metadata count", "", &n_kv));
    /* the smallest kv takes 14 bytes, the smallest tensor info 33 */
    if (n_kv > left(c) / 14)
        return bad(c, 16, "metadata count %llu cannot fit in the file",
                   (unsigned long long)n_kv);
    if (n_t > left(c) / 33)
        return bad(c, 8, "tensor count %llu cannot fit in the file", (unsigned long long)n_t);
    TRY(read_kvs(c, g, n_kv));
    uint64_t align;
    TRY(read_alignment(c, g, &align));
    for (uint64_t i = 0; i < n_t; i++)
        TRY(read_tensor_info(c, g, i, align));
    uint64_t end = c->pos;
    g->data_offset = (end + align - 1) / align * align; /* end and align < 2^32 + file size */
    return check_data(c, g);
}

lq_status lq__gguf_parse(const char *fn, const char *name, const uint8_t *data, size_t size,
                         lq_gguf **out)
{
    *out = NULL;
    lq_gguf *g = NULL;
    lq_status st = lq_gguf_create(&g);
    if (st != LQ_OK)
        return st;
    cur c = {data, size, 0, fn, name};
    st = parse(&c, g);
    if (st != LQ_OK) {
        lq_gguf_free(g);
        return st;
    }
    *out = g;
    return LQ_OK;
}
