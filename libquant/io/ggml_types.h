/* ggml_types.h — every tensor type id GGUF files may hold, with its block
 * size, so that a file's tensors can be sized and checked even when libquant
 * has no codec for their type (internal). */
#ifndef LQ_IO_GGML_TYPES_H
#define LQ_IO_GGML_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include <lq/lq_types.h>

typedef struct lq__ggml_type {
    const char *name;  /* ggml's name, lower case */
    int block_elems;   /* elements per block (1 for plain types) */
    int block_bytes;   /* bytes per block */
} lq__ggml_type;

/* The row for ggml type `id`, or NULL for an id GGUF does not define (never
 * defined, or removed: 4, 5, 31-33, 36-38). */
const lq__ggml_type *lq__ggml_lookup(int id);

/* The lq_type with ggml id `id`, or -1 when libquant has none. */
lq_type lq__lq_type_of_ggml(int id);

/* Bytes of a tensor of ggml type `id` with GGUF dims ne[0..ndim-1] (ne[0] the
 * row). false when ne[0] is not a multiple of the block, a dim is negative or
 * the size overflows 64 bits; *why then says which. */
bool lq__ggml_nbytes(const lq__ggml_type *t, int ndim, const int64_t *ne, uint64_t *out,
                     const char **why);

#endif
