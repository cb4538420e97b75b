/* gguf_meta.c — reading and writing GGUF metadata: typed getters by key,
 * setters that add or replace, copying an entry between handles, removal. */
#include <string.h>

#include <lq/lq_io.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "gguf_internal.h"

static const lq__gguf_kv *kv_at(const lq_gguf *g, int64_t i)
{
    return g && i >= 0 && i < g->n_kv ? &g->kv[i] : NULL;
}

int64_t lq_gguf_kv_count(const lq_gguf *g) { return g ? g->n_kv : 0; }

const char *lq_gguf_kv_key(const lq_gguf *g, int64_t index)
{
    const lq__gguf_kv *kv = kv_at(g, index);
    return kv ? kv->key : NULL;
}

int lq_gguf_kv_type(const lq_gguf *g, int64_t index)
{
    const lq__gguf_kv *kv = kv_at(g, index);
    return kv ? kv->type : -1;
}

int64_t lq_gguf_find_key(const lq_gguf *g, const char *key)
{
    if (!g || !key)
        return -1;
    return lq__names_find(&g->kv_index, g, lq__gguf_kv_name, key, strlen(key));
}

/* The entry for `key`, which must be of `type` (-1: any). */
static lq_status find(const char *fn, const lq_gguf *g, const char *key, const void *out, int type,
                      const lq__gguf_kv **kv)
{
    if (!g || !key || !out)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    int64_t i = lq_gguf_find_key(g, key);
    if (i < 0)
        return lq__fail(LQ_ERR_INVALID, "%s: no key '%.200s'", fn, key);
    *kv = &g->kv[i];
    if (type >= 0 && (*kv)->type != type)
        return lq__fail(LQ_ERR_FORMAT, "%s: key '%.200s' holds a %s, not a %s", fn, key,
                        lq__gguf_type_name((*kv)->type), lq__gguf_type_name(type));
    return LQ_OK;
}

#define GETTER(suffix, ctype, gtype)                                                       \
    lq_status lq_gguf_get_##suffix(const lq_gguf *g, const char *key, ctype *out)          \
    {                                                                                      \
        const lq__gguf_kv *kv = NULL;                                                             \
        lq_status st = find("lq_gguf_get_" #suffix, g, key, out, gtype, &kv);              \
        if (st == LQ_OK)                                                                   \
            memcpy(out, kv->data, sizeof *out);                                            \
        return st;                                                                         \
    }

GETTER(u8, uint8_t, LQ_GGUF_TYPE_U8)
GETTER(i8, int8_t, LQ_GGUF_TYPE_I8)
GETTER(u16, uint16_t, LQ_GGUF_TYPE_U16)
GETTER(i16, int16_t, LQ_GGUF_TYPE_I16)
GETTER(u32, uint32_t, LQ_GGUF_TYPE_U32)
GETTER(i32, int32_t, LQ_GGUF_TYPE_I32)
GETTER(u64, uint64_t, LQ_GGUF_TYPE_U64)
GETTER(i64, int64_t, LQ_GGUF_TYPE_I64)
GETTER(f32, float, LQ_GGUF_TYPE_F32)
GETTER(f64, double, LQ_GGUF_TYPE_F64)

lq_status lq_gguf_get_bool(const lq_gguf *g, const char *key, int *out)
{
    const lq__gguf_kv *kv = NULL;
    lq_status st = find("lq_gguf_get_bool", g, key, out, LQ_GGUF_TYPE_BOOL, &kv);
    if (st == LQ_OK)
        *out = kv->data[0] != 0;
    return st;
}

lq_status lq_gguf_get_int(const lq_gguf *g, const char *key, int64_t *out)
{
    static const char fn[] = "lq_gguf_get_int";
    const lq__gguf_kv *kv = NULL;
    lq_status st = find(fn, g, key, out, -1, &kv);
    if (st != LQ_OK)
        return st;
    const uint8_t *d = kv->data;
    switch (kv->type) {
    case LQ_GGUF_TYPE_U8: *out = d[0]; return LQ_OK;
    case LQ_GGUF_TYPE_I8: *out = (int8_t)d[0]; return LQ_OK;
    case LQ_GGUF_TYPE_U16: { uint16_t v; memcpy(&v, d, 2); *out = v; return LQ_OK; }
    case LQ_GGUF_TYPE_I16: { int16_t v; memcpy(&v, d, 2); *out = v; return LQ_OK; }
    case LQ_GGUF_TYPE_U32: { uint32_t v; memcpy(&v, d, 4); *out = v; return LQ_OK; }
    case LQ_GGUF_TYPE_I32: { int32_t v; memcpy(&v, d, 4); *out = v; return LQ_OK; }
    case LQ_GGUF_TYPE_I64: memcpy(out, d, 8); return LQ_OK;
    case LQ_GGUF_TYPE_U64: {
        uint64_t v;
        memcpy(&v, d, 8);
        if (v > (uint64_t)INT64_MAX)
            return lq__fail(LQ_ERR_FORMAT, "%s: key '%.200s' holds %llu, beyond int64", fn, key,
                            (unsigned long long)v);
        *out = (int64_t)v;
        return LQ_OK;
    }
    default:
        return lq__fail(LQ_ERR_FORMAT, "%s: key '%.200s' holds a %s, not an integer", fn, key,
                        lq__gguf_type_name(kv->type));
    }
}

lq_status lq_gguf_get_string(const lq_gguf *g, const char *key, const char **out, size_t *len)
{
    const lq__gguf_kv *kv = NULL;
    lq_status st = find("lq_gguf_get_string", g, key, out, LQ_GGUF_TYPE_STRING, &kv);
    if (st == LQ_OK) {
        *out = (const char *)kv->data;
        if (len)
            *len = kv->size;
    }
    return st;
}

lq_status lq_gguf_get_array(const lq_gguf *g, const char *key, int *elem_type, uint64_t *count)
{
    const lq__gguf_kv *kv = NULL;
    lq_status st = find("lq_gguf_get_array", g, key, elem_type, LQ_GGUF_TYPE_ARRAY, &kv);
    if (st == LQ_OK && !count)
        st = lq__fail(LQ_ERR_INVALID, "lq_gguf_get_array: count is NULL");
    if (st == LQ_OK) {
        *elem_type = kv->elem_type;
        *count = kv->count;
    }
    return st;
}

lq_status lq_gguf_get_array_data(const lq_gguf *g, const char *key, int elem_type,
                                 const void **data, uint64_t *count)
{
    static const char fn[] = "lq_gguf_get_array_data";
    const lq__gguf_kv *kv = NULL;
    lq_status st = find(fn, g, key, data, LQ_GGUF_TYPE_ARRAY, &kv);
    if (st != LQ_OK)
        return st;
    if (!count)
        return lq__fail(LQ_ERR_INVALID, "%s: count is NULL", fn);
    if (kv->elem_type != elem_type || !lq__gguf_scalar_size(elem_type))
        return lq__fail(LQ_ERR_FORMAT, "%s: key '%.200s' is an array of %s, not of %s", fn, key,
                        lq__gguf_type_name(kv->elem_type), lq__gguf_type_name(elem_type));
    *data = kv->data;
    *count = kv->count;
    return LQ_OK;
}

lq_status lq_gguf_get_array_string(const lq_gguf *g, const char *key, uint64_t index,
                                   const char **out, size_t *len)
{
    static const char fn[] = "lq_gguf_get_array_string";
    const lq__gguf_kv *kv = NULL;
    lq_status st = find(fn, g, key, out, LQ_GGUF_TYPE_ARRAY, &kv);
    if (st != LQ_OK)
        return st;
    if (kv->elem_type != LQ_GGUF_TYPE_STRING)
        return lq__fail(LQ_ERR_FORMAT, "%s: key '%.200s' is an array of %s, not of string", fn,
                        key, lq__gguf_type_name(kv->elem_type));
    if (index >= kv->count)
        return lq__fail(LQ_ERR_INVALID, "%s: key '%.200s': index %llu is past its %llu strings",
                        fn, key, (unsigned long long)index, (unsigned long long)kv->count);
    *out = (const char *)kv->data + kv->str_off[index];
    if (len)
        *len = (size_t)(kv->str_off[index + 1] - kv->str_off[index] - 1);
    return LQ_OK;
}

/* ---- writing ---- */

static lq_status check_key(const char *fn, const lq_gguf *g, const char *key)
{
    if (!g || !key)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    size_t n = strlen(key);
    if (n == 0 || n > LQ__GGUF_MAX_KEY)
        return lq__fail(LQ_ERR_INVALID, "%s: a key must be 1 to %d bytes long", fn,
                        LQ__GGUF_MAX_KEY);
    return LQ_OK;
}

/* Put a finished value under `key`: replace the entry in place, or append.
 * Takes the value's memory either way. */
static lq_status store(const char *fn, lq_gguf *g, const char *key, lq__gguf_kv *val)
{
    bool is_align = strcmp(key, "general.alignment") == 0;
    if (is_align) {
        uint32_t a = 0;
        if (val->type == LQ_GGUF_TYPE_U32)
            memcpy(&a, val->data, 4);
        if (a == 0 || (a & (a - 1)) != 0) {
            lq__gguf_kv_clear(val);
            return lq__fail(LQ_ERR_INVALID,
                            "%s: general.alignment must be a u32 power of two", fn);
        }
    }
    int64_t i = lq_gguf_find_key(g, key);
    if (i >= 0) {
        val->key = g->kv[i].key;
        val->key_len = g->kv[i].key_len;
        g->kv[i].key = NULL;
        lq__gguf_kv_clear(&g->kv[i]);
        g->kv[i] = *val;
    } else {
        lq__gguf_kv *kv = lq__gguf_kv_append(g);
        if (!kv || !(val->key = lq__strdup(key))) {
            if (kv)
                g->n_kv--;
            lq__gguf_kv_clear(val);
            return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
        }
        val->key_len = strlen(key);
        *kv = *val;
        if (!lq__names_add(&g->kv_index, g, lq__gguf_kv_name, g->n_kv - 1)) {
            lq__gguf_kv_clear(kv);
            g->n_kv--;
            return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
        }
    }
    if (is_align)
        lq__gguf_relayout(g);
    return LQ_OK;
}

static lq_status set_scalar(const char *fn, lq_gguf *g, const char *key, int type, const void *v)
{
    lq_status st = check_key(fn, g, key);
    if (st != LQ_OK)
        return st;
    lq__gguf_kv val = {0};
    val.type = type;
    val.size = lq__gguf_scalar_size(type);
    if (!(val.data = lq__malloc(8)))
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    memcpy(val.data, v, val.size);
    return store(fn, g, key, &val);
}

#define SETTER(suffix, ctype, gtype)                                                 \
    lq_status lq_gguf_set_##suffix(lq_gguf *g, const char *key, ctype value)         \
    {                                                                                \
        return set_scalar("lq_gguf_set_" #suffix, g, key, gtype, &value);            \
    }

SETTER(u8, uint8_t, LQ_GGUF_TYPE_U8)
SETTER(i8, int8_t, LQ_GGUF_TYPE_I8)
SETTER(u16, uint16_t, LQ_GGUF_TYPE_U16)
SETTER(i16, int16_t, LQ_GGUF_TYPE_I16)
SETTER(u32, uint32_t, LQ_GGUF_TYPE_U32)
SETTER(i32, int32_t, LQ_GGUF_TYPE_I32)
SETTER(u64, uint64_t, LQ_GGUF_TYPE_U64)
SETTER(i64, int64_t, LQ_GGUF_TYPE_I64)
SETTER(f32, float, LQ_GGUF_TYPE_F32)
SETTER(f64, double, LQ_GGUF_TYPE_F64)

lq_status lq_gguf_set_bool(lq_gguf *g, const char *key, int value)
{
    uint8_t b = value != 0;
    return set_scalar("lq_gguf_set_bool", g, key, LQ_GGUF_TYPE_BOOL, &b);
}

lq_status lq_gguf_set_string(lq_gguf *g, const char *key, const char *value)
{
    static const char fn[] = "lq_gguf_set_string";
    lq_status st = check_key(fn, g, key);
    if (st != LQ_OK)
        return st;
    if (!value)
        return lq__fail(LQ_ERR_INVALID, "%s: value is NULL", fn);
    lq__gguf_kv val = {0};
    val.type = LQ_GGUF_TYPE_STRING;
    val.size = strlen(value);
    if (!(val.data = (uint8_t *)lq__strdup(value)))
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    return store(fn, g, key, &val);
}

lq_status lq_gguf_set_array(lq_gguf *g, const char *key, int elem_type, const void *data,
                            uint64_t count)
{
    static const char fn[] = "lq_gguf_set_array";
    lq_status st = check_key(fn, g, key);
    if (st != LQ_OK)
        return st;
    size_t esize = lq__gguf_scalar_size(elem_type), bytes;
    if (!esize)
        return lq__fail(LQ_ERR_INVALID, "%s: element type %d is not a numeric or bool type "
                        "(strings: lq_gguf_set_array_strings)", fn, elem_type);
    if (!data && count)
        return lq__fail(LQ_ERR_INVALID, "%s: data is NULL", fn);
    if (count > SIZE_MAX || !lq__mul_size((size_t)count, esize, &bytes))
        return lq__fail(LQ_ERR_NOMEM, "%s: %llu elements do not fit in memory", fn,
                        (unsigned long long)count);
    if (elem_type == LQ_GGUF_TYPE_BOOL)
        for (size_t i = 0; i < bytes; i++)
            if (((const uint8_t *)data)[i] > 1)
                return lq__fail(LQ_ERR_INVALID, "%s: bool element %zu is %u, not 0 or 1", fn,
                                i, ((const uint8_t *)data)[i]);
    lq__gguf_kv val = {0};
    val.type = LQ_GGUF_TYPE_ARRAY;
    val.elem_type = elem_type;
    val.count = count;
    val.size = bytes;
    if (!(val.data = lq__malloc(bytes ? bytes : 1)))
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (bytes)
        memcpy(val.data, data, bytes);
    return store(fn, g, key, &val);
}

lq_status lq_gguf_set_array_strings(lq_gguf *g, const char *key, const char *const *strings,
                                    uint64_t count)
{
    static const char fn[] = "lq_gguf_set_array_strings";
    lq_status st = check_key(fn, g, key);
    if (st != LQ_OK)
        return st;
    if (!strings && count)
        return lq__fail(LQ_ERR_INVALID, "%s: strings is NULL", fn);
    size_t total = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (!strings[i])
            return lq__fail(LQ_ERR_INVALID, "%s: string %llu is NULL", fn, (unsigned long long)i);
        if (!lq__add_size(total, strlen(strings[i]) + 1, &total))
            return lq__fail(LQ_ERR_NOMEM, "%s: the strings do not fit in memory", fn);
    }
    lq__gguf_kv val = {0};
    val.type = LQ_GGUF_TYPE_ARRAY;
    val.elem_type = LQ_GGUF_TYPE_STRING;
    val.count = count;
    val.size = total;
    val.data = lq__malloc(total ? total : 1);
    val.str_off = count + 1 <= SIZE_MAX / sizeof(uint64_t)
                      ? lq__malloc((size_t)(count + 1) * sizeof(uint64_t))
                      : NULL;
    if (!val.data || !val.str_off) {
        lq__gguf_kv_clear(&val);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    size_t off = 0;
    for (uint64_t i = 0; i < count; i++) {
        size_t n = strlen(strings[i]) + 1;
        val.str_off[i] = off;
        memcpy(val.data + off, strings[i], n);
        off += n;
    }
    val.str_off[count] = off;
    return store(fn, g, key, &val);
}

lq_status lq_gguf_copy_kv(lq_gguf *dst, const lq_gguf *src, const char *key)
{
    static const char fn[] = "lq_gguf_copy_kv";
    lq_status st = check_key(fn, dst, key);
    const lq__gguf_kv *from = NULL;
    if (st == LQ_OK)
        st = find(fn, src, key, key, -1, &from);
    if (st != LQ_OK)
        return st;
    lq__gguf_kv val = {0};
    val.type = from->type;
    val.elem_type = from->elem_type;
    val.count = from->count;
    val.size = from->size;
    /* strings carry a NUL after their bytes */
    size_t bytes = from->size + (from->type == LQ_GGUF_TYPE_STRING);
    val.data = lq__malloc(bytes > 8 ? bytes : 8);
    if (val.data)
        memcpy(val.data, from->data, bytes);
    if (val.data && from->str_off) {
        size_t n = ((size_t)from->count + 1) * sizeof *from->str_off;
        if ((val.str_off = lq__malloc(n)))
            memcpy(val.str_off, from->str_off, n);
    }
    if (!val.data || (from->str_off && !val.str_off)) {
        lq__gguf_kv_clear(&val);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    return store(fn, dst, key, &val);
}

lq_status lq_gguf_remove_key(lq_gguf *g, const char *key)
{
    static const char fn[] = "lq_gguf_remove_key";
    if (!g || !key)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    int64_t i = lq_gguf_find_key(g, key);
    if (i < 0)
        return LQ_OK;
    bool is_align = strcmp(key, "general.alignment") == 0;
    lq__gguf_kv_clear(&g->kv[i]);
    memmove(&g->kv[i], &g->kv[i + 1], (size_t)(g->n_kv - i - 1) * sizeof *g->kv);
    g->n_kv--;
    if (!lq__names_rebuild(&g->kv_index, g, lq__gguf_kv_name, g->n_kv))
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (is_align)
        lq__gguf_relayout(g);
    return LQ_OK;
}
