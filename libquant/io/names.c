/* names.c — open-addressing hash index of names (FNV-1a, linear probing). */
#include <string.h>

#include "../core/alloc.h"
#include "names.h"

static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
    return h;
}

int64_t lq__names_find(const lq__names *n, const void *owner, lq__name_at at, const char *name,
                       size_t len)
{
    if (!n->cap)
        return -1;
    size_t mask = n->cap - 1;
    for (size_t i = (size_t)hash(name, len) & mask;; i = (i + 1) & mask) {
        int64_t slot = n->slots[i];
        if (!slot)
            return -1;
        lq__name_ref r = at(owner, slot - 1);
        if (r.len == len && memcmp(r.str, name, len) == 0)
            return slot - 1;
    }
}

static void place(int64_t *slots, size_t cap, const void *owner, lq__name_at at, int64_t index)
{
    lq__name_ref r = at(owner, index);
    size_t mask = cap - 1;
    size_t i = (size_t)hash(r.str, r.len) & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = index + 1;
}

/* Keep the table at most half full. */
static bool reserve(lq__names *n, const void *owner, lq__name_at at, int64_t want)
{
    if (n->cap && (uint64_t)want <= n->cap / 2)
        return true;
    size_t cap = n->cap ? n->cap : 16;
    while ((uint64_t)want > cap / 2) {
        if (cap > SIZE_MAX / 2)
            return false;
        cap *= 2;
    }
    int64_t *slots = lq__calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < n->cap; i++)
        if (n->slots[i])
            place(slots, cap, owner, at, n->slots[i] - 1);
    lq__free(n->slots);
    n->slots = slots;
    n->cap = cap;
    return true;
}

bool lq__names_add(lq__names *n, const void *owner, lq__name_at at, int64_t index)
{
    if (!reserve(n, owner, at, n->count + 1))
        return false;
    place(n->slots, n->cap, owner, at, index);
    n->count++;
    return true;
}

bool lq__names_rebuild(lq__names *n, const void *owner, lq__name_at at, int64_t count)
{
    if (n->slots)
        memset(n->slots, 0, n->cap * sizeof *n->slots);
    n->count = 0;
    for (int64_t i = 0; i < count; i++)
        if (!lq__names_add(n, owner, at, i))
            return false;
    return true;
}

void lq__names_free(lq__names *n)
{
    lq__free(n->slots);
    memset(n, 0, sizeof *n);
}
