/* gguf_split_write.c — lq_gguf_save_split: a model written as llama.cpp's
 * split GGUF files, byte for byte as llama-gguf-split --split writes them
 * (the rules are in doc/split-gguf.md). All files are written to temporaries
 * first and renamed into place only when every one is complete. */
#include <string.h>
#include <unistd.h>

#include <lq/lq.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "gguf_internal.h"
#include "gguf_split.h"

/* llama-gguf-split pads every tensor to ggml's default alignment, whatever
 * general.alignment says (see save_split's check). */
#define SPLIT_ALIGN LQ_GGUF_DEFAULT_ALIGNMENT

static uint64_t padded(uint64_t n) { return (n + SPLIT_ALIGN - 1) / SPLIT_ALIGN * SPLIT_ALIGN; }

/* The plan's rule: a file is started when the tensor would take its padded
 * tensor bytes (the header not counted) past max_bytes, or every
 * max_tensors tensors; a tensor larger than max_bytes still goes alone in a
 * file of its own, except that a file may not be left without tensors
 * (llama-gguf-split refuses then, too). */
lq_status lq__gguf_split_plan(const char *fn, const lq_gguf *g, uint64_t max_bytes,
                             int64_t max_tensors, bool empty_first, int *split_of, int *n_files)
{
    int cur = empty_first ? 1 : 0;
    int64_t in_cur = 0;
    uint64_t size = 0;
    for (int64_t i = 0; i < g->n_t; i++) {
        uint64_t n = padded(g->t[i].nbytes);
        bool next = max_bytes ? size + n > max_bytes : i > 0 && i % max_tensors == 0;
        if (next && in_cur == 0)
            return lq__fail(LQ_ERR_INVALID, "%s: split %d would hold no tensor: tensor '%s' "
                            "(%llu bytes padded) is larger than the split size %llu", fn, cur + 1,
                            g->t[i].name, (unsigned long long)n, (unsigned long long)max_bytes);
        if (next) {
            if (cur + 1 >= LQ__SPLIT_MAX_FILES)
                return lq__fail(LQ_ERR_INVALID, "%s: more than %d files (split.count is a u16)",
                                fn, LQ__SPLIT_MAX_FILES);
            cur++;
            in_cur = 0;
            size = 0;
        }
        size += n;
        split_of[i] = cur;
        in_cur++;
    }
    *n_files = cur + 1;
    return LQ_OK;
}

/* The order of the split keys is llama-gguf-split's: ggml's setters move a
 * key they set to the end, and split.count is set last. */
lq_status lq__gguf_split_header(const char *fn, const lq_gguf *g, const int *split_of, int no,
                                int count, lq_gguf **out)
{
    lq_gguf *h = NULL;
    lq_status st = lq_gguf_create(&h);
    for (int64_t i = 0; st == LQ_OK && no == 0 && i < g->n_kv; i++) {
        const char *key = g->kv[i].key;
        if (strcmp(key, LQ__SPLIT_NO) && strcmp(key, LQ__SPLIT_COUNT) &&
            strcmp(key, LQ__SPLIT_TENSORS))
            st = lq_gguf_copy_kv(h, g, key);
    }
    if (st == LQ_OK)
        st = lq_gguf_set_u16(h, LQ__SPLIT_NO, (uint16_t)no);
    if (st == LQ_OK)
        st = lq_gguf_set_i32(h, LQ__SPLIT_TENSORS, (int32_t)g->n_t);
    if (st == LQ_OK)
        st = lq_gguf_set_u16(h, LQ__SPLIT_COUNT, (uint16_t)count);
    for (int64_t i = 0; st == LQ_OK && i < g->n_t; i++) {
        const lq__gguf_tensor *t = &g->t[i];
        if (split_of[i] != no)
            continue;
        /* ggml writes a tensor's dimensions up to its last one that is not 1 */
        int ndim = t->ndim;
        while (ndim > 1 && t->ne[ndim - 1] == 1)
            ndim--;
        int64_t shape[LQ_MAX_DIMS];
        for (int d = 0; d < ndim; d++)
            shape[d] = t->ne[ndim - 1 - d];
        st = t->data || !t->nbytes
                 ? lq_gguf_add_tensor_raw(h, t->name, t->ggml_type, ndim, shape, t->data,
                                          t->nbytes, LQ_BORROW)
                 : lq_gguf_declare_tensor(h, t->name, t->ggml_type, ndim, shape);
    }
    if (st != LQ_OK) {
        lq_gguf_free(h);
        h = NULL;
    }
    *out = h;
    return st;
}

typedef struct progress {
    lq_ctx *ctx;
    uint64_t done, total;
} progress;

/* Write file `no` of the plan to a temporary (synced, not yet renamed). */
static lq_status write_file(const char *fn, const lq_gguf *g, const int *split_of, int no,
                            int count, const char *path, lq__out *out, progress *pr)
{
    lq_gguf *h;
    lq_status st = lq__gguf_split_header(fn, g, split_of, no, count, &h);
    if (st != LQ_OK)
        return st;
    lq__buf header = {0};
    st = lq__gguf_header(fn, h, &header);
    if (st == LQ_OK && h->n_t == 0)
        st = lq__gguf_split_pad_header(fn, &header);
    if (st == LQ_OK)
        st = lq__out_open(fn, path, out);
    if (st == LQ_OK)
        st = lq__out_write(out, header.data, header.len);
    lq__buf_free(&header);
    for (int64_t i = 0; st == LQ_OK && i < h->n_t; i++) {
        /* in pieces, so that progress moves and cancelling is quick */
        const uint8_t *p = h->t[i].data;
        for (uint64_t left = h->t[i].nbytes; st == LQ_OK && left > 0;) {
            uint64_t k = left < (64u << 20) ? left : (64u << 20);
            st = lq__out_write(out, p, (size_t)k);
            p += k;
            left -= k;
            pr->done += k;
            if (st == LQ_OK && pr->ctx && pr->ctx->progress &&
                pr->ctx->progress(pr->ctx->progress_user, "save",
                                  pr->total ? (double)pr->done / (double)pr->total : 1.0))
                st = lq__fail(LQ_ERR_CANCELLED, "%s: %s: cancelled", fn, path);
        }
        if (st == LQ_OK)
            st = lq__out_zeros(out, padded(h->t[i].nbytes) - h->t[i].nbytes);
    }
    if (st == LQ_OK)
        st = lq__out_sync(out);
    lq_gguf_free(h);
    return st;
}

lq_status lq__gguf_split_check(const char *fn, const lq_gguf *g, uint64_t max_bytes,
                               int64_t max_tensors, unsigned flags)
{
    if ((max_bytes > 0) == (max_tensors > 0) || max_tensors < 0)
        return lq__fail(LQ_ERR_INVALID, "%s: give either a largest size in bytes or a largest "
                        "number of tensors per file (> 0), not both", fn);
    if (flags & ~(unsigned)LQ_GGUF_SPLIT_NO_TENSOR_FIRST)
        return lq__fail(LQ_ERR_INVALID, "%s: unknown flags 0x%x", fn, flags);
    if (g->n_t > INT32_MAX)
        return lq__fail(LQ_ERR_INVALID, "%s: %lld tensors (split.tensors.count is an i32)", fn,
                        (long long)g->n_t);
    /* llama-gguf-split lays tensors out at 32 bytes but would copy another
     * general.alignment into the first file, which would then be unreadable */
    if (lq__gguf_alignment(g) != SPLIT_ALIGN)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: general.alignment is %llu; split files are "
                        "laid out at %d bytes", fn, (unsigned long long)lq__gguf_alignment(g),
                        SPLIT_ALIGN);
    return LQ_OK;
}

/* Arguments save_split refuses before planning. */
static lq_status check_args(const char *fn, const lq_gguf *g, const char *prefix,
                            uint64_t max_bytes, int64_t max_tensors, unsigned flags)
{
    if (!g || !prefix)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    lq_status st = lq__gguf_split_check(fn, g, max_bytes, max_tensors, flags);
    if (st != LQ_OK)
        return st;
    for (int64_t i = 0; i < g->n_t; i++)
        if (!g->t[i].data && g->t[i].nbytes)
            return lq__fail(LQ_ERR_STATE, "%s: tensor '%s' was declared without bytes", fn,
                            g->t[i].name);
    return LQ_OK;
}

lq_status lq_gguf_save_split(lq_ctx *ctx, const lq_gguf *g, const char *path_prefix,
                             uint64_t max_bytes, int64_t max_tensors, unsigned flags,
                             int *n_files)
{
    static const char fn[] = "lq_gguf_save_split";
    if (n_files)
        *n_files = 0;
    lq_status st = check_args(fn, g, path_prefix, max_bytes, max_tensors, flags);
    if (st != LQ_OK)
        return st;
    int *split_of = NULL;
    if (g->n_t && !(split_of = lq__calloc((size_t)g->n_t, sizeof *split_of)))
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    int count = 0;
    st = lq__gguf_split_plan(fn, g, max_bytes, max_tensors, flags & LQ_GGUF_SPLIT_NO_TENSOR_FIRST,
                             split_of, &count);
    lq__out *outs = NULL;
    char **paths = NULL;
    if (st == LQ_OK && (!(outs = lq__calloc((size_t)count, sizeof *outs)) ||
                        !(paths = lq__calloc((size_t)count, sizeof *paths))))
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    for (int i = 0; outs && i < count; i++)
        outs[i].fd = -1;
    progress pr = {ctx, 0, 0};
    for (int64_t i = 0; i < g->n_t; i++)
        pr.total += g->t[i].nbytes;
    for (int i = 0; st == LQ_OK && i < count; i++) {
        if (!(paths[i] = lq__split_path(path_prefix, i, count)))
            st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
        else
            st = write_file(fn, g, split_of, i, count, paths[i], &outs[i], &pr);
    }
    /* every file is complete: rename them all; if a rename fails, take back
     * the ones already in place */
    int renamed = 0;
    for (; st == LQ_OK && renamed < count; renamed++)
        st = lq__out_commit(&outs[renamed]);
    if (st != LQ_OK)
        for (int i = 0; i < renamed - 1; i++)
            unlink(paths[i]);
    for (int i = 0; outs && i < count; i++) {
        lq__out_abort(&outs[i]);
        lq__free(paths ? paths[i] : NULL);
    }
    lq__free(outs);
    lq__free(paths);
    lq__free(split_of);
    if (st == LQ_OK && n_files)
        *n_files = count;
    return st;
}
