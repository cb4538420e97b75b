/* buf.h — a growable byte buffer with a sticky out-of-memory flag (internal).
 * Writers append without checking each call and test `failed` once at the
 * end. */
#ifndef LQ_IO_BUF_H
#define LQ_IO_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lq__buf {
    uint8_t *data;
    size_t len, cap;
    bool failed; /* an allocation failed: the contents are incomplete */
} lq__buf;

void lq__buf_put(lq__buf *b, const void *p, size_t n);
void lq__buf_putc(lq__buf *b, char c);
void lq__buf_puts(lq__buf *b, const char *s);
void lq__buf_zeros(lq__buf *b, size_t n);
/* Little-endian integers. */
void lq__buf_u32(lq__buf *b, uint32_t v);
void lq__buf_u64(lq__buf *b, uint64_t v);
void lq__buf_free(lq__buf *b);

#endif
