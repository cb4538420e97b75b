/* resident.c — a loaded GGUF model's matrix weights copied out of the file
 * map into one block of the model's own memory, in 2 MiB pages where the
 * kernel gives them (lq__model_make_resident).
 *
 * lq_model_eval does it on its first call. Why: a decoded token streams
 * every matrix weight from memory once. Read from the file map they are
 * 4 KiB page-cache pages, and the hardware prefetchers stop at each 4 KiB
 * page; in huge pages the same rows kernels read 7 % (q4_0) to 10 % (q6_K)
 * more bytes per second from 400 MB of weights on the benchmarks' Zen 1
 * EPYC, one thread (doc/benchmarks.md).
 * Memory does not grow: each weight's file pages are dropped from this
 * process as soon as it is copied (they stay in the page cache), so the
 * process holds the copy instead of the mapped pages it would have touched
 * on the first forward pass. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/tensor.h"
#include "../io/gguf_internal.h"
#include "model.h"

/* Huge page size on x86-64 and arm64 with 4 KiB base pages; elsewhere the
 * advice is merely a no-op. */
#define HUGE_PAGE ((size_t)2 << 20)
/* Bytes copied between drops of the file pages they came from: the pages a
 * copy holds beside the block at once (a whole 3.5 MB weight grew the
 * runner's peak by as much). */
#define PIECE ((size_t)1 << 20)
/* Below this many bytes of matrix weights nothing is copied: such a model
 * is mostly read from the last-level cache between tokens (8 MiB on the
 * benchmarks' EPYC), where the page size does not matter, and its file is
 * largely resident after loading already, so a copy only adds memory (0.9
 * MB to the 9 MB peak of a decode of the 1.9 MB Q4_0 fixture). */
size_t lq__resident_min_bytes = (size_t)16 << 20;
/* Weights start on a cache line (the kernels' loads are unaligned anyway). */
#define WEIGHT_ALIGN ((size_t)64)

/* The model's matrix weights: the head, then every layer's seven. Returns
 * the count written to w (room for 1 + 7 per layer). */
static int64_t matrix_weights(const lq_model *m, const lq__linear **w)
{
    int64_t n = 0;
    w[n++] = &m->output;
    for (int64_t il = 0; il < m->hp.n_layer; il++) {
        lq__linear *l[LQ__LAYER_WEIGHTS];
        lq__layer_linears(&m->layers[il], l);
        for (int p = 0; p < LQ__LAYER_WEIGHTS; p++)
            w[n++] = l[p];
    }
    return n;
}

/* The model's own tensor behind linear l when it is a view into the file
 * map (not owned, with bytes), else NULL. */
static lq_tensor *mapped_tensor(const lq_model *m, const lq__linear *l)
{
    for (int64_t k = 0; l->t && k < m->n_tensors; k++)
        if (m->tensors[k] == l->t)
            return !l->t->owned && l->t->data && l->t->nbytes ? m->tensors[k] : NULL;
    return NULL;
}

/* The mapped matrix weights, each once (a tied head is the embedding's
 * tensor), in file order; their count. */
static int64_t mapped_weights(const lq_model *m, const lq__linear **w, lq_tensor **t)
{
    int64_t n = matrix_weights(m, w), c = 0;
    for (int64_t i = 0; i < n; i++) {
        lq_tensor *x = mapped_tensor(m, w[i]);
        int64_t j = c;
        for (int64_t k = 0; x && k < c; k++)
            x = t[k] == x ? NULL : x;
        if (!x)
            continue;
        for (; j > 0 && t[j - 1]->data > x->data; j--) /* insertion: a few hundred */
            t[j] = t[j - 1];
        t[j] = x;
        c++;
    }
    return c;
}

static size_t padded(size_t n)
{
    return (n + WEIGHT_ALIGN - 1) / WEIGHT_ALIGN * WEIGHT_ALIGN;
}

/* At most this share of the machine's memory is copied: unlike the file's
 * pages, which the kernel can drop and read again, the copy cannot be given
 * back under memory pressure (no swap is assumed), so a model near the size
 * of the memory keeps running from the map, slower but without being killed. */
#define MAX_SHARE_OF_MEMORY 2 /* 1/2 */

static bool fits_memory(size_t bytes)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return false; /* unknown: stay on the map */
    return bytes <= (size_t)pages / MAX_SHARE_OF_MEMORY * (size_t)page;
}

lq_status lq__model_make_resident(const char *fn, lq_model *m, const lq_gguf *g)
{
    if (m->resident_done || m->lazy || !m->layers)
        return LQ_OK; /* weights made on use (weights.c) hold their own bytes */
    size_t cap = (size_t)(1 + LQ__LAYER_WEIGHTS * m->hp.n_layer);
    const lq__linear **w = lq__malloc(cap * sizeof *w);
    lq_tensor **t = lq__malloc(cap * sizeof *t);
    if (!w || !t) {
        lq__free(w);
        lq__free(t);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    m->resident_done = true; /* one attempt: from here on the map serves whatever happens */
    int64_t n = mapped_weights(m, w, t);
    size_t total = 0;
    for (int64_t i = 0; i < n; i++)
        total += padded(t[i]->nbytes);
    /* Mapped directly rather than from the heap: a refused mapping is no
     * error (the weights stay on the file map), and the block is whole huge
     * pages from an aligned start. */
    size_t len = (total + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE + HUGE_PAGE;
    void *raw = total >= lq__resident_min_bytes && fits_memory(total)
                    ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                    : MAP_FAILED;
    if (raw == MAP_FAILED) { /* too small to gain, too big to hold, or refused */
        lq__free(w);
        lq__free(t);
        return LQ_OK;
    }
    uint8_t *block = (uint8_t *)raw + (HUGE_PAGE - (uintptr_t)raw % HUGE_PAGE) % HUGE_PAGE;
#ifdef MADV_HUGEPAGE
    (void)madvise(block, (total + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
#endif
    /* In file order, each weight's pages dropped piece by piece as they are
     * copied, and the weight before it dropped again whole: a page fault on
     * a file map also maps the pages around it (up to 64 KiB), and those of
     * the previous weight stayed (8.5 MB for the 0.5 B model). */
    int64_t prev = -1;
    size_t off = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t index = lq_gguf_find_tensor(g, t[i]->name);
        for (size_t o = 0, piece; o < t[i]->nbytes; o += piece) {
            piece = t[i]->nbytes - o < PIECE ? t[i]->nbytes - o : PIECE;
            memcpy(block + off + o, t[i]->data + o, piece);
            lq__gguf_map_release(g, index, o, piece);
        }
        if (prev >= 0)
            lq__gguf_tensor_release(g, prev);
        prev = index;
        t[i]->data = block + off;
        off += padded(t[i]->nbytes);
    }
    lq__free(w);
    lq__free(t);
    m->resident = raw;
    m->resident_bytes = len;
    return LQ_OK;
}

void lq__model_free_resident(lq_model *m)
{
    if (m->resident)
        munmap(m->resident, m->resident_bytes);
    m->resident = NULL;
}
