/* gguf.c — the lq_gguf handle: life cycle, tensor accessors, and adding
 * tensors (from an lq_tensor, from raw bytes, or declared for streaming). */
#include <string.h>

#include <lq/lq.h>
#include <lq/lq_io.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/tensor.h"
#include "../core/type_info.h"
#include "../core/scheme_names.h"
#include "ggml_types.h"
#include "gguf_internal.h"
#include "gguf_source.h"
#include "le.h"

static const struct {
    const char *name;
    size_t size;
} value_types[LQ__GGUF_N_TYPES] = {
    {"u8", 1}, {"i8", 1}, {"u16", 2}, {"i16", 2}, {"u32", 4}, {"i32", 4}, {"f32", 4},
    {"bool", 1}, {"string", 0}, {"array", 0}, {"u64", 8}, {"i64", 8}, {"f64", 8},
};

size_t lq__gguf_scalar_size(int type)
{
    return type >= 0 && type < LQ__GGUF_N_TYPES ? value_types[type].size : 0;
}

const char *lq__gguf_type_name(int type)
{
    return type >= 0 && type < LQ__GGUF_N_TYPES ? value_types[type].name : "?";
}

lq__name_ref lq__gguf_kv_name(const void *g, int64_t i)
{
    const lq__gguf_kv *kv = &((const lq_gguf *)g)->kv[i];
    return (lq__name_ref){kv->key, kv->key_len};
}

lq__name_ref lq__gguf_tensor_name(const void *g, int64_t i)
{
    const lq__gguf_tensor *t = &((const lq_gguf *)g)->t[i];
    return (lq__name_ref){t->name, t->name_len};
}

lq__gguf_kv *lq__gguf_kv_append(lq_gguf *g)
{
    lq__gguf_kv *kv = lq__grow(g->kv, g->n_kv, &g->cap_kv, sizeof *kv);
    if (!kv)
        return NULL;
    g->kv = kv;
    memset(&kv[g->n_kv], 0, sizeof *kv);
    return &kv[g->n_kv++];
}

lq__gguf_tensor *lq__gguf_tensor_append(lq_gguf *g)
{
    lq__gguf_tensor *t = lq__grow(g->t, g->n_t, &g->cap_t, sizeof *t);
    if (!t)
        return NULL;
    g->t = t;
    memset(&t[g->n_t], 0, sizeof *t);
    return &t[g->n_t++];
}

void lq__gguf_kv_clear(lq__gguf_kv *kv)
{
    lq__free(kv->key);
    lq__free(kv->data);
    lq__free(kv->str_off);
    memset(kv, 0, sizeof *kv);
}

uint64_t lq__gguf_alignment(const lq_gguf *g)
{
    int64_t i = lq__names_find(&g->kv_index, g, lq__gguf_kv_name, "general.alignment", 17);
    if (i >= 0 && g->kv[i].type == LQ_GGUF_TYPE_U32) {
        return lq__le32_get(g->kv[i].data);
    }
    return LQ_GGUF_DEFAULT_ALIGNMENT;
}

/* Where the tensor after `prev` (NULL: the first) goes. */
static uint64_t next_offset(const lq__gguf_tensor *prev, uint64_t align)
{
    if (!prev)
        return 0;
    uint64_t end = prev->offset + prev->nbytes;
    return (end + align - 1) / align * align;
}

void lq__gguf_relayout(lq_gguf *g)
{
    uint64_t align = lq__gguf_alignment(g);
    for (int64_t i = 0; i < g->n_t; i++)
        g->t[i].offset = next_offset(i ? &g->t[i - 1] : NULL, align);
}

lq_status lq_gguf_create(lq_gguf **out)
{
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "lq_gguf_create: out is NULL");
    *out = lq__calloc(1, sizeof **out);
    return *out ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "lq_gguf_create: out of memory");
}

void lq_gguf_free(lq_gguf *g)
{
    if (!g)
        return;
    for (int64_t i = 0; i < g->n_kv; i++)
        lq__gguf_kv_clear(&g->kv[i]);
    for (int64_t i = 0; i < g->n_t; i++)
        lq__free(g->t[i].owned);
    lq__free(g->kv);
    lq__free(g->t);
    lq__names_free(&g->kv_index);
    lq__names_free(&g->t_index);
    lq__gguf_source_free(g);
    lq__map_close(&g->map);
    for (int64_t i = 0; i < g->n_split_maps; i++)
        lq__map_close(&g->split_maps[i]);
    lq__free(g->split_maps);
    lq__free(g);
}

/* ---- tensor accessors ---- */

static const lq__gguf_tensor *tensor_at(const lq_gguf *g, int64_t i)
{
    return g && i >= 0 && i < g->n_t ? &g->t[i] : NULL;
}

int64_t lq_gguf_tensor_count(const lq_gguf *g) { return g ? g->n_t : 0; }
uint64_t lq_gguf_data_offset(const lq_gguf *g) { return g ? g->data_offset : 0; }

const char *lq_gguf_tensor_name(const lq_gguf *g, int64_t index)
{
    const lq__gguf_tensor *t = tensor_at(g, index);
    return t ? t->name : NULL;
}

int64_t lq_gguf_find_tensor(const lq_gguf *g, const char *name)
{
    if (!g || !name)
        return -1;
    return lq__names_find(&g->t_index, g, lq__gguf_tensor_name, name, strlen(name));
}

int lq_gguf_tensor_ggml_type(const lq_gguf *g, int64_t index)
{
    const lq__gguf_tensor *t = tensor_at(g, index);
    return t ? t->ggml_type : -1;
}

int lq_gguf_tensor_ndim(const lq_gguf *g, int64_t index)
{
    const lq__gguf_tensor *t = tensor_at(g, index);
    return t ? t->ndim : 0;
}

int64_t lq_gguf_tensor_dim(const lq_gguf *g, int64_t index, int dim)
{
    const lq__gguf_tensor *t = tensor_at(g, index);
    return t && dim >= 0 && dim < t->ndim ? t->ne[t->ndim - 1 - dim] : 0;
}

uint64_t lq_gguf_tensor_nbytes(const lq_gguf *g, int64_t index)
{
    const lq__gguf_tensor *t = tensor_at(g, index);
    return t ? t->nbytes : 0;
}

uint64_t lq_gguf_tensor_offset(const lq_gguf *g, int64_t index)
{
    const lq__gguf_tensor *t = tensor_at(g, index);
    return t ? t->offset : 0;
}

/* Tensor `index` and its bytes (made now when g has a source). */
static lq_status tensor_arg(const char *fn, const lq_gguf *g, int64_t index,
                            const lq__gguf_tensor **out, const uint8_t **data)
{
    if (!g)
        return lq__fail(LQ_ERR_INVALID, "%s: handle is NULL", fn);
    if (!(*out = tensor_at(g, index)))
        return lq__fail(LQ_ERR_INVALID, "%s: tensor index %lld is outside 0..%lld", fn,
                        (long long)index, (long long)g->n_t - 1);
    lq_status st = lq__gguf_tensor_bytes(fn, g, index, data);
    if (st != LQ_OK)
        return st;
    if (!*data)
        return lq__fail(LQ_ERR_STATE, "%s: tensor '%s' was declared without bytes", fn,
                        (*out)->name);
    return LQ_OK;
}

lq_status lq_gguf_tensor_raw(const lq_gguf *g, int64_t index, const void **data, uint64_t *nbytes)
{
    static const char fn[] = "lq_gguf_tensor_raw";
    const lq__gguf_tensor *t;
    if (!data || !nbytes)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    const uint8_t *bytes;
    lq_status st = tensor_arg(fn, g, index, &t, &bytes);
    if (st != LQ_OK)
        return st;
    *data = bytes;
    *nbytes = t->nbytes;
    return LQ_OK;
}

lq_status lq_gguf_get_tensor(const lq_gguf *g, int64_t index, lq_tensor **out)
{
    static const char fn[] = "lq_gguf_get_tensor";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    const lq__gguf_tensor *t;
    const uint8_t *bytes;
    lq_status st = tensor_arg(fn, g, index, &t, &bytes);
    if (st != LQ_OK)
        return st;
    int64_t shape[LQ_MAX_DIMS];
    for (int d = 0; d < t->ndim; d++)
        shape[d] = t->ne[t->ndim - 1 - d];
    lq_type type = lq__lq_type_of_ggml(t->ggml_type);
    if (type < 0)
        return lq__fail(LQ_ERR_UNSUPPORTED,
                        "%s: tensor '%s' is of ggml type %s, which libquant cannot decode "
                        "(its bytes are available with lq_gguf_tensor_raw)",
                        fn, t->name, lq__ggml_lookup(t->ggml_type)->name);
    if ((uint64_t)t->nbytes > SIZE_MAX)
        return lq__fail(LQ_ERR_NOMEM, "%s: tensor '%s' does not fit in memory", fn, t->name);
    if (!lq_type_is_quantized(type)) {
        st = lq_tensor_wrap(type, t->ndim, shape, bytes, (size_t)t->nbytes, LQ_BORROW, t->name,
                            out);
        if (st == LQ_OK && lq__gguf_in_map(g, bytes, t->nbytes))
            (*out)->mapped = (*out)->data;
    } else {
        struct lq_scheme scheme;
        st = lq__scheme_default(type, &scheme);
        if (st == LQ_OK)
            st = lq_tensor_wrap_quantized(&scheme, t->ndim, shape, bytes, (size_t)t->nbytes,
                                          LQ_BORROW, t->name, out);
        else
            st = lq__fail(LQ_ERR_UNSUPPORTED, "%s: tensor '%s': type %s has no default scheme",
                          fn, t->name, lq_type_name(type));
    }
    if (st != LQ_OK)
        lq__error_prefix(fn);
    return st;
}

/* ---- adding tensors ---- */

/* Checks shared by every way of adding a tensor; fills name, type, dims and
 * size of a new slot, which the caller completes (or drops on failure). */
static lq_status add_info(const char *fn, lq_gguf *g, const char *name, int ggml_type, int ndim,
                          const int64_t *shape, lq__gguf_tensor **out)
{
    if (!g || !name || !shape)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    size_t len = strlen(name);
    if (len == 0 || len > LQ_GGUF_MAX_NAME)
        return lq__fail(LQ_ERR_INVALID, "%s: tensor name '%.80s' is not 1 to %d bytes long", fn,
                        name, LQ_GGUF_MAX_NAME);
    if (lq__names_find(&g->t_index, g, lq__gguf_tensor_name, name, len) >= 0)
        return lq__fail(LQ_ERR_INVALID, "%s: there is already a tensor '%s'", fn, name);
    const lq__ggml_type *gt = lq__ggml_lookup(ggml_type);
    if (!gt)
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%s': %d is not a ggml type id", fn, name,
                        ggml_type);
    if (ndim < 1 || ndim > LQ_MAX_DIMS)
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%s': ndim %d is outside 1..%d", fn, name,
                        ndim, LQ_MAX_DIMS);
    lq__gguf_tensor info = {0};
    for (int d = 0; d < ndim; d++)
        info.ne[d] = shape[ndim - 1 - d];
    const char *why;
    if (!lq__ggml_nbytes(gt, ndim, info.ne, &info.nbytes, &why))
        return lq__fail(info.ne[0] % gt->block_elems ? LQ_ERR_SHAPE : LQ_ERR_INVALID,
                        "%s: tensor '%s' (%s): %s", fn, name, gt->name, why);
    lq__gguf_tensor *t = lq__gguf_tensor_append(g);
    if (!t)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    *t = info;
    memcpy(t->name, name, len + 1);
    t->name_len = len;
    t->ggml_type = ggml_type;
    t->ndim = ndim;
    t->offset = next_offset(g->n_t > 1 ? &g->t[g->n_t - 2] : NULL, lq__gguf_alignment(g));
    *out = t;
    return LQ_OK;
}

/* Attach the bytes to the slot add_info made and index it; on failure the
 * slot is dropped again. */
static lq_status add_finish(const char *fn, lq_gguf *g, lq__gguf_tensor *t, const void *data,
                            uint64_t nbytes, int mode, bool declared)
{
    lq_status st = LQ_OK;
    if (!declared) {
        if (nbytes != t->nbytes)
            st = lq__fail(LQ_ERR_SHAPE, "%s: tensor '%s' needs %llu bytes, got %llu", fn, t->name,
                          (unsigned long long)t->nbytes, (unsigned long long)nbytes);
        else if (!data && nbytes)
            st = lq__fail(LQ_ERR_INVALID, "%s: tensor '%s': data is NULL", fn, t->name);
        else if (mode != LQ_BORROW && mode != LQ_COPY)
            st = lq__fail(LQ_ERR_INVALID, "%s: mode %d is neither LQ_BORROW nor LQ_COPY", fn, mode);
        else if (nbytes > SIZE_MAX)
            st = lq__fail(LQ_ERR_NOMEM, "%s: tensor '%s' does not fit in memory", fn, t->name);
        else if (mode == LQ_COPY && nbytes) {
            if (!(t->owned = lq__malloc((size_t)nbytes)))
                st = lq__fail(LQ_ERR_NOMEM, "%s: cannot copy %llu bytes", fn,
                              (unsigned long long)nbytes);
            else
                memcpy(t->owned, data, (size_t)nbytes);
            t->data = t->owned;
        } else
            t->data = nbytes ? data : (const uint8_t *)"";
    }
    if (st == LQ_OK && !lq__names_add(&g->t_index, g, lq__gguf_tensor_name, g->n_t - 1))
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (st != LQ_OK) {
        lq__free(t->owned);
        g->n_t--;
    }
    return st;
}

lq_status lq_gguf_add_tensor_raw(lq_gguf *g, const char *name, int ggml_type, int ndim,
                                 const int64_t *shape, const void *data, uint64_t nbytes, int mode)
{
    static const char fn[] = "lq_gguf_add_tensor_raw";
    lq__gguf_tensor *t;
    lq_status st = add_info(fn, g, name, ggml_type, ndim, shape, &t);
    return st != LQ_OK ? st : add_finish(fn, g, t, data, nbytes, mode, false);
}

lq_status lq_gguf_declare_tensor(lq_gguf *g, const char *name, int ggml_type, int ndim,
                                 const int64_t *shape)
{
    static const char fn[] = "lq_gguf_declare_tensor";
    lq__gguf_tensor *t;
    lq_status st = add_info(fn, g, name, ggml_type, ndim, shape, &t);
    return st != LQ_OK ? st : add_finish(fn, g, t, NULL, 0, LQ_BORROW, true);
}

lq_status lq_gguf_add_tensor(lq_gguf *g, const lq_tensor *t, int mode)
{
    static const char fn[] = "lq_gguf_add_tensor";
    if (!g || !t)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    int id = lq_type_ggml_id(t->type);
    if (id < 0)
        return lq__fail(LQ_ERR_UNSUPPORTED,
                        "%s: tensor '%s' is %s, which GGUF cannot store: GGUF holds f32, f16, "
                        "bf16, f64, i8, i16, i32, i64 and the ggml block types (q4_0, q4_k, ...)",
                        fn, t->name, lq_type_name(t->type));
    lq__gguf_tensor *slot;
    lq_status st = add_info(fn, g, t->name, id, t->ndim, t->shape, &slot);
    return st != LQ_OK ? st : add_finish(fn, g, slot, t->data, t->nbytes, mode, false);
}
