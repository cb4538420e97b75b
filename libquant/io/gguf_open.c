/* gguf_open.c — lq_gguf_open: a GGUF file, mapped and parsed; and when it is
 * the first file of a split model, the whole model: the tensors of every
 * file, in file order, with the metadata of the first, as llama.cpp's model
 * loader sees it. Each file stays mapped until the handle is freed. */
#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "gguf_internal.h"
#include "gguf_split.h"
#include "le.h"

char *lq__split_path(const char *prefix, int no, int count)
{
    size_t len = strlen(prefix) + 32; /* "-%05d-of-%05d.gguf" is 22 bytes for u16 numbers */
    char *p = lq__malloc(len);
    if (p)
        snprintf(p, len, "%s-%05d-of-%05d.gguf", prefix, no + 1, count);
    return p;
}

/* The u16 or i32 value of `key` in g (file `name`); absent is *found = false. */
static lq_status get_key(const char *fn, const char *name, const lq_gguf *g, const char *key,
                         int type, int64_t *value, bool *found)
{
    int64_t i = lq_gguf_find_key(g, key);
    *found = i >= 0;
    if (i < 0)
        return LQ_OK;
    if (g->kv[i].type != type)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s: key %s is a %s, not a %s", fn, name, key,
                        lq__gguf_type_name(g->kv[i].type), lq__gguf_type_name(type));
    *value = type == LQ_GGUF_TYPE_U16 ? (int64_t)lq__le16_get(g->kv[i].data)
                                      : (int64_t)(int32_t)lq__le32_get(g->kv[i].data);
    return LQ_OK;
}

static lq_status require_key(const char *fn, const char *name, const lq_gguf *g, const char *key,
                             int type, int64_t *value)
{
    bool found;
    lq_status st = get_key(fn, name, g, key, type, value, &found);
    if (st == LQ_OK && !found)
        st = lq__fail(LQ_ERR_FORMAT, "%s: %s: a file of a split model has no key %s", fn, name,
                      key);
    return st;
}

/* Move the tensor infos of `part` (split file `name`) into g; the data stays
 * where it is, in part's map, which g takes over. */
static lq_status take_tensors(const char *fn, const char *name, lq_gguf *g, const lq_gguf *part)
{
    for (int64_t i = 0; i < part->n_t; i++) {
        const lq__gguf_tensor *src = &part->t[i];
        int64_t dup = lq__names_find(&g->t_index, g, lq__gguf_tensor_name, src->name,
                                     src->name_len);
        if (dup >= 0)
            return lq__fail(LQ_ERR_FORMAT, "%s: %s: tensor '%s' is also in an earlier split file",
                            fn, name, src->name);
        lq__gguf_tensor *t = lq__gguf_tensor_append(g);
        if (!t)
            return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
        *t = *src;
        if (!lq__names_add(&g->t_index, g, lq__gguf_tensor_name, g->n_t - 1)) {
            g->n_t--;
            return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
        }
    }
    return LQ_OK;
}

/* Map, parse and check split `no` of `count`, and add its tensors to g. */
static lq_status join_one(const char *fn, const char *prefix, int no, int count, lq_gguf *g)
{
    char *path = lq__split_path(prefix, no, count);
    if (!path)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    const char *name = lq__path_base(path);
    lq__map map = {0};
    lq_gguf *part = NULL;
    lq_status st = lq__map_open(fn, path, &map);
    if (st == LQ_OK)
        st = lq__gguf_parse(fn, name, map.data, map.size, &part);
    int64_t part_no = 0, part_count = 0;
    if (st == LQ_OK)
        st = require_key(fn, name, part, LQ__SPLIT_NO, LQ_GGUF_TYPE_U16, &part_no);
    if (st == LQ_OK)
        st = require_key(fn, name, part, LQ__SPLIT_COUNT, LQ_GGUF_TYPE_U16, &part_count);
    if (st == LQ_OK && (part_no != no || part_count != count))
        st = lq__fail(LQ_ERR_FORMAT, "%s: %s: holds split %lld of %lld, expected split %d of %d "
                      "(is it from another model?)", fn, name, (long long)part_no + 1,
                      (long long)part_count, no + 1, count);
    if (st == LQ_OK)
        st = take_tensors(fn, name, g, part);
    if (st == LQ_OK)
        g->split_maps[g->n_split_maps++] = map; /* g's tensors now point into it (room for
                                                 * every file was made by the caller) */
    else
        lq__map_close(&map);
    lq_gguf_free(part);
    lq__free(path);
    return st;
}

/* The bytes before "-00001-of-0000n.gguf" in path; NULL (with *st set) when
 * the name does not end that way. */
static char *split_prefix(const char *fn, const char *path, int count, lq_status *st)
{
    char tail[32];
    int n = snprintf(tail, sizeof tail, "-%05d-of-%05d.gguf", 1, count);
    size_t len = strlen(path);
    if (len <= (size_t)n || strcmp(path + len - n, tail) != 0) {
        *st = lq__fail(LQ_ERR_FORMAT, "%s: %s: the first file of a split model (split.count %d) "
                       "must be named <prefix>%s, from which the other files' names are made",
                       fn, lq__path_base(path), count, tail);
        return NULL;
    }
    char *prefix = lq__strndup(path, len - n);
    *st = prefix ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    return prefix;
}

/* `g` was just parsed from `path`. When it is the first file of a split
 * model (split.count > 0, split.no 0), add the tensors of the other files
 * (mapped and kept in g), check the set, and remove the split.* keys, so
 * that g is the model as one file. A file without split.count is left as it
 * is. */
static lq_status split_join(const char *fn, const char *path, lq_gguf *g)
{
    const char *name = lq__path_base(path);
    int64_t count = 0, no = 0, total = 0;
    bool found;
    lq_status st = get_key(fn, name, g, LQ__SPLIT_COUNT, LQ_GGUF_TYPE_U16, &count, &found);
    /* llama-gguf-split --merge marks the files it merges with split.count 0 */
    if (st != LQ_OK || !found || count == 0)
        return st;
    st = require_key(fn, name, g, LQ__SPLIT_NO, LQ_GGUF_TYPE_U16, &no);
    if (st == LQ_OK && no != 0)
        st = lq__fail(LQ_ERR_FORMAT, "%s: %s is split %lld of %lld of a model: open the first "
                      "one (ending in -00001-of-%05lld.gguf)", fn, name, (long long)no + 1,
                      (long long)count, (long long)count);
    if (st == LQ_OK)
        st = require_key(fn, name, g, LQ__SPLIT_TENSORS, LQ_GGUF_TYPE_I32, &total);
    char *prefix = NULL;
    if (st == LQ_OK && count > 1)
        prefix = split_prefix(fn, path, (int)count, &st);
    if (st == LQ_OK && count > 1 &&
        !(g->split_maps = lq__calloc((size_t)count - 1, sizeof *g->split_maps)))
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    for (int i = 1; st == LQ_OK && i < count; i++)
        st = join_one(fn, prefix, i, (int)count, g);
    lq__free(prefix);
    if (st == LQ_OK && total != g->n_t)
        st = lq__fail(LQ_ERR_FORMAT, "%s: %s: split.tensors.count is %lld but the %lld files "
                      "hold %lld tensors", fn, name, (long long)total, (long long)count,
                      (long long)g->n_t);
    /* the handle is now the model as one file: no split keys, tensors laid
     * out and the data section placed as lq_gguf_save writes them */
    const char *keys[] = {LQ__SPLIT_NO, LQ__SPLIT_COUNT, LQ__SPLIT_TENSORS};
    for (int i = 0; st == LQ_OK && i < 3; i++)
        st = lq_gguf_remove_key(g, keys[i]);
    lq__buf header = {0};
    if (st == LQ_OK) {
        lq__gguf_relayout(g);
        st = lq__gguf_header(fn, g, &header);
        g->data_offset = header.len;
    }
    lq__buf_free(&header);
    return st;
}

lq_status lq_gguf_open(const char *path, lq_gguf **out)
{
    static const char fn[] = "lq_gguf_open";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!path)
        return lq__fail(LQ_ERR_INVALID, "%s: path is NULL", fn);
    lq__map map;
    lq_status st = lq__map_open(fn, path, &map);
    if (st != LQ_OK)
        return st;
    st = lq__gguf_parse(fn, lq__path_base(path), map.data, map.size, out);
    if (st != LQ_OK) {
        lq__map_close(&map);
        return st;
    }
    (*out)->map = map;
    st = split_join(fn, path, *out);
    if (st != LQ_OK) {
        lq_gguf_free(*out);
        *out = NULL;
    }
    return st;
}
