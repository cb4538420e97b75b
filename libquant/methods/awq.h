/* awq.h — AWQ's searches, for the method, lq_awq_search and the error report
 * (internal). `m` describes the int grid (bits, group, sym, scale type) of
 * [rows, m->cols] weights; m->rows is only used by lq__awq_store. */
#ifndef LQ_METHODS_AWQ_H
#define LQ_METHODS_AWQ_H

#include <stdint.h>

#include <lq/lq_methods.h>

#include "../formats/linear.h"

/* The best of the 20 duo-scaling candidates for n weights sharing the input
 * described by c (f32, [rows[i], m->cols] each), into best[m->cols]. */
lq_status lq__awq_search(const lq_ctx *ctx, const lq__linear_map *m, const lq_calib *c,
                         const float *const *w, const int64_t *rows, int n, float *best);

/* Clip each (row, group) of w [rows, m->cols] in place to the best of the 10
 * shrunk absmax values. */
lq_status lq__awq_clip(const lq__linear_map *m, const lq_calib *c, float *w, int64_t rows);

/* Quantize w [m->rows, m->cols] with AWQ's quantizer into a zeroed int
 * tensor's bytes. */
lq_status lq__awq_store(const lq__linear_map *m, const float *w, uint8_t *dst);

/* Whether AWQ skips the clipping search for a weight of this name (q and k). */
int lq__awq_skips_clip(const char *name);

#endif
