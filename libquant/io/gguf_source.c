/* gguf_source.c — lq_gguf handles whose tensor bytes a source makes on
 * demand: a tensor is made on first access and kept until released; one
 * mutex per handle makes first accesses from several threads safe (the
 * stable API lets several threads read one handle). */
#include <pthread.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "gguf_internal.h"
#include "gguf_source.h"

struct lq__gguf_source {
    lq__gguf_source_ops ops;
    void *user;
    int64_t n;  /* tensors 0..n-1 are the source's; any added later are ordinary */
    pthread_mutex_t lock;
};

lq_status lq__gguf_set_source(lq_gguf *g, const lq__gguf_source_ops *ops, void *user)
{
    static const char fn[] = "lq__gguf_set_source";
    lq_status st = LQ_OK;
    if (g->src)
        st = lq__fail(LQ_ERR_STATE, "%s: the handle has a source already", fn);
    for (int64_t i = 0; st == LQ_OK && i < g->n_t; i++)
        if (g->t[i].data)
            st = lq__fail(LQ_ERR_STATE, "%s: tensor '%s' has bytes already", fn, g->t[i].name);
    struct lq__gguf_source *s = st == LQ_OK ? lq__calloc(1, sizeof *s) : NULL;
    if (st == LQ_OK && !s)
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (st == LQ_OK && pthread_mutex_init(&s->lock, NULL) != 0) {
        lq__free(s);
        st = lq__fail(LQ_ERR_NOMEM, "%s: cannot make a mutex", fn);
    }
    if (st != LQ_OK) {
        if (ops->free)
            ops->free(user);
        return st;
    }
    s->ops = *ops;
    s->user = user;
    s->n = g->n_t;
    g->src = s;
    return LQ_OK;
}

void *lq__gguf_source_user(const lq_gguf *g, const lq__gguf_source_ops *ops)
{
    return g->src && g->src->ops.read == ops->read && g->src->ops.free == ops->free
               ? g->src->user
               : NULL;
}

void lq__gguf_source_free(lq_gguf *g)
{
    if (!g->src)
        return;
    if (g->src->ops.free)
        g->src->ops.free(g->src->user);
    pthread_mutex_destroy(&g->src->lock);
    lq__free(g->src);
    g->src = NULL;
}

static bool sourced(const lq_gguf *g, int64_t i)
{
    return g->src && i < g->src->n;
}

/* The rows of tensor t: every dimension but ne[0]. */
static int64_t rows_of(const lq__gguf_tensor *t)
{
    int64_t rows = 1;
    for (int d = 1; d < t->ndim; d++)
        rows *= t->ne[d];
    return rows;
}

lq_status lq__gguf_tensor_bytes(const char *fn, const lq_gguf *g, int64_t i,
                                const uint8_t **data)
{
    lq__gguf_tensor *t = &g->t[i]; /* g owns its tensors; a const handle may still fill them */
    if (!sourced(g, i) || !t->nbytes) {
        *data = t->data ? t->data : t->nbytes ? NULL : (const uint8_t *)"";
        return LQ_OK;
    }
    lq_status st = LQ_OK;
    pthread_mutex_lock(&g->src->lock);
    if (!t->owned) {
        if (t->nbytes > SIZE_MAX || !(t->owned = lq__malloc((size_t)t->nbytes)))
            st = lq__fail(LQ_ERR_NOMEM, "%s: tensor '%s': cannot hold its %llu bytes", fn,
                          t->name, (unsigned long long)t->nbytes);
        else if ((st = g->src->ops.read(g->src->user, i, 0, rows_of(t), t->owned)) != LQ_OK) {
            lq__error_prefix(fn);
            lq__free(t->owned);
            t->owned = NULL;
        }
        t->data = t->owned;
    }
    *data = t->data;
    pthread_mutex_unlock(&g->src->lock);
    return st;
}

lq_status lq__gguf_tensor_read_rows(const char *fn, const lq_gguf *g, int64_t i, int64_t r0,
                                    int64_t r1, void *dst)
{
    const lq__gguf_tensor *t = &g->t[i];
    int64_t rows = rows_of(t);
    if (r0 < 0 || r1 < r0 || r1 > rows)
        return lq__fail(LQ_ERR_INTERNAL, "%s: rows %lld..%lld of tensor '%s' of %lld", fn,
                        (long long)r0, (long long)r1, t->name, (long long)rows);
    uint64_t row_bytes = rows ? t->nbytes / (uint64_t)rows : 0;
    size_t off = (size_t)((uint64_t)r0 * row_bytes), len = (size_t)((uint64_t)(r1 - r0) * row_bytes);
    if (!len)
        return LQ_OK;
    if (sourced(g, i)) {
        pthread_mutex_lock(&g->src->lock);
        bool held = t->owned != NULL;
        if (held)
            memcpy(dst, t->owned + off, len);
        pthread_mutex_unlock(&g->src->lock);
        lq_status st = held ? LQ_OK : g->src->ops.read(g->src->user, i, r0, r1, dst);
        if (st != LQ_OK)
            lq__error_prefix(fn);
        return st;
    }
    if (!t->data)
        return lq__fail(LQ_ERR_STATE, "%s: tensor '%s' was declared without bytes", fn, t->name);
    memcpy(dst, t->data + off, len);
    return LQ_OK;
}

lq_status lq__gguf_tensor_read(const char *fn, const lq_gguf *g, int64_t i, void *dst)
{
    return lq__gguf_tensor_read_rows(fn, g, i, 0, rows_of(&g->t[i]), dst);
}

bool lq__gguf_source_release(const lq_gguf *g, int64_t i)
{
    if (!g || i < 0 || !sourced(g, i))
        return false;
    lq__gguf_tensor *t = &g->t[i];
    pthread_mutex_lock(&g->src->lock);
    lq__free(t->owned);
    t->owned = NULL;
    t->data = NULL;
    pthread_mutex_unlock(&g->src->lock);
    return true;
}
