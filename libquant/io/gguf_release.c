/* gguf_release.c — telling the kernel which parts of a mapped GGUF a
 * whole-model pass is done with and which it will read next, so that the
 * input's pages do not stay resident (and count against a memory limit)
 * after they were used. Only ranges inside the handle's read-only file maps
 * are touched: the pages come back from the page cache or the file if read
 * again, so this changes residency, never contents. Tensors added with
 * LQ_COPY live in owned memory and are left alone; the bytes a tensor
 * source made are freed (gguf_source.c). */
#include "gguf_internal.h"
#include "gguf_source.h"

/* The map of g that holds bytes [p, p + n), or NULL. */
static const lq__map *map_holding(const lq_gguf *g, const uint8_t *p, uint64_t n)
{
    for (int64_t k = -1; k < g->n_split_maps; k++) {
        const lq__map *m = k < 0 ? &g->map : &g->split_maps[k];
        if (m->data && p >= m->data && (uint64_t)(p - m->data) <= m->size &&
            n <= m->size - (uint64_t)(p - m->data))
            return m;
    }
    return NULL;
}

bool lq__gguf_in_map(const lq_gguf *g, const void *p, uint64_t n)
{
    return map_holding(g, p, n) != NULL;
}

/* `advice` (LQ__MAP_DROP / LQ__MAP_WILLNEED) on bytes [off, off + len) of
 * tensor `index`, when they are in one of g's file maps. */
static void advise(const lq_gguf *g, int64_t index, uint64_t off, uint64_t len, int advice)
{
    if (!g || index < 0 || index >= g->n_t)
        return;
    const lq__gguf_tensor *t = &g->t[index];
    if (!t->data || t->owned || off >= t->nbytes || len == 0)
        return;
    if (len > t->nbytes - off)
        len = t->nbytes - off;
    const lq__map *m = map_holding(g, t->data + off, len);
    if (m)
        lq__map_advise(m, t->data + off, len, advice);
}

void lq__gguf_map_release(const lq_gguf *g, int64_t index, uint64_t off, uint64_t len)
{
    advise(g, index, off, len, LQ__MAP_DROP);
}

void lq__gguf_tensor_release(const lq_gguf *g, int64_t index)
{
    if (g && index >= 0 && index < g->n_t && !lq__gguf_source_release(g, index))
        lq__gguf_map_release(g, index, 0, g->t[index].nbytes);
}

void lq__gguf_tensor_prefetch(const lq_gguf *g, int64_t index)
{
    if (g && index >= 0 && index < g->n_t)
        advise(g, index, 0, g->t[index].nbytes, LQ__MAP_WILLNEED);
}
