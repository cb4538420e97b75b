/* names.h — a hash index from names to positions in an array (internal).
 *
 * GGUF keys, GGUF tensor names and safetensors tensor names must be unique and
 * are looked up by name; a hostile file may hold millions of them, so the
 * check is a hash table, not a quadratic scan. The index stores positions
 * only; the caller owns the names and passes a function giving name i. */
#ifndef LQ_IO_NAMES_H
#define LQ_IO_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lq__name_ref {
    const char *str;
    size_t len;
} lq__name_ref;

typedef lq__name_ref (*lq__name_at)(const void *owner, int64_t index);

typedef struct lq__names {
    int64_t *slots; /* position + 1, 0 = empty; capacity is a power of two */
    size_t cap;
    int64_t count;
} lq__names;

/* Position of `name`, or -1. */
int64_t lq__names_find(const lq__names *n, const void *owner, lq__name_at at, const char *name,
                       size_t len);
/* Add position `index` (whose name is at(owner, index)). false when out of
 * memory. The caller checks for duplicates first with lq__names_find. */
bool lq__names_add(lq__names *n, const void *owner, lq__name_at at, int64_t index);
/* Rebuild from positions 0..count-1 (after a removal shifted them). */
bool lq__names_rebuild(lq__names *n, const void *owner, lq__name_at at, int64_t count);
void lq__names_free(lq__names *n);

#endif
