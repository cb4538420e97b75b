/*
 * lq_quality.h — how much a quantization costs: error metrics between a float
 * tensor and its quantized form, layer output error, and a memory and
 * file-size estimator.
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
 * (q4_k_m, ...) count at their base type; the exact size of a model's file
 * in one is lq_estimate_file_size's (experimental, below). Errors:
 * LQ_ERR_INVALID. */
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

#ifdef LQ_EXPERIMENTAL_API
/* ------------------------------------------------------------------------
 * Exact file sizes (experimental tier: declared only under
 * LQ_EXPERIMENTAL_API, version LIBQUANT_EXPERIMENTAL_0).
 * ------------------------------------------------------------------------ */

typedef struct lq_gguf lq_gguf; /* lq_io.h */

/* The size in bytes of the file lq_gguf_quantize (lq_pipeline.h) writes when
 * `model` is quantized to `file_type` (a llama.cpp file type name as
 * lq_qopts_create takes it, "Q4_K_M", case-insensitive) with default options
 * and no importance matrix: the header (the model's keys, the keys quantizing
 * sets, the tensor infos, the padding) and every tensor at the type the
 * file type's rules give it, padded to the alignment. It is the size of the
 * file llama-quantize writes too. An importance matrix would change the
 * first eighth of the ffn_down tensors in IQ4_NL and IQ4_XS (left at the base
 * type instead of Q5_K) and in Q4_0 and Q5_0 (Q4_1 and Q5_1 instead); Q2_K_S,
 * which needs one, is sized as made with one. Only the model's metadata and
 * tensor list are read, never its tensor bytes, so `model` may hold declared
 * tensors (lq_gguf_declare_tensor). Errors: LQ_ERR_INVALID (NULL arguments,
 * unknown file type), LQ_ERR_FORMAT (block_count contradicts the tensors),
 * LQ_ERR_UNSUPPORTED (a tensor the file type would convert has a type
 * libquant cannot decode), LQ_ERR_NOMEM. */
LQ_API lq_status lq_estimate_file_size(const lq_gguf *model, const char *file_type,
                                       uint64_t *bytes);

/* A Llama-3-style model of about `n_params` parameters, as metadata and
 * declared tensors (F16 weights, F32 norms, no tokenizer), to size file types
 * for a model that is not at hand. The shape rule: within 10% of a published
 * Llama-3 size (8.03e9, 70.55e9, 405.85e9 parameters) the published shape
 * itself; otherwise head size 128, 8 KV heads, vocabulary 128256, untied
 * output, the hidden size and the FFN width interpolated log-linearly in the
 * parameter count between the two nearest published shapes (extrapolated
 * beyond 8B and 405B; hidden a multiple of 1024, FFN of 512), and the layer
 * count (at least 1) whose total is nearest `n_params`. Free with
 * lq_gguf_free. Errors: LQ_ERR_INVALID (n_params not in 1e6..1e14),
 * LQ_ERR_NOMEM. */
LQ_API lq_status lq_estimate_llama_model(double n_params, lq_gguf **out);
#endif

#ifdef __cplusplus
}
#endif
#endif /* LQ_QUALITY_H */
