/*
 * lq_quality.h — how much a quantization costs: error metrics between a float
 * tensor and its quantized form, layer output error, and a memory estimator.
 * Stable tier (LIBQUANT_0).
 */
#ifndef LQ_QUALITY_H
#define LQ_QUALITY_H

#include <lq/lq_core.h>
#include <lq/lq_scheme.h>
#include <lq/lq_tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Indices into the metrics array. Pinned; new metrics are appended, and a
 * caller asks for as many as it knows about (n_out), so old callers keep
 * working when new metrics arrive. */
enum lq_metric {
    LQ_METRIC_MSE = 0,     /* mean of (ref - test)^2 */
    LQ_METRIC_RMSE = 1,    /* sqrt(MSE) */
    LQ_METRIC_MAX_ABS = 2, /* max |ref - test| */
    LQ_METRIC_SQNR_DB = 3, /* 10 log10(sum ref^2 / sum (ref - test)^2); +inf when exact */
    LQ_METRIC_COSINE = 4,  /* <ref,test> / (|ref| |test|); 1 when both are all zero */
    LQ_METRIC_COUNT_V1 = 5
};

/* Compare n floats: out[0 .. n_out-1] receives the metrics above (n_out from 1
 * to LQ_METRIC_COUNT_V1). Sums are accumulated in double. Errors:
 * LQ_ERR_INVALID (NULL pointers, n < 1, n_out out of range), LQ_ERR_NONFINITE
 * (a NaN or Inf in either input; the message gives its index). Thread-safe. */
LQ_API lq_status lq_error_metrics(const float *ref, const float *test, int64_t n,
                                  double *out, int n_out);

/* The same between two tensors of equal shape, any types (each is decoded to
 * f32 first; a quantized tensor against its float source is the usual case).
 * Errors: as lq_error_metrics, plus LQ_ERR_SHAPE, LQ_ERR_UNSUPPORTED, LQ_ERR_NOMEM. */
LQ_API lq_status lq_tensor_error_metrics(lq_ctx *ctx, const lq_tensor *ref,
                                         const lq_tensor *test, double *out,
                                         int n_out);

/* Relative output error of a linear layer: ||X W^T - X Wq^T||_F / ||X W^T||_F,
 * where w and wq are [out, in] tensors of any types and x is `tokens` rows of
 * `in` floats (row-major). Computed with BLAS sgemm in blocks of rows. Errors:
 * LQ_ERR_INVALID, LQ_ERR_SHAPE (w and wq differ, or are not 2-D), LQ_ERR_NONFINITE,
 * LQ_ERR_NOMEM. *out is 0 when X W^T is all zero and the two outputs agree. */
LQ_API lq_status lq_output_error(lq_ctx *ctx, const lq_tensor *w,
                                 const lq_tensor *wq, const float *x,
                                 int64_t tokens, double *out);

/* ------------------------------------------------------------------------
 * Memory estimator (the arithmetic of "will it fit"). Results in bytes; divide
 * by 2^30 for GiB.
 * ------------------------------------------------------------------------ */

/* Weights: `n_params` parameters at `scheme`, counting scales and zero points
 * at the scheme's nominal bits per weight (for a per-channel or per-tensor
 * scheme, whose overhead depends on row lengths, the overhead is left out:
 * use lq_scheme_tensor_bytes with real shapes for exact figures). Mixtures
 * (q4_k_m, ...) count at their base type. Errors: LQ_ERR_INVALID. */
LQ_API lq_status lq_estimate_weights(const lq_scheme *scheme, double n_params,
                                     double *bytes);

/* KV-cache element types, for the estimator and the model runner's cache
 * (lq_model.h). */
enum lq_kv_type {
    LQ_KV_F32 = 0,
    LQ_KV_F16 = 1,
    LQ_KV_INT8 = 2,  /* int8 codes plus one f32 scale per token, head and K/V */
    LQ_KV_FP8 = 3    /* FP8 E4M3 codes plus one f32 scale per token, head and K/V */
};

/* KV cache: 2 (K and V) x layers x kv_heads x ctx x batch x bytes per head
 * vector, where a head vector of head_dim elements takes head_dim x element
 * size (+4 bytes of scale for the 8-bit types). Errors: LQ_ERR_INVALID (a
 * count < 1, an unknown kv_type). */
LQ_API lq_status lq_estimate_kv(int64_t layers, int64_t kv_heads, int64_t head_dim,
                                int64_t ctx, int64_t batch, int kv_type,
                                double *bytes);

/* lq_kv_type_name — "f32", "f16", "int8", "fp8", or NULL for an unknown value.
 * lq_kv_type_from_name — the reverse (also accepts "fp8_e4m3"); LQ_ERR_INVALID
 * for an unknown name. */
LQ_API const char *lq_kv_type_name(int kv_type);
LQ_API lq_status   lq_kv_type_from_name(const char *name, int *out);

#ifdef __cplusplus
}
#endif
#endif /* LQ_QUALITY_H */
