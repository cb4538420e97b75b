/* gguf_write.c — serializing GGUF: the header, the streaming writer and
 * lq_gguf_save built on it. Tensors go in index order, each at the next
 * multiple of the alignment and padded with zeros, as ggml's writer does. */
#include <string.h>

#include <lq/lq.h>
#include <lq/lq_io.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/tensor.h"
#include "ggml_types.h"
#include "gguf_internal.h"
#include "gguf_source.h"

static void put_string(lq__buf *b, const void *s, size_t len)
{
    lq__buf_u64(b, len);
    lq__buf_put(b, s, len);
}

static void put_value(lq__buf *b, const lq__gguf_kv *kv)
{
    if (kv->type == LQ_GGUF_TYPE_STRING) {
        put_string(b, kv->data, kv->size);
        return;
    }
    if (kv->type != LQ_GGUF_TYPE_ARRAY) {
        lq__buf_put(b, kv->data, kv->size);
        return;
    }
    lq__buf_u32(b, (uint32_t)kv->elem_type);
    lq__buf_u64(b, kv->count);
    if (kv->elem_type != LQ_GGUF_TYPE_STRING) {
        lq__buf_put(b, kv->data, kv->size); /* numeric elements, or nested arrays verbatim */
        return;
    }
    for (uint64_t i = 0; i < kv->count; i++)
        put_string(b, kv->data + kv->str_off[i],
                   (size_t)(kv->str_off[i + 1] - kv->str_off[i] - 1));
}

lq_status lq__gguf_split_pad_header(const char *fn, lq__buf *header)
{
    const uint64_t align = LQ_GGUF_DEFAULT_ALIGNMENT;
    lq__buf_zeros(header, (size_t)((align - header->len % align) % align));
    return header->failed ? lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn) : LQ_OK;
}

lq_status lq__gguf_header(const char *fn, const lq_gguf *g, lq__buf *b)
{
    lq__buf_put(b, "GGUF", 4);
    lq__buf_u32(b, 3);
    lq__buf_u64(b, (uint64_t)g->n_t);
    lq__buf_u64(b, (uint64_t)g->n_kv);
    for (int64_t i = 0; i < g->n_kv; i++) {
        const lq__gguf_kv *kv = &g->kv[i];
        put_string(b, kv->key, kv->key_len);
        lq__buf_u32(b, (uint32_t)kv->type);
        put_value(b, kv);
    }
    for (int64_t i = 0; i < g->n_t; i++) {
        const lq__gguf_tensor *t = &g->t[i];
        put_string(b, t->name, t->name_len);
        lq__buf_u32(b, (uint32_t)t->ndim);
        for (int d = 0; d < t->ndim; d++)
            lq__buf_u64(b, (uint64_t)t->ne[d]);
        lq__buf_u32(b, (uint32_t)t->ggml_type);
        lq__buf_u64(b, t->offset);
    }
    /* the data section starts aligned; a file without tensors has none, and
     * ends here (as gguf-py writes vocabulary-only files) */
    uint64_t align = lq__gguf_alignment(g);
    if (g->n_t)
        lq__buf_zeros(b, (size_t)((align - b->len % align) % align));
    if (b->failed)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory building the GGUF header", fn);
    return LQ_OK;
}

typedef struct wtensor {
    char name[LQ_GGUF_MAX_NAME + 1];
    int ggml_type, ndim;
    int64_t ne[LQ_MAX_DIMS];
    uint64_t nbytes;
} wtensor;

struct lq_gguf_writer {
    lq__out out;
    bool open;          /* false after finish or any failure */
    bool complete;      /* every byte written and synced, not yet renamed */
    uint64_t align;
    wtensor *t;
    int64_t n_t;
    int64_t cur;        /* the tensor being written */
    uint64_t cur_done;  /* its bytes written so far */
};

/* Every tensor up to the next one that still needs bytes is complete: pad
 * them and move on. */
static lq_status advance(lq_gguf_writer *w)
{
    while (w->cur < w->n_t && w->cur_done == w->t[w->cur].nbytes) {
        uint64_t n = w->t[w->cur].nbytes;
        lq_status st = lq__out_zeros(&w->out, (w->align - n % w->align) % w->align);
        if (st != LQ_OK) {
            w->open = false;
            return st;
        }
        w->cur++;
        w->cur_done = 0;
    }
    return LQ_OK;
}

/* Recompute what lq_gguf_save writes: tensors packed in index order. The
 * header is written from a relaid-out copy of the infos, so that a file
 * opened with gaps between its tensors is still saved correctly. */
lq_status lq_gguf_writer_create(const lq_gguf *g, const char *path, lq_gguf_writer **out)
{
    return lq__gguf_writer_open("lq_gguf_writer_create", g, path, false, out);
}

lq_status lq__gguf_writer_open(const char *fn, const lq_gguf *g, const char *path, bool split,
                               lq_gguf_writer **out)
{
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!g || !path)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    lq_gguf_writer *w = lq__calloc(1, sizeof *w);
    if (!w)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    w->out.fd = -1;
    w->align = lq__gguf_alignment(g);
    w->n_t = g->n_t;
    if (g->n_t && !(w->t = lq__calloc((size_t)g->n_t, sizeof *w->t))) {
        lq__free(w);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    for (int64_t i = 0; i < g->n_t; i++) {
        memcpy(w->t[i].name, g->t[i].name, sizeof w->t[i].name);
        w->t[i].ggml_type = g->t[i].ggml_type;
        w->t[i].ndim = g->t[i].ndim;
        memcpy(w->t[i].ne, g->t[i].ne, sizeof w->t[i].ne);
        w->t[i].nbytes = g->t[i].nbytes;
    }
    /* the header with offsets as packed here */
    lq_gguf packed = *g;
    lq__gguf_tensor *infos = NULL;
    if (g->n_t && !(infos = lq__calloc((size_t)g->n_t, sizeof *infos))) {
        lq_gguf_writer_free(w);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    if (g->n_t)
        memcpy(infos, g->t, (size_t)g->n_t * sizeof *infos);
    packed.t = infos;
    lq__gguf_relayout(&packed);
    lq__buf header = {0};
    lq_status st = lq__gguf_header(fn, &packed, &header);
    lq__free(infos);
    if (st == LQ_OK && split && g->n_t == 0)
        st = lq__gguf_split_pad_header(fn, &header);
    if (st == LQ_OK)
        st = lq__out_open(fn, path, &w->out);
    if (st == LQ_OK)
        st = lq__out_write(&w->out, header.data, header.len);
    lq__buf_free(&header);
    w->open = st == LQ_OK;
    if (st == LQ_OK)
        st = advance(w);
    if (st != LQ_OK) {
        lq_gguf_writer_free(w);
        return st;
    }
    *out = w;
    return LQ_OK;
}

static lq_status writer_ready(const char *fn, lq_gguf_writer *w)
{
    if (!w)
        return lq__fail(LQ_ERR_INVALID, "%s: writer is NULL", fn);
    if (!w->open)
        return lq__fail(LQ_ERR_STATE, "%s: the writer has finished or failed", fn);
    if (w->cur >= w->n_t)
        return lq__fail(LQ_ERR_STATE, "%s: every tensor has its bytes already", fn);
    return LQ_OK;
}

/* Fail and abandon the file. */
static lq_status abandon(lq_gguf_writer *w, lq_status st)
{
    w->open = false;
    lq__out_abort(&w->out);
    return st;
}

lq_status lq_gguf_writer_write(lq_gguf_writer *w, const void *data, uint64_t nbytes)
{
    static const char fn[] = "lq_gguf_writer_write";
    if (w && w->open && nbytes == 0)
        return LQ_OK; /* zero-byte tensors are complete as soon as they come up */
    lq_status st = writer_ready(fn, w);
    if (st != LQ_OK)
        return st;
    const wtensor *t = &w->t[w->cur];
    if (nbytes > t->nbytes - w->cur_done)
        return abandon(w, lq__fail(LQ_ERR_INVALID,
                                   "%s: tensor '%s' has %llu bytes left, got %llu", fn, t->name,
                                   (unsigned long long)(t->nbytes - w->cur_done),
                                   (unsigned long long)nbytes));
    if (!data && nbytes)
        return abandon(w, lq__fail(LQ_ERR_INVALID, "%s: data is NULL", fn));
    if (nbytes > SIZE_MAX)
        return abandon(w, lq__fail(LQ_ERR_INVALID, "%s: too many bytes at once", fn));
    w->out.fn = fn; /* a failed write is reported as this call's, not the create's */
    st = lq__out_write(&w->out, data, (size_t)nbytes);
    if (st != LQ_OK)
        return abandon(w, st);
    w->cur_done += nbytes;
    st = advance(w);
    return st != LQ_OK ? abandon(w, st) : LQ_OK;
}

lq_status lq_gguf_writer_write_tensor(lq_gguf_writer *w, const lq_tensor *t)
{
    static const char fn[] = "lq_gguf_writer_write_tensor";
    if (w && w->open && t && t->nbytes == 0)
        return LQ_OK; /* as above: already complete, and the writer has moved past it */
    lq_status st = writer_ready(fn, w);
    if (st != LQ_OK)
        return st;
    if (!t)
        return abandon(w, lq__fail(LQ_ERR_INVALID, "%s: tensor is NULL", fn));
    const wtensor *info = &w->t[w->cur];
    if (w->cur_done)
        return abandon(w, lq__fail(LQ_ERR_STATE, "%s: tensor '%s' was already partly written",
                                   fn, info->name));
    bool same_shape = t->ndim == info->ndim;
    for (int d = 0; same_shape && d < t->ndim; d++)
        same_shape = t->shape[d] == info->ne[info->ndim - 1 - d];
    if (strcmp(t->name, info->name) != 0 || lq_type_ggml_id(t->type) != info->ggml_type ||
        !same_shape)
        return abandon(w, lq__fail(LQ_ERR_INVALID,
                                   "%s: the next tensor is '%s' (ggml type %d, %d dims), got "
                                   "'%.64s' (%s, %d dims)",
                                   fn, info->name, info->ggml_type, info->ndim, t->name,
                                   lq_type_name(t->type), t->ndim));
    return lq_gguf_writer_write(w, t->data, t->nbytes);
}

lq_status lq_gguf_writer_finish(lq_gguf_writer *w)
{
    lq_status st = lq__gguf_writer_complete(w);
    return st == LQ_OK ? lq__gguf_writer_commit(w) : st;
}

lq_status lq__gguf_writer_complete(lq_gguf_writer *w)
{
    static const char fn[] = "lq_gguf_writer_finish";
    if (!w)
        return lq__fail(LQ_ERR_INVALID, "%s: writer is NULL", fn);
    if (!w->open)
        return lq__fail(LQ_ERR_STATE, "%s: the writer has finished or failed", fn);
    if (w->cur < w->n_t)
        return abandon(w, lq__fail(LQ_ERR_STATE,
                                   "%s: tensor %lld '%s' got %llu of its %llu bytes; the file "
                                   "is abandoned", fn, (long long)w->cur, w->t[w->cur].name,
                                   (unsigned long long)w->cur_done,
                                   (unsigned long long)w->t[w->cur].nbytes));
    w->open = false;
    w->out.fn = fn;
    lq_status st = lq__out_sync(&w->out);
    if (st == LQ_OK)
        w->complete = true;
    return st;
}

lq_status lq__gguf_writer_commit(lq_gguf_writer *w)
{
    if (!w || !w->complete)
        return lq__fail(LQ_ERR_STATE, "lq_gguf_writer_finish: the file is not complete");
    w->complete = false;
    return lq__out_commit(&w->out);
}

void lq_gguf_writer_free(lq_gguf_writer *w)
{
    if (!w)
        return;
    lq__out_abort(&w->out);
    lq__free(w->t);
    lq__free(w);
}

lq_status lq_gguf_save(lq_ctx *ctx, const lq_gguf *g, const char *path)
{
    static const char fn[] = "lq_gguf_save";
    if (!g || !path)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    uint64_t total = 0, largest = 0;
    for (int64_t i = 0; i < g->n_t; i++) {
        if (!g->src && !g->t[i].data && g->t[i].nbytes)
            return lq__fail(LQ_ERR_STATE, "%s: tensor '%s' was declared without bytes: write "
                            "it with lq_gguf_writer_*", fn, g->t[i].name);
        total += g->t[i].nbytes;
        largest = g->t[i].nbytes > largest ? g->t[i].nbytes : largest;
    }
    /* a handle with a source (a model converted on the fly) is pulled tensor
     * by tensor through one buffer, so saving holds about one tensor */
    uint8_t *buf = NULL;
    if (g->src && largest && (largest > SIZE_MAX || !(buf = lq__malloc((size_t)largest))))
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot hold a tensor of %llu bytes", fn,
                        (unsigned long long)largest);
    lq_gguf_writer *w;
    lq_status st = lq_gguf_writer_create(g, path, &w);
    uint64_t done = 0;
    for (int64_t i = 0; st == LQ_OK && i < g->n_t; i++) {
        const uint8_t *p = g->t[i].data;
        if (g->src) {
            st = lq__gguf_tensor_read(fn, g, i, buf);
            p = buf;
        }
        /* in pieces, so that progress moves and cancelling is quick */
        for (uint64_t left = g->t[i].nbytes; st == LQ_OK && left > 0;) {
            uint64_t k = left < (64u << 20) ? left : (64u << 20);
            st = lq_gguf_writer_write(w, p, k);
            p += k;
            left -= k;
            done += k;
            if (st == LQ_OK && ctx && ctx->progress &&
                ctx->progress(ctx->progress_user, "save", total ? (double)done / (double)total : 1.0))
                st = lq__fail(LQ_ERR_CANCELLED, "%s: %s: cancelled", fn, path);
        }
    }
    if (st == LQ_OK)
        st = lq_gguf_writer_finish(w);
    if (st != LQ_OK && strncmp(lq_last_error(), fn, sizeof fn - 1) != 0)
        lq__error_prefix(fn);
    lq_gguf_writer_free(w);
    lq__free(buf);
    return st;
}
