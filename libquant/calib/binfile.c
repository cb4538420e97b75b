/* binfile.c — little-endian writer with a checksum, and a checked reader
 * (binfile.h). */
#include <string.h>

#include "../core/half.h"
#include "../io/le.h"
#include "binfile.h"

uint64_t lq__fnv1a(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

lq_status lq__bw_open(lq__bw *w, const char *fn, const char *path)
{
    w->hash = LQ__FNV_START;
    w->status = lq__out_open(fn, path, &w->out);
    return w->status;
}

void lq__bw_bytes(lq__bw *w, const void *p, size_t n)
{
    if (w->status != LQ_OK || n == 0)
        return;
    w->hash = lq__fnv1a(w->hash, p, n);
    w->status = lq__out_write(&w->out, p, n); /* aborts the file on failure */
}

void lq__bw_u32(lq__bw *w, uint32_t v)
{
    uint8_t b[4];
    lq__le32_put(b, v);
    lq__bw_bytes(w, b, 4);
}

void lq__bw_i32(lq__bw *w, int32_t v) { lq__bw_u32(w, (uint32_t)v); }

void lq__bw_u64(lq__bw *w, uint64_t v)
{
    uint8_t b[8];
    lq__le64_put(b, v);
    lq__bw_bytes(w, b, 8);
}

void lq__bw_f32s(lq__bw *w, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lq__bw_u32(w, lq__f32_bits(v[i]));
}

void lq__bw_f64s(lq__bw *w, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &v[i], 8);
        lq__bw_u64(w, u);
    }
}

lq_status lq__bw_finish(lq__bw *w)
{
    if (w->status != LQ_OK) {
        lq__out_abort(&w->out);
        return w->status;
    }
    return lq__out_commit(&w->out);
}

lq_status lq__br_open(lq__br *r, const char *fn, const char *path)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    lq_status st = lq__map_open(fn, path, &r->map);
    r->data = r->map.data;
    r->size = r->map.size;
    return st;
}

void lq__br_close(lq__br *r)
{
    lq__map_close(&r->map);
    r->data = NULL;
}

bool lq__br_bytes(lq__br *r, void *p, size_t n)
{
    if (n > lq__br_left(r))
        return false;
    if (n)
        memcpy(p, r->data + r->pos, n);
    r->pos += n;
    return true;
}

bool lq__br_u32(lq__br *r, uint32_t *v)
{
    uint8_t b[4];
    if (!lq__br_bytes(r, b, 4))
        return false;
    *v = lq__le32_get(b);
    return true;
}

bool lq__br_i32(lq__br *r, int32_t *v)
{
    uint32_t u;
    if (!lq__br_u32(r, &u))
        return false;
    *v = (int32_t)u;
    return true;
}

bool lq__br_u64(lq__br *r, uint64_t *v)
{
    uint8_t b[8];
    if (!lq__br_bytes(r, b, 8))
        return false;
    *v = lq__le64_get(b);
    return true;
}

/* n little-endian words of `size` bytes into v (float or double). */
static bool words(lq__br *r, void *v, size_t n, size_t size)
{
    if (n > lq__br_left(r) / size)
        return false;
    for (size_t i = 0; i < n; i++, r->pos += size) {
        if (size == 4) {
            uint32_t u = lq__le32_get(r->data + r->pos);
            memcpy((uint8_t *)v + 4 * i, &u, 4);
        } else {
            uint64_t u = lq__le64_get(r->data + r->pos);
            memcpy((uint8_t *)v + 8 * i, &u, 8);
        }
    }
    return true;
}

bool lq__br_f32s(lq__br *r, float *v, size_t n) { return words(r, v, n, 4); }
bool lq__br_f64s(lq__br *r, double *v, size_t n) { return words(r, v, n, 8); }
