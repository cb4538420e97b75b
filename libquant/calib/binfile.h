/* binfile.h — little-endian binary files for the calibration layer
 * (internal): a writer with a running FNV-1a 64 checksum on top of the file
 * layer's atomic writer (io/file.h: temporary file, fsync, rename), and a
 * bounds-checked reader over a mapped file. */
#ifndef LQ_CALIB_BINFILE_H
#define LQ_CALIB_BINFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lq/lq_core.h>

#include "../io/file.h"

typedef struct lq__bw {
    lq__out out;
    uint64_t hash;    /* FNV-1a 64 of everything written */
    lq_status status; /* the first failure; later writes do nothing */
} lq__bw;

/* Start writing `path`. Errors: LQ_ERR_IO, LQ_ERR_NOMEM. */
lq_status lq__bw_open(lq__bw *w, const char *fn, const char *path);
void lq__bw_bytes(lq__bw *w, const void *p, size_t n);
void lq__bw_u32(lq__bw *w, uint32_t v);
void lq__bw_i32(lq__bw *w, int32_t v);
void lq__bw_u64(lq__bw *w, uint64_t v);
void lq__bw_f32s(lq__bw *w, const float *v, size_t n);
void lq__bw_f64s(lq__bw *w, const double *v, size_t n);
/* Rename the file into place, or, after any failure, remove it and return
 * that failure. */
lq_status lq__bw_finish(lq__bw *w);

typedef struct lq__br {
    lq__map map;
    const uint8_t *data;
    size_t size, pos;
    const char *path; /* for messages */
} lq__br;

/* Map the whole file. Errors: LQ_ERR_IO. */
lq_status lq__br_open(lq__br *r, const char *fn, const char *path);
void lq__br_close(lq__br *r);
/* Each returns false, leaving pos unchanged, when the bytes run past the end. */
bool lq__br_bytes(lq__br *r, void *p, size_t n);
bool lq__br_u32(lq__br *r, uint32_t *v);
bool lq__br_i32(lq__br *r, int32_t *v);
bool lq__br_u64(lq__br *r, uint64_t *v);
bool lq__br_f32s(lq__br *r, float *v, size_t n);
bool lq__br_f64s(lq__br *r, double *v, size_t n);
/* Bytes left. */
static inline size_t lq__br_left(const lq__br *r) { return r->size - r->pos; }

/* FNV-1a 64 continued over n bytes (start with LQ__FNV_START). */
#define LQ__FNV_START 0xcbf29ce484222325ull
uint64_t lq__fnv1a(uint64_t h, const void *p, size_t n);

#endif
