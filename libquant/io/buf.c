/* buf.c — the growable byte buffer. */
#include <string.h>

#include "../core/alloc.h"
#include "buf.h"
#include "le.h"

static bool grow(lq__buf *b, size_t extra)
{
    size_t need;
    if (b->failed || !lq__add_size(b->len, extra, &need)) {
        b->failed = true;
        return false;
    }
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *d = lq__malloc(cap);
    if (!d) {
        b->failed = true;
        return false;
    }
    if (b->len)
        memcpy(d, b->data, b->len);
    lq__free(b->data);
    b->data = d;
    b->cap = cap;
    return true;
}

void lq__buf_put(lq__buf *b, const void *p, size_t n)
{
    if (n && grow(b, n)) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
}

void lq__buf_putc(lq__buf *b, char c) { lq__buf_put(b, &c, 1); }
void lq__buf_puts(lq__buf *b, const char *s) { lq__buf_put(b, s, strlen(s)); }

void lq__buf_zeros(lq__buf *b, size_t n)
{
    if (n && grow(b, n)) {
        memset(b->data + b->len, 0, n);
        b->len += n;
    }
}

void lq__buf_u32(lq__buf *b, uint32_t v)
{
    uint8_t x[4];
    lq__le32_put(x, v);
    lq__buf_put(b, x, 4);
}

void lq__buf_u64(lq__buf *b, uint64_t v)
{
    uint8_t x[8];
    lq__le64_put(x, v);
    lq__buf_put(b, x, 8);
}

void lq__buf_free(lq__buf *b)
{
    lq__free(b->data);
    memset(b, 0, sizeof *b);
}
