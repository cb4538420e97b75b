/* safetensors_read.c — lq_safetensors_open: one file, or the shards of an
 * index, each validated before use: header length, strict JSON, every
 * tensor's dtype, shape and data_offsets, and the data covered exactly once. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "json.h"
#include "le.h"
#include "safetensors_internal.h"

#define HEADER_DEPTH 8 /* root, tensor, shape: 3 levels are needed */

typedef struct ctx {
    const char *fn, *name;
    size_t base;  /* file offset of byte 0 of the JSON text */
    size_t size;  /* file size */
} ctx;

static lq_status bad(const ctx *c, size_t at, const char *fmt, ...) LQ__PRINTF(3, 4);

static lq_status bad(const ctx *c, size_t at, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return lq__fail(LQ_ERR_FORMAT, "%s: %s: %s (at offset %zu of %zu bytes)", c->fn, c->name,
                    what, c->base + at, c->size);
}

static lq_status nomem(const ctx *c)
{
    return lq__fail(LQ_ERR_NOMEM, "%s: %s: out of memory", c->fn, c->name);
}

/* A JSON integer >= 0 */
static bool is_count(const lq__json *v)
{
    return v && v->kind == LQ__JSON_INT && v->integer >= 0;
}

static lq_status read_metadata(const ctx *c, const lq__json *m, lq_safetensors *st)
{
    if (m->kind != LQ__JSON_OBJECT)
        return bad(c, m->offset, "__metadata__ is %s, not an object", lq__json_kind_name(m->kind));
    for (size_t i = 0; i < m->count; i++) {
        const lq__json *v = &m->items[i];
        if (v->kind != LQ__JSON_STRING)
            return bad(c, v->offset, "__metadata__ '%.64s' is %s, not a string", v->key,
                       lq__json_kind_name(v->kind));
        if (memchr(v->key, 0, v->key_len) || memchr(v->str, 0, v->len))
            return bad(c, v->offset, "__metadata__ '%.64s' holds a NUL character", v->key);
        if (lq__st_meta_put(st, v->key, v->key_len, v->str, v->len, false) != LQ_OK)
            return nomem(c);
    }
    return LQ_OK;
}

/* One tensor entry; its data range goes to *begin, *end. */
static lq_status read_tensor(const ctx *c, const lq__json *e, lq_safetensors *st, int shard,
                             const uint8_t *buffer, uint64_t buffer_size, uint64_t *begin,
                             uint64_t *end)
{
    const char *nm = e->key;
    if (e->key_len == 0 || memchr(e->key, 0, e->key_len))
        return bad(c, e->offset, "a tensor name is empty or holds a NUL character");
    if (e->kind != LQ__JSON_OBJECT)
        return bad(c, e->offset, "tensor '%.200s' is %s, not an object", nm,
                   lq__json_kind_name(e->kind));
    const lq__json *dtype = NULL, *shape = NULL, *offsets = NULL;
    for (size_t i = 0; i < e->count; i++) {
        const lq__json *f = &e->items[i];
        if (strcmp(f->key, "dtype") == 0)
            dtype = f;
        else if (strcmp(f->key, "shape") == 0)
            shape = f;
        else if (strcmp(f->key, "data_offsets") == 0)
            offsets = f;
        else
            return bad(c, f->offset, "tensor '%.200s' has an unknown field '%.64s'", nm, f->key);
    }
    if (!dtype || !shape || !offsets)
        return bad(c, e->offset, "tensor '%.200s' lacks '%s'", nm,
                   !dtype ? "dtype" : !shape ? "shape" : "data_offsets");
    const lq__st_dtype *dt = dtype->kind == LQ__JSON_STRING
                                 ? lq__st_dtype_find(dtype->str, dtype->len) : NULL;
    if (!dt)
        return bad(c, dtype->offset, "tensor '%.200s' has an unknown dtype", nm);
    if (shape->kind != LQ__JSON_ARRAY || shape->count > LQ_SAFETENSORS_MAX_DIMS)
        return bad(c, shape->offset, "tensor '%.200s': shape is not an array of at most %d "
                   "dimensions", nm, LQ_SAFETENSORS_MAX_DIMS);
    int64_t dims[LQ_SAFETENSORS_MAX_DIMS];
    for (size_t d = 0; d < shape->count; d++) {
        if (!is_count(&shape->items[d]))
            return bad(c, shape->items[d].offset, "tensor '%.200s': dimension %zu is not an "
                       "integer >= 0", nm, d);
        dims[d] = shape->items[d].integer;
    }
    uint64_t nbytes;
    const char *why;
    if (!lq__st_nbytes(dt, (int)shape->count, dims, &nbytes, &why))
        return bad(c, shape->offset, "tensor '%.200s': %s", nm, why);
    if (offsets->kind != LQ__JSON_ARRAY || offsets->count != 2 || !is_count(&offsets->items[0]) ||
        !is_count(&offsets->items[1]))
        return bad(c, offsets->offset, "tensor '%.200s': data_offsets is not two integers >= 0",
                   nm);
    *begin = (uint64_t)offsets->items[0].integer;
    *end = (uint64_t)offsets->items[1].integer;
    if (*begin > *end || *end > buffer_size)
        return bad(c, offsets->offset, "tensor '%.200s': data_offsets [%llu, %llu) are not "
                   "inside the %llu bytes of data", nm, (unsigned long long)*begin,
                   (unsigned long long)*end, (unsigned long long)buffer_size);
    if (*end - *begin != nbytes)
        return bad(c, offsets->offset, "tensor '%.200s': data_offsets [%llu, %llu) hold %llu "
                   "bytes, but %s %s needs %llu", nm, (unsigned long long)*begin,
                   (unsigned long long)*end, (unsigned long long)(*end - *begin), dt->name,
                   shape->count ? "of that shape" : "scalar", (unsigned long long)nbytes);
    if (lq__names_find(&st->index, st, lq__st_tensor_name, nm, e->key_len) >= 0)
        return bad(c, e->offset, "tensor '%.200s' appears twice", nm);
    lq__st_tensor *t = lq__st_tensor_append(st);
    if (!t || !(t->name = lq__strndup(nm, e->key_len)))
        return nomem(c);
    t->name_len = e->key_len;
    t->dtype = dt;
    t->ndim = (int)shape->count;
    memcpy(t->shape, dims, shape->count * sizeof *dims);
    t->nbytes = nbytes;
    t->data = buffer + *begin;
    t->shard = shard;
    if (!lq__names_add(&st->index, st, lq__st_tensor_name, st->n_t - 1))
        return nomem(c);
    return LQ_OK;
}

typedef struct range {
    uint64_t begin, end;
    int64_t tensor;
} range;

static int cmp_range(const void *a, const void *b)
{
    const range *x = a, *y = b;
    if (x->begin != y->begin)
        return (x->begin > y->begin) - (x->begin < y->begin);
    return (x->end > y->end) - (x->end < y->end);
}

/* The data must be covered exactly: no hole (a hiding place for another
 * file) and no byte in two tensors. */
static lq_status check_coverage(const ctx *c, const lq_safetensors *st, range *r, size_t n,
                                uint64_t buffer_size)
{
    if (n)
        qsort(r, n, sizeof *r, cmp_range);
    uint64_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        const char *nm = st->t[r[i].tensor].name;
        if (r[i].begin > pos)
            return bad(c, 0, "data bytes [%llu, %llu) belong to no tensor (before '%.200s')",
                       (unsigned long long)pos, (unsigned long long)r[i].begin, nm);
        if (r[i].begin < pos)
            return bad(c, 0, "tensor '%.200s' data [%llu, %llu) overlaps the tensor before it",
                       nm, (unsigned long long)r[i].begin, (unsigned long long)r[i].end);
        pos = r[i].end;
    }
    if (pos != buffer_size)
        return bad(c, 0, "data bytes [%llu, %llu) at the end belong to no tensor",
                   (unsigned long long)pos, (unsigned long long)buffer_size);
    return LQ_OK;
}

lq_status lq__safetensors_parse(const char *fn, const char *name, const uint8_t *data,
                                size_t size, int shard, lq_safetensors *st)
{
    ctx c = {fn, name, 8, size};
    if (size < 8)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s: %zu bytes cannot hold a safetensors header", fn,
                        name, size);
    uint64_t n = lq__le64_get(data);
    if (n > LQ__ST_MAX_HEADER)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s: header length %llu is over the %u-byte limit "
                        "(at offset 0)", fn, name, (unsigned long long)n, LQ__ST_MAX_HEADER);
    if (n > size - 8)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s: header length %llu runs past the end of the "
                        "file (%zu bytes) (at offset 0)", fn, name, (unsigned long long)n, size);
    const char *text = (const char *)data + 8;
    if (n == 0 || text[0] != '{')
        return bad(&c, 0, "the header does not start with '{'");
    lq__json_doc *doc;
    lq_status s = lq__json_parse(fn, name, text, (size_t)n, HEADER_DEPTH, &doc);
    if (s != LQ_OK)
        return s;
    const lq__json *root = lq__json_root(doc);
    const uint8_t *buffer = data + 8 + n;
    uint64_t buffer_size = size - 8 - n;
    range *ranges = root->count ? lq__calloc(root->count, sizeof *ranges) : NULL;
    size_t n_ranges = 0;
    if (root->count && !ranges)
        s = nomem(&c);
    for (size_t i = 0; s == LQ_OK && i < root->count; i++) {
        const lq__json *e = &root->items[i];
        if (strcmp(e->key, "__metadata__") == 0 && e->key_len == 12) {
            s = read_metadata(&c, e, st);
            continue;
        }
        range *r = &ranges[n_ranges++];
        s = read_tensor(&c, e, st, shard, buffer, buffer_size, &r->begin, &r->end);
        r->tensor = st->n_t - 1;
    }
    if (s == LQ_OK)
        s = check_coverage(&c, st, ranges, n_ranges, buffer_size);
    lq__free(ranges);
    lq__json_free(doc);
    return s;
}

/* ---- opening files ---- */

static lq_status add_map(const char *fn, lq_safetensors *st, const char *path, int *shard)
{
    lq__map *maps = lq__calloc((size_t)st->n_maps + 1, sizeof *maps);
    if (!maps)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (st->n_maps)
        memcpy(maps, st->maps, (size_t)st->n_maps * sizeof *maps);
    lq__free(st->maps);
    st->maps = maps;
    lq_status s = lq__map_open(fn, path, &st->maps[st->n_maps]);
    if (s != LQ_OK)
        return s;
    *shard = st->n_maps++;
    /* tensor data pointers into earlier maps stay valid: maps never move */
    return LQ_OK;
}

static lq_status open_file(const char *fn, lq_safetensors *st, const char *path)
{
    int shard = 0;
    lq_status s = add_map(fn, st, path, &shard);
    if (s != LQ_OK)
        return s;
    return lq__safetensors_parse(fn, lq__path_base(path), st->maps[shard].data,
                                 st->maps[shard].size, shard, st);
}

/* A shard name from an index must be a plain file name in the same folder. */
static bool plain_file_name(const lq__json *v)
{
    return v->kind == LQ__JSON_STRING && v->len > 0 && !memchr(v->str, '/', v->len) &&
           !memchr(v->str, 0, v->len) && strcmp(v->str, ".") != 0 && strcmp(v->str, "..") != 0;
}

static lq_status open_index(const char *fn, lq_safetensors *st, const char *path)
{
    const char *name = lq__path_base(path);
    lq__map index;
    lq_status s = lq__map_open(fn, path, &index);
    if (s != LQ_OK)
        return s;
    ctx c = {fn, name, 0, index.size};
    lq__json_doc *doc = NULL;
    if (index.size > LQ__ST_MAX_HEADER)
        s = bad(&c, 0, "the index is larger than %u bytes", LQ__ST_MAX_HEADER);
    else
        s = lq__json_parse(fn, name, (const char *)index.data, index.size, HEADER_DEPTH, &doc);
    const lq__json *root = doc ? lq__json_root(doc) : NULL, *map = NULL;
    if (s == LQ_OK && !(map = lq__json_get(root, "weight_map")))
        s = bad(&c, root->offset, "no 'weight_map' object");
    if (s == LQ_OK && map->kind != LQ__JSON_OBJECT)
        s = bad(&c, map->offset, "'weight_map' is %s, not an object", lq__json_kind_name(map->kind));
    /* open each shard once, in order of first mention */
    char *dir = s == LQ_OK ? lq__path_dir(path) : NULL;
    if (s == LQ_OK && !dir)
        s = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    int *shard_of = NULL; /* weight_map entry -> map index */
    if (s == LQ_OK && map->count && !(shard_of = lq__calloc(map->count, sizeof *shard_of)))
        s = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    int first_map = st->n_maps;
    const lq__json **files = NULL;
    if (s == LQ_OK && map->count && !(files = lq__calloc(map->count, sizeof *files)))
        s = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    for (size_t i = 0; s == LQ_OK && i < map->count; i++) {
        const lq__json *v = &map->items[i];
        if (!plain_file_name(v)) {
            s = bad(&c, v->offset, "weight_map '%.200s' does not name a file in the same folder",
                    v->key);
            break;
        }
        int k = 0;
        while (k < st->n_maps - first_map &&
               !(files[k]->len == v->len && memcmp(files[k]->str, v->str, v->len) == 0))
            k++;
        if (k == st->n_maps - first_map) {
            char *shard_path = lq__path_join(dir, v->str);
            files[k] = v;
            s = shard_path ? open_file(fn, st, shard_path)
                           : lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
            lq__free(shard_path);
        }
        shard_of[i] = first_map + k;
    }
    /* both directions: every entry is in the shard it names, and every
     * tensor of every shard has an entry */
    bool *listed = NULL;
    if (s == LQ_OK && st->n_t && !(listed = lq__calloc((size_t)st->n_t, sizeof *listed)))
        s = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    for (size_t i = 0; s == LQ_OK && i < map->count; i++) {
        const lq__json *v = &map->items[i];
        int64_t t = lq__names_find(&st->index, st, lq__st_tensor_name, v->key, v->key_len);
        if (t < 0 || st->t[t].shard != shard_of[i])
            s = bad(&c, v->offset, "weight_map says tensor '%.200s' is in %s, but it is %s", v->key,
                    v->str, t < 0 ? "in no shard" : "elsewhere");
        else
            listed[t] = true;
    }
    for (int64_t t = 0; s == LQ_OK && t < st->n_t; t++)
        if (st->t[t].shard >= first_map && !listed[t])
            s = bad(&c, map->offset, "tensor '%.200s' of shard %s is missing from weight_map",
                    st->t[t].name, files[st->t[t].shard - first_map]->str);
    lq__free(listed);
    lq__free(files);
    lq__free(shard_of);
    lq__free(dir);
    lq__json_free(doc);
    lq__map_close(&index);
    return s;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

lq_status lq_safetensors_open(const char *path, lq_safetensors **out)
{
    static const char fn[] = "lq_safetensors_open";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!path)
        return lq__fail(LQ_ERR_INVALID, "%s: path is NULL", fn);
    lq_safetensors *st;
    lq_status s = lq_safetensors_create(&st);
    if (s != LQ_OK)
        return s;
    if (lq__is_dir(path)) {
        char *index = lq__path_join(path, "model.safetensors.index.json");
        char *single = lq__path_join(path, "model.safetensors");
        if (!index || !single)
            s = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
        else if (access(index, F_OK) == 0)
            s = open_index(fn, st, index);
        else if (access(single, F_OK) == 0)
            s = open_file(fn, st, single);
        else
            s = lq__fail(LQ_ERR_IO, "%s: %s: the folder has neither "
                         "model.safetensors.index.json nor model.safetensors", fn, path);
        lq__free(index);
        lq__free(single);
    } else if (ends_with(path, ".json")) {
        s = open_index(fn, st, path);
    } else {
        s = open_file(fn, st, path);
    }
    if (s != LQ_OK) {
        lq_safetensors_free(st);
        return s;
    }
    *out = st;
    return LQ_OK;
}
