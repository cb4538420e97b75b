/* safetensors.c — the lq_safetensors handle: dtypes, life cycle, accessors,
 * metadata, and adding tensors. */
#include <string.h>

#include <lq/lq.h>
#include <lq/lq_io.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/tensor.h"
#include "../core/scheme_names.h"
#include "json.h"
#include "safetensors_internal.h"

/* Every dtype the format defines (safetensors' enum Dtype), and the lq_type
 * each one becomes: fp8 becomes libquant's fp8 with a per-tensor scale of 1,
 * bool a u8 tensor of 0s and 1s. */
static const lq__st_dtype dtypes[] = {
    {"BOOL", 8, LQ_TYPE_U8},      {"F4", 4, -1},
    {"F6_E2M3", 6, -1},           {"F6_E3M2", 6, -1},
    {"U8", 8, LQ_TYPE_U8},        {"I8", 8, LQ_TYPE_I8},
    {"F8_E5M2", 8, LQ_TYPE_FP8_E5M2}, {"F8_E4M3", 8, LQ_TYPE_FP8_E4M3},
    {"F8_E8M0", 8, -1},           {"F8_E4M3FNUZ", 8, -1},
    {"F8_E5M2FNUZ", 8, -1},       {"I16", 16, LQ_TYPE_I16},
    {"U16", 16, -1},              {"F16", 16, LQ_TYPE_F16},
    {"BF16", 16, LQ_TYPE_BF16},   {"I32", 32, LQ_TYPE_I32},
    {"U32", 32, -1},              {"F32", 32, LQ_TYPE_F32},
    {"C64", 64, -1},              {"F64", 64, LQ_TYPE_F64},
    {"I64", 64, LQ_TYPE_I64},     {"U64", 64, -1},
};
#define N_DTYPES (sizeof dtypes / sizeof *dtypes)

const lq__st_dtype *lq__st_dtype_find(const char *name, size_t len)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (strlen(dtypes[i].name) == len && memcmp(dtypes[i].name, name, len) == 0)
            return &dtypes[i];
    return NULL;
}

const lq__st_dtype *lq__st_dtype_of(lq_type type)
{
    static const char *const plain[] = {
        [LQ_TYPE_F32] = "F32", [LQ_TYPE_F16] = "F16", [LQ_TYPE_BF16] = "BF16",
        [LQ_TYPE_F64] = "F64", [LQ_TYPE_I8] = "I8",   [LQ_TYPE_U8] = "U8",
        [LQ_TYPE_I16] = "I16", [LQ_TYPE_I32] = "I32", [LQ_TYPE_I64] = "I64",
    };
    if (type < 0 || (size_t)type >= sizeof plain / sizeof *plain || !plain[type])
        return NULL;
    return lq__st_dtype_find(plain[type], strlen(plain[type]));
}

bool lq__st_nbytes(const lq__st_dtype *dtype, int ndim, const int64_t *shape, uint64_t *out,
                   const char **why)
{
    /* the product of the nonzero dimensions must fit in int64 too, so that
     * an empty tensor's shape can be multiplied out in any order */
    uint64_t nonzero = 1;
    bool empty = false;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            *why = "a dimension is negative";
            return false;
        }
        if (shape[i] == 0) {
            empty = true;
            continue;
        }
        if (nonzero > (uint64_t)INT64_MAX / (uint64_t)shape[i]) {
            *why = "the element count overflows 64 bits";
            return false;
        }
        nonzero *= (uint64_t)shape[i];
    }
    uint64_t n = empty ? 0 : nonzero;
    if (n > UINT64_MAX / (uint64_t)dtype->bits) {
        *why = "the byte size overflows 64 bits";
        return false;
    }
    uint64_t bits = n * (uint64_t)dtype->bits;
    if (bits % 8) {
        *why = "the elements do not fill a whole number of bytes";
        return false;
    }
    *out = bits / 8;
    return true;
}

lq__name_ref lq__st_tensor_name(const void *st, int64_t i)
{
    const lq__st_tensor *t = &((const lq_safetensors *)st)->t[i];
    return (lq__name_ref){t->name, t->name_len};
}

lq__st_tensor *lq__st_tensor_append(lq_safetensors *st)
{
    lq__st_tensor *t = lq__grow(st->t, st->n_t, &st->cap_t, sizeof *t);
    if (!t)
        return NULL;
    st->t = t;
    memset(&t[st->n_t], 0, sizeof *t);
    t[st->n_t].shard = -1;
    return &t[st->n_t++];
}

static int64_t meta_find(const lq_safetensors *st, const char *key, size_t klen)
{
    for (int64_t i = 0; i < st->n_meta; i++)
        if (strlen(st->meta[i].key) == klen && memcmp(st->meta[i].key, key, klen) == 0)
            return i;
    return -1;
}

lq_status lq__st_meta_put(lq_safetensors *st, const char *key, size_t klen, const char *value,
                          size_t vlen, bool replace)
{
    int64_t i = meta_find(st, key, klen);
    if (i >= 0 && !replace)
        return LQ_OK;
    char *v = lq__strndup(value, vlen);
    if (!v)
        return LQ_ERR_NOMEM;
    if (i >= 0) {
        lq__free(st->meta[i].value);
        st->meta[i].value = v;
        return LQ_OK;
    }
    lq__st_meta *m = lq__grow(st->meta, st->n_meta, &st->cap_meta, sizeof *m);
    char *k = lq__strndup(key, klen);
    if (!m || !k) {
        if (m)
            st->meta = m;
        lq__free(v);
        lq__free(k);
        return LQ_ERR_NOMEM;
    }
    st->meta = m;
    m[st->n_meta].key = k;
    m[st->n_meta].value = v;
    st->n_meta++;
    return LQ_OK;
}

lq_status lq_safetensors_create(lq_safetensors **out)
{
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "lq_safetensors_create: out is NULL");
    *out = lq__calloc(1, sizeof **out);
    return *out ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "lq_safetensors_create: out of memory");
}

void lq_safetensors_free(lq_safetensors *st)
{
    if (!st)
        return;
    for (int64_t i = 0; i < st->n_t; i++) {
        lq__free(st->t[i].name);
        lq__free(st->t[i].owned);
    }
    for (int64_t i = 0; i < st->n_meta; i++) {
        lq__free(st->meta[i].key);
        lq__free(st->meta[i].value);
    }
    for (int i = 0; i < st->n_maps; i++)
        lq__map_close(&st->maps[i]);
    lq__free(st->maps);
    lq__free(st->t);
    lq__free(st->meta);
    lq__names_free(&st->index);
    lq__free(st);
}

/* ---- accessors ---- */

static const lq__st_tensor *at(const lq_safetensors *st, int64_t i)
{
    return st && i >= 0 && i < st->n_t ? &st->t[i] : NULL;
}

int64_t lq_safetensors_tensor_count(const lq_safetensors *st) { return st ? st->n_t : 0; }

const char *lq_safetensors_tensor_name(const lq_safetensors *st, int64_t index)
{
    const lq__st_tensor *t = at(st, index);
    return t ? t->name : NULL;
}

int64_t lq_safetensors_find_tensor(const lq_safetensors *st, const char *name)
{
    if (!st || !name)
        return -1;
    return lq__names_find(&st->index, st, lq__st_tensor_name, name, strlen(name));
}

const char *lq_safetensors_tensor_dtype(const lq_safetensors *st, int64_t index)
{
    const lq__st_tensor *t = at(st, index);
    return t ? t->dtype->name : NULL;
}

int lq_safetensors_tensor_ndim(const lq_safetensors *st, int64_t index)
{
    const lq__st_tensor *t = at(st, index);
    return t ? t->ndim : -1;
}

int64_t lq_safetensors_tensor_dim(const lq_safetensors *st, int64_t index, int dim)
{
    const lq__st_tensor *t = at(st, index);
    return t && dim >= 0 && dim < t->ndim ? t->shape[dim] : 0;
}

uint64_t lq_safetensors_tensor_nbytes(const lq_safetensors *st, int64_t index)
{
    const lq__st_tensor *t = at(st, index);
    return t ? t->nbytes : 0;
}

static lq_status tensor_arg(const char *fn, const lq_safetensors *st, int64_t index,
                            const lq__st_tensor **out)
{
    if (!st)
        return lq__fail(LQ_ERR_INVALID, "%s: handle is NULL", fn);
    if (!(*out = at(st, index)))
        return lq__fail(LQ_ERR_INVALID, "%s: tensor index %lld is outside 0..%lld", fn,
                        (long long)index, (long long)st->n_t - 1);
    if ((*out)->make)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: tensor '%.200s' has no bytes until it is saved",
                        fn, (*out)->name);
    return LQ_OK;
}

lq_status lq_safetensors_tensor_raw(const lq_safetensors *st, int64_t index, const void **data,
                             uint64_t *nbytes)
{
    static const char fn[] = "lq_safetensors_tensor_raw";
    const lq__st_tensor *t;
    if (!data || !nbytes)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    lq_status st_ = tensor_arg(fn, st, index, &t);
    if (st_ == LQ_OK) {
        *data = t->data;
        *nbytes = t->nbytes;
    }
    return st_;
}

/* An fp8 tensor in libquant's layout: the codes, then one f32 scale (1.0)
 * for the whole tensor. The codes are copied to make room for the scale. */
static lq_status fp8_tensor(const char *fn, const lq__st_tensor *t, int ndim,
                            const int64_t *shape, lq_tensor **out)
{
    struct lq_scheme scheme;
    lq_status s = lq__scheme_default(t->dtype->as, &scheme);
    size_t nbytes = 0;
    if (s == LQ_OK && !lq__add_size((size_t)t->nbytes, sizeof(float), &nbytes))
        s = lq__fail(LQ_ERR_NOMEM, "%s: tensor '%.200s' does not fit in memory", fn, t->name);
    if (s == LQ_OK)
        s = lq__tensor_alloc(fn, t->dtype->as, ndim, shape, t->name, nbytes, &scheme, out);
    if (s != LQ_OK)
        return s;
    const float one = 1.0f;
    if (t->nbytes)
        memcpy((*out)->data, t->data, (size_t)t->nbytes);
    memcpy((*out)->data + t->nbytes, &one, sizeof one);
    return LQ_OK;
}

lq_status lq_safetensors_get_tensor(const lq_safetensors *st, int64_t index, lq_tensor **out)
{
    static const char fn[] = "lq_safetensors_get_tensor";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    const lq__st_tensor *t;
    lq_status s = tensor_arg(fn, st, index, &t);
    if (s != LQ_OK)
        return s;
    if (t->dtype->as < 0)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: tensor '%.200s' is %s, which libquant has no "
                        "type for (lq_safetensors_tensor_raw gives its bytes)", fn, t->name,
                        t->dtype->name);
    if (t->ndim > LQ_MAX_DIMS)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: tensor '%.200s' has %d dimensions, more than "
                        "an lq_tensor holds (%d)", fn, t->name, t->ndim, LQ_MAX_DIMS);
    if (t->name_len > LQ_MAX_NAME)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: tensor '%.64s...' has a name longer than %d "
                        "bytes", fn, t->name, LQ_MAX_NAME);
    if (t->nbytes > SIZE_MAX)
        return lq__fail(LQ_ERR_NOMEM, "%s: tensor '%.200s' does not fit in memory", fn, t->name);
    static const int64_t scalar[1] = {1};
    int ndim = t->ndim ? t->ndim : 1;
    const int64_t *shape = t->ndim ? t->shape : scalar;
    if (lq_type_is_quantized(t->dtype->as))
        return fp8_tensor(fn, t, ndim, shape, out);
    s = lq_tensor_wrap(t->dtype->as, ndim, shape, t->data, (size_t)t->nbytes, LQ_BORROW, t->name,
                       out);
    if (s != LQ_OK)
        lq__error_prefix(fn);
    else if (t->shard >= 0 && !t->owned) /* a view into its shard's read-only map */
        (*out)->mapped = (*out)->data;
    return s;
}

/* ---- metadata ---- */

int64_t lq_safetensors_meta_count(const lq_safetensors *st) { return st ? st->n_meta : 0; }

const char *lq_safetensors_meta_key(const lq_safetensors *st, int64_t index)
{
    return st && index >= 0 && index < st->n_meta ? st->meta[index].key : NULL;
}

const char *lq_safetensors_meta_get(const lq_safetensors *st, const char *key)
{
    if (!st || !key)
        return NULL;
    int64_t i = meta_find(st, key, strlen(key));
    return i >= 0 ? st->meta[i].value : NULL;
}

lq_status lq_safetensors_meta_set(lq_safetensors *st, const char *key, const char *value)
{
    static const char fn[] = "lq_safetensors_meta_set";
    if (!st || !key)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (!lq__utf8_valid(key, strlen(key)) || (value && !lq__utf8_valid(value, strlen(value))))
        return lq__fail(LQ_ERR_INVALID, "%s: the key or value is not valid UTF-8", fn);
    if (value) {
        if (lq__st_meta_put(st, key, strlen(key), value, strlen(value), true) != LQ_OK)
            return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
        return LQ_OK;
    }
    int64_t i = meta_find(st, key, strlen(key));
    if (i >= 0) {
        lq__free(st->meta[i].key);
        lq__free(st->meta[i].value);
        memmove(&st->meta[i], &st->meta[i + 1], (size_t)(st->n_meta - i - 1) * sizeof *st->meta);
        st->n_meta--;
    }
    return LQ_OK;
}

/* ---- adding tensors ---- */

/* Check a new tensor's name (not yet taken), dtype, shape and size, in that
 * order; its dtype in *dt. */
static lq_status check_new(const char *fn, const lq_safetensors *st, const char *name,
                           const char *dtype, int ndim, const int64_t *shape, uint64_t nbytes,
                           const lq__st_dtype **dt)
{
    if (!st || !name || !dtype || (!shape && ndim > 0))
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    size_t len = strlen(name);
    if (len == 0 || strcmp(name, "__metadata__") == 0 || !lq__utf8_valid(name, len))
        return lq__fail(LQ_ERR_INVALID, "%s: '%.200s' cannot name a tensor (empty, reserved or "
                        "not UTF-8)", fn, name);
    if (lq_safetensors_find_tensor(st, name) >= 0)
        return lq__fail(LQ_ERR_INVALID, "%s: there is already a tensor '%.200s'", fn, name);
    if (!(*dt = lq__st_dtype_find(dtype, strlen(dtype))))
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%.200s': '%.32s' is not a safetensors dtype",
                        fn, name, dtype);
    if (ndim < 0 || ndim > LQ_SAFETENSORS_MAX_DIMS)
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%.200s': ndim %d is outside 0..%d", fn, name,
                        ndim, LQ_SAFETENSORS_MAX_DIMS);
    uint64_t need;
    const char *why;
    if (!lq__st_nbytes(*dt, ndim, shape, &need, &why))
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%.200s': %s", fn, name, why);
    if (need != nbytes)
        return lq__fail(LQ_ERR_SHAPE, "%s: tensor '%.200s' needs %llu bytes, got %llu", fn, name,
                        (unsigned long long)need, (unsigned long long)nbytes);
    if (nbytes > SIZE_MAX)
        return lq__fail(LQ_ERR_NOMEM, "%s: tensor '%.200s' does not fit in memory", fn, name);
    return LQ_OK;
}

/* Append a checked tensor (check_new), indexed by name; `owned` (may be
 * NULL) becomes the tensor's on success and is freed on failure. */
static lq_status append(const char *fn, lq_safetensors *st, const char *name,
                        const lq__st_dtype *dt, int ndim, const int64_t *shape, uint64_t nbytes,
                        uint8_t *owned, lq__st_tensor **out)
{
    lq__st_tensor *t = lq__st_tensor_append(st);
    if (!t) {
        lq__free(owned);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    t->name = lq__strdup(name);
    t->name_len = strlen(name);
    t->dtype = dt;
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        t->shape[d] = shape[d];
    t->nbytes = nbytes;
    t->owned = owned;
    if (!t->name || !lq__names_add(&st->index, st, lq__st_tensor_name, st->n_t - 1)) {
        lq__free(t->name);
        lq__free(owned);
        st->n_t--;
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    *out = t;
    return LQ_OK;
}

lq_status lq_safetensors_add_tensor_raw(lq_safetensors *st, const char *name, const char *dtype,
                                 int ndim, const int64_t *shape, const void *data, uint64_t nbytes,
                                 int mode)
{
    static const char fn[] = "lq_safetensors_add_tensor_raw";
    const lq__st_dtype *dt;
    lq_status s = check_new(fn, st, name, dtype, ndim, shape, nbytes, &dt);
    if (s != LQ_OK)
        return s;
    if (mode != LQ_BORROW && mode != LQ_COPY)
        return lq__fail(LQ_ERR_INVALID, "%s: mode %d is neither LQ_BORROW nor LQ_COPY", fn, mode);
    if (!data && nbytes)
        return lq__fail(LQ_ERR_INVALID, "%s: data is NULL", fn);
    uint8_t *owned = NULL;
    if (mode == LQ_COPY && nbytes) {
        if (!(owned = lq__malloc((size_t)nbytes)))
            return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
        memcpy(owned, data, (size_t)nbytes);
    }
    lq__st_tensor *t;
    if ((s = append(fn, st, name, dt, ndim, shape, nbytes, owned, &t)) == LQ_OK)
        t->data = owned ? owned : nbytes ? data : (const uint8_t *)"";
    return s;
}

lq_status lq__safetensors_add_deferred(lq_safetensors *st, const char *name, const char *dtype,
                                       int ndim, const int64_t *shape, uint64_t nbytes,
                                       lq__st_make_fn make, void *user, int64_t arg)
{
    static const char fn[] = "safetensors writer";
    const lq__st_dtype *dt;
    lq__st_tensor *t;
    lq_status s = make ? check_new(fn, st, name, dtype, ndim, shape, nbytes, &dt)
                       : lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (s == LQ_OK && (s = append(fn, st, name, dt, ndim, shape, nbytes, NULL, &t)) == LQ_OK) {
        t->make = make;
        t->make_user = user;
        t->make_arg = arg;
    }
    return s;
}

lq_status lq_safetensors_add_tensor(lq_safetensors *st, const lq_tensor *t, int mode)
{
    static const char fn[] = "lq_safetensors_add_tensor";
    if (!st || !t)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    const lq__st_dtype *dt = lq__st_dtype_of(t->type);
    if (!dt || t->scheme)
        return lq__fail(LQ_ERR_UNSUPPORTED,
                        "%s: tensor '%s' is %s, which safetensors has no dtype for (it holds "
                        "plain numbers: f32, f16, bf16, f64, i8, u8, i16, i32, i64)",
                        fn, t->name, lq_type_name(t->type));
    lq_status s = lq_safetensors_add_tensor_raw(st, t->name, dt->name, t->ndim, t->shape, t->data,
                                         t->nbytes, mode);
    if (s != LQ_OK)
        lq__error_prefix(fn);
    return s;
}

void lq__safetensors_tensor_release(const lq_safetensors *st, int64_t index)
{
    if (!st || index < 0 || index >= st->n_t)
        return;
    const lq__st_tensor *t = &st->t[index];
    if (t->shard >= 0 && t->shard < st->n_maps && !t->owned)
        lq__map_advise(&st->maps[t->shard], t->data, t->nbytes, LQ__MAP_DROP);
}
