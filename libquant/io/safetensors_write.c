/* safetensors_write.c — lq_safetensors_save: one file, or shards and an
 * index, each written to a temporary and renamed into place only when every
 * file is complete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "json.h"
#include "le.h"
#include "safetensors_internal.h"

typedef struct slot {
    int bits;
    const char *name;
    size_t name_len;
    int64_t tensor;
    int shard;
} slot;

static int cmp_name(const void *a, const void *b)
{
    const slot *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

/* Storage order: larger elements first, then by name (as the reference
 * writer does), so that each tensor starts aligned to its element size. */
static int cmp_storage(const void *a, const void *b)
{
    const slot *x = a, *y = b;
    if (x->bits != y->bits)
        return x->bits > y->bits ? -1 : 1;
    return cmp_name(a, b);
}

typedef struct shard {
    int64_t first, count; /* a run of the storage order */
    char *path;
    lq__out out;
} shard;

static void put_header(const lq_safetensors *st, const slot *order, const shard *sh, lq__buf *b)
{
    lq__jw w;
    lq__buf_zeros(b, 8); /* the length, filled in below */
    lq__jw_init(&w, b, 0);
    lq__jw_object(&w);
    if (st->n_meta) {
        lq__jw_key(&w, "__metadata__", 12);
        lq__jw_object(&w);
        for (int64_t i = 0; i < st->n_meta; i++) {
            lq__jw_key(&w, st->meta[i].key, strlen(st->meta[i].key));
            lq__jw_string(&w, st->meta[i].value, strlen(st->meta[i].value));
        }
        lq__jw_end(&w);
    }
    uint64_t pos = 0;
    for (int64_t i = sh->first; i < sh->first + sh->count; i++) {
        const lq__st_tensor *t = &st->t[order[i].tensor];
        lq__jw_key(&w, t->name, t->name_len);
        lq__jw_object(&w);
        lq__jw_key(&w, "dtype", 5);
        lq__jw_string(&w, t->dtype->name, strlen(t->dtype->name));
        lq__jw_key(&w, "shape", 5);
        lq__jw_array(&w);
        for (int d = 0; d < t->ndim; d++)
            lq__jw_int(&w, t->shape[d]);
        lq__jw_end(&w);
        lq__jw_key(&w, "data_offsets", 12);
        lq__jw_array(&w);
        lq__jw_uint(&w, pos);
        lq__jw_uint(&w, pos + t->nbytes);
        lq__jw_end(&w);
        lq__jw_end(&w);
        pos += t->nbytes;
    }
    lq__jw_end(&w);
    while (!b->failed && b->len % 8)
        lq__buf_putc(b, ' ');
    if (!b->failed)
        lq__le64_put(b->data, b->len - 8);
}

/* The index: total size and a weight_map sorted by name. Sorts `order`. */
static void put_index(const lq_safetensors *st, slot *order, const shard *shards, lq__buf *b)
{
    uint64_t total = 0;
    for (int64_t i = 0; i < st->n_t; i++)
        total += st->t[i].nbytes;
    qsort(order, (size_t)st->n_t, sizeof *order, cmp_name);
    lq__jw w;
    lq__jw_init(&w, b, 2);
    lq__jw_object(&w);
    lq__jw_key(&w, "metadata", 8);
    lq__jw_object(&w);
    lq__jw_key(&w, "total_size", 10);
    lq__jw_uint(&w, total);
    lq__jw_end(&w);
    lq__jw_key(&w, "weight_map", 10);
    lq__jw_object(&w);
    for (int64_t i = 0; i < st->n_t; i++) {
        const char *file = lq__path_base(shards[order[i].shard].path);
        lq__jw_key(&w, order[i].name, order[i].name_len);
        lq__jw_string(&w, file, strlen(file));
    }
    lq__jw_end(&w);
    lq__jw_end(&w);
    lq__buf_putc(b, '\n');
}

/* "dir/model.safetensors" -> "dir/model-00002-of-00005.safetensors" */
static char *shard_path(const char *path, int i, int n)
{
    size_t stem = strlen(path) - strlen(".safetensors");
    size_t cap = stem + 64;
    char *p = lq__malloc(cap);
    if (p)
        snprintf(p, cap, "%.*s-%05d-of-%05d.safetensors", (int)stem, path, i + 1, n);
    return p;
}

typedef struct progress {
    lq_ctx *ctx;
    uint64_t done, total;
} progress;

static lq_status write_shard(const char *fn, const lq_safetensors *st, const slot *order,
                             shard *sh, progress *pr)
{
    lq__buf header = {0};
    put_header(st, order, sh, &header);
    lq_status s = header.failed ? lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn)
                                : lq__out_open(fn, sh->path, &sh->out);
    if (s == LQ_OK)
        s = lq__out_write(&sh->out, header.data, header.len);
    lq__buf_free(&header);
    for (int64_t i = sh->first; s == LQ_OK && i < sh->first + sh->count; i++) {
        const lq__st_tensor *t = &st->t[order[i].tensor];
        const uint8_t *p = t->data;
        if (t->make && (s = t->make(t->make_user, t->make_arg, t->name, t->nbytes, &p)) != LQ_OK)
            break;
        for (uint64_t left = t->nbytes; s == LQ_OK && left > 0;) {
            size_t k = left < (64u << 20) ? (size_t)left : (64u << 20);
            s = lq__out_write(&sh->out, p, k);
            p += k;
            left -= k;
            pr->done += k;
            if (s == LQ_OK && pr->ctx && pr->ctx->progress &&
                pr->ctx->progress(pr->ctx->progress_user, "save",
                                  (double)pr->done / (double)pr->total))
                s = lq__fail(LQ_ERR_CANCELLED, "%s: %s: cancelled", fn, sh->path);
        }
    }
    return s == LQ_OK ? lq__out_sync(&sh->out) : s;
}

/* Split the storage order into shards of at most max bytes (0: one). */
static int plan_shards(const lq_safetensors *st, slot *order, uint64_t max, shard *shards)
{
    int n = 0;
    uint64_t bytes = 0;
    for (int64_t i = 0; i < st->n_t; i++) {
        uint64_t b = st->t[order[i].tensor].nbytes;
        if (n == 0 || (max && shards[n - 1].count && bytes + b > max)) {
            shards[n].first = i;
            shards[n].count = 0;
            n++;
            bytes = 0;
        }
        shards[n - 1].count++;
        bytes += b;
        order[i].shard = n - 1;
    }
    return n ? n : 1; /* no tensors: one file with only the header */
}

lq_status lq_safetensors_save(lq_ctx *ctx, const lq_safetensors *st, const char *path,
                              uint64_t max_shard_bytes)
{
    static const char fn[] = "lq_safetensors_save";
    if (!st || !path)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    size_t n_t = (size_t)st->n_t;
    slot *order = lq__calloc(n_t ? n_t : 1, sizeof *order);
    shard *shards = lq__calloc(n_t ? n_t + 1 : 2, sizeof *shards); /* +1: the index */
    if (!order || !shards) {
        lq__free(order);
        lq__free(shards);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    progress pr = {ctx, 0, 0};
    for (size_t i = 0; i < n_t; i++) {
        const lq__st_tensor *t = &st->t[i];
        order[i] = (slot){t->dtype->bits, t->name, t->name_len, (int64_t)i, 0};
        pr.total += t->nbytes;
    }
    qsort(order, n_t, sizeof *order, cmp_storage);
    int n = plan_shards(st, order, max_shard_bytes, shards);
    int n_files = n > 1 ? n + 1 : 1;
    for (int i = 0; i < n_files; i++)
        shards[i].out.fd = -1;
    lq_status s = LQ_OK;
    if (n > 1 && !(strlen(path) > 12 && strcmp(path + strlen(path) - 12, ".safetensors") == 0))
        s = lq__fail(LQ_ERR_INVALID, "%s: %s: a sharded model needs a path ending in "
                     ".safetensors to name its shards after", fn, path);
    for (int i = 0; s == LQ_OK && i < n_files; i++) {
        if (n == 1)
            shards[i].path = lq__strdup(path);
        else if (i < n)
            shards[i].path = shard_path(path, i, n);
        else { /* the index: "model.safetensors" + ".index.json" */
            size_t len = strlen(path) + 12;
            if ((shards[i].path = lq__malloc(len)))
                snprintf(shards[i].path, len, "%s.index.json", path);
        }
        if (!shards[i].path)
            s = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    for (int i = 0; s == LQ_OK && i < n; i++)
        s = write_shard(fn, st, order, &shards[i], &pr);
    if (s == LQ_OK && n > 1) {
        lq__buf index = {0};
        put_index(st, order, shards, &index);
        s = index.failed ? lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn)
                         : lq__out_open(fn, shards[n].path, &shards[n].out);
        if (s == LQ_OK)
            s = lq__out_write(&shards[n].out, index.data, index.len);
        if (s == LQ_OK)
            s = lq__out_sync(&shards[n].out);
        lq__buf_free(&index);
    }
    /* every file is complete: rename them all, the index last; if a rename
     * fails, take back the ones already in place */
    int renamed = 0;
    for (; s == LQ_OK && renamed < n_files; renamed++)
        s = lq__out_commit(&shards[renamed].out);
    if (s != LQ_OK)
        for (int i = 0; i < renamed - 1; i++)
            unlink(shards[i].path);
    for (int i = 0; i < n_files; i++) {
        lq__out_abort(&shards[i].out);
        lq__free(shards[i].path);
    }
    lq__free(shards);
    lq__free(order);
    return s;
}
