/* kv_cache.h — the runner's key/value cache (internal).
 *
 * For each layer, K and V each hold n_ctx positions x n_head_kv heads x
 * head_dim elements in one of the enum lq_kv_type encodings; the 8-bit ones
 * add one f32 scale per position and head (absmax / 127 for int8, absmax / 448
 * for FP8 E4M3). The cache allocates exactly what lq_estimate_kv counts. */
#ifndef LQ_MODEL_KV_CACHE_H
#define LQ_MODEL_KV_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <lq/lq_core.h>

enum { LQ__KV_K = 0, LQ__KV_V = 1 };

typedef struct lq__kv {
    int type; /* enum lq_kv_type */
    int64_t n_layer, n_head_kv, head_dim, n_ctx;
    uint8_t **codes; /* [n_layer * 2]: K then V of each layer */
    float **scales;  /* [n_layer * 2], 8-bit types only */
    size_t bytes;    /* codes and scales allocated */
} lq__kv;

lq_status lq__kv_init(lq__kv *kv, int type, int64_t n_layer, int64_t n_head_kv, int64_t head_dim,
                      int64_t n_ctx, const char *fn);
void lq__kv_free(lq__kv *kv);

/* Store n_head_kv * head_dim floats `x` as K or V of `layer` at `pos`. */
void lq__kv_store(lq__kv *kv, int64_t layer, int kind, int64_t pos, const float *x);

/* Decode positions [0, n) of K or V of `layer` into dst, n rows of
 * n_head_kv * head_dim floats. */
void lq__kv_load(const lq__kv *kv, int64_t layer, int kind, int64_t n, float *dst);

/* The rows of K or V of `layer` as they are stored, when the cache is
 * LQ_KV_F32 (what lq__kv_load would copy); NULL for the other types. */
const float *lq__kv_f32(const lq__kv *kv, int64_t layer, int kind);

#endif
