/* gguf_size.c — the size of a GGUF file before it is written. */
#include "gguf_size.h"

#include "../core/error.h"
#include "gguf_internal.h"

lq_status lq__gguf_file_size(const char *fn, const lq_gguf *g, uint64_t *out)
{
    lq__buf header = {0};
    lq_status st = lq__gguf_header(fn, g, &header);
    uint64_t total = header.len;
    lq__buf_free(&header);
    if (st != LQ_OK)
        return st;
    uint64_t align = lq__gguf_alignment(g);
    for (int64_t i = 0; i < g->n_t; i++)
        total += (g->t[i].nbytes + align - 1) / align * align; /* the writer pads every tensor */
    *out = total;
    return LQ_OK;
}
