/*
 * lq_calib.h — calibration sets, importance-matrix files, and what the
 * calibrated methods (gptq, awq, smoothquant, llm_int8) give besides a
 * quantized tensor.
 *
 * A calibration set describes the input of ONE linear layer: the activations
 * x (rows of in_features floats, one per token) that reach it while a model
 * runs on sample text. It keeps, without storing the activations themselves:
 *
 *   - the Hessian H = (2/N) sum_t x_t x_t^T, an in_features^2 float matrix
 *     (GPTQ's proxy for the layer's output error: for a weight error D,
 *     ||X D^T||^2 = (N/2) trace(D H D^T)); N counts TOKENS. The reference
 *     GPTQ scripts count sequences instead; the factor cancels in every method
 *     (damping is relative to the mean diagonal, errors are ratios);
 *   - per input channel: mean |x|, max |x| and sum x^2 (sum x^2 / N is the
 *     importance matrix llama.cpp's k-quants use);
 *   - a bounded, uniformly drawn sample of whole activation rows (default 512
 *     rows), for the statistics a Hessian cannot give (8-bit activation
 *     quantization in W8A8 error reports).
 *
 * Layers that share an input (q/k/v, gate/up) share one calibration set.
 *
 * What lq_quantize does with each method (doc/methods.md has the details):
 *   gptq        error feedback through the inverse Hessian (needs a set);
 *   awq         AWQ's clipping search and quantizer (needs a set), on a
 *               weight whose scales were already moved in with
 *               lq_awq_search + lq_scales_apply (and the set rescaled with
 *               lq_calib_scale_channels);
 *   hqq         HQQ's zero-point solver (no set);
 *   smoothquant, llm_int8   int8 rows with absmax / 127 scales (no set); the
 *               smoothing scales and the int8 products are the calls below.
 * The output always approximates the tensor it was given.
 *
 * Thread safety: a set that no thread modifies may be read by many threads
 * (lq_quantize with it, accessors); lq_calib_add, _merge, _scale_channels and
 * _set_max_samples need exclusive use. Part of the stable libquant API.
 */
#ifndef LQ_CALIB_H
#define LQ_CALIB_H

#include <lq/lq_core.h>
#include <lq/lq_quant.h>
#include <lq/lq_scheme.h>
#include <lq/lq_tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Calibration sets (lq_calib is declared in lq_quant.h)
 * ------------------------------------------------------------------------ */

/* CONSTRUCTOR. An empty set for a layer with `in_features` inputs (1 to
 * 65536; the Hessian takes 4 * in_features^2 bytes). Errors: LQ_ERR_INVALID
 * (NULL out, in_features out of range), LQ_ERR_NOMEM. */
LQ_API lq_status lq_calib_create(int64_t in_features, lq_calib **out);

/* DESTRUCTOR. Accepts NULL. */
LQ_API void lq_calib_free(lq_calib *c);

/* Add `tokens` activation rows x (row-major, tokens x in_features floats).
 * The Hessian is a running average updated with one BLAS ssyrk per call
 * (H <- N/(N+t) H + 2/(N+t) X^T X), so calls of any size may be mixed.
 * All of x is checked before anything changes: a NaN or infinity is rejected
 * with LQ_ERR_NONFINITE naming its token and channel, and the set is left as
 * it was. Errors: LQ_ERR_INVALID (NULL arguments, tokens < 1),
 * LQ_ERR_NONFINITE. */
LQ_API lq_status lq_calib_add(lq_calib *c, const float *x, int64_t tokens);

/* Add everything in `src` to `dst`, as if dst had also seen src's tokens
 * (token-weighted average of the Hessians, sums added, maxima combined, the
 * samples drawn again from both). Errors: LQ_ERR_INVALID (NULL arguments,
 * dst == src), LQ_ERR_SHAPE (different in_features), LQ_ERR_NOMEM. */
LQ_API lq_status lq_calib_merge(lq_calib *dst, const lq_calib *src);

/* How many activation rows the set keeps as a sample (default 512; 0 keeps
 * none). Lowering it drops rows at random; raising it keeps rows added from
 * now on. Errors: LQ_ERR_INVALID (NULL, n < 0 or > 1<<20), LQ_ERR_NOMEM. */
LQ_API lq_status lq_calib_set_max_samples(lq_calib *c, int64_t n);

/* METHODS. 0 for NULL. */
LQ_API int64_t lq_calib_features(const lq_calib *c); /* in_features */
LQ_API int64_t lq_calib_tokens(const lq_calib *c);   /* N, tokens added */
LQ_API int64_t lq_calib_samples(const lq_calib *c);  /* rows kept as a sample */

/* What lq_calib_get copies out. Pinned values. */
enum lq_calib_stat {
    LQ_CALIB_MEAN_ABS = 0, /* [in] mean |x| per channel (AWQ's activation scale) */
    LQ_CALIB_MAX_ABS = 1,  /* [in] max |x| per channel (SmoothQuant, LLM.int8 outliers) */
    LQ_CALIB_SUM_SQ = 2,   /* [in] sum x^2 per channel */
    LQ_CALIB_MEAN_SQ = 3,  /* [in] sum x^2 / N: the importance matrix for lq_quantize */
    LQ_CALIB_HESSIAN = 4,  /* [in * in] H, full symmetric, row-major */
    LQ_CALIB_SAMPLES = 5   /* [samples * in] the sampled activation rows */
};

/* Copy a statistic into the caller's array of `count` floats, which must be
 * exactly the size given above. Before any token is added every statistic is
 * zero. Errors: LQ_ERR_INVALID (NULL, unknown stat), LQ_ERR_SHAPE (count). */
LQ_API lq_status lq_calib_get(const lq_calib *c, int stat, float *out, int64_t count);

/* Transform the set as if every activation x_j had been multiplied by
 * mult[j] (in_features finite, non-zero floats): what happens to a layer's
 * input when AWQ or SmoothQuant moves a scale into the previous operation
 * (pass 1/s there). Errors: LQ_ERR_INVALID (NULL, a zero or non-finite
 * factor; the set is then unchanged). */
LQ_API lq_status lq_calib_scale_channels(lq_calib *c, const float *mult);

/* Save to / load from a file in libquant's calibration format (doc/methods.md:
 * magic "LQCALIB1", a version, sizes, the statistics, a 64-bit checksum).
 * Saving writes a temporary file next to `path` and renames it into place, so
 * a failure never leaves a partial file under that name. Loading checks every
 * size against the file length and the checksum before returning a set.
 * Errors: LQ_ERR_INVALID (NULL arguments), LQ_ERR_IO (the file cannot be
 * opened, read or written), LQ_ERR_FORMAT (not a calibration file, an
 * unsupported version, inconsistent sizes, a bad checksum), LQ_ERR_NOMEM. */
LQ_API lq_status lq_calib_save(const lq_calib *c, const char *path);
LQ_API lq_status lq_calib_load(const char *path, lq_calib **out);

/* ------------------------------------------------------------------------
 * Importance-matrix files, as llama.cpp's llama-imatrix writes and
 * llama-quantize --imatrix reads them: per weight name, the mean of x^2 per
 * input column (over the tokens that reached that weight).
 * ------------------------------------------------------------------------ */
typedef struct lq_imatrix lq_imatrix;

/* File formats. Pinned values. */
enum lq_imatrix_format {
    LQ_IMATRIX_DAT = 0, /* the legacy binary .dat layout (doc/methods.md) */
    LQ_IMATRIX_GGUF = 1 /* GGUF with <name>.in_sum2 and <name>.counts tensors */
};

/* CONSTRUCTOR. An empty matrix set. Errors: LQ_ERR_INVALID, LQ_ERR_NOMEM. */
LQ_API lq_status lq_imatrix_create(lq_imatrix **out);

/* DESTRUCTOR. Accepts NULL. */
LQ_API void lq_imatrix_free(lq_imatrix *im);

/* Record the input statistics of weight `name` (e.g. "blk.0.attn_q.weight")
 * from a calibration set: sum x^2 per channel and the token count. A name
 * already present is replaced. Layers sharing an input are added once per
 * weight name. Errors: LQ_ERR_INVALID (NULL, empty name or longer than
 * LQ_MAX_NAME, a set with no tokens), LQ_ERR_NOMEM. */
LQ_API lq_status lq_imatrix_add(lq_imatrix *im, const char *name, const lq_calib *c);

/* Number of entries, and the name of entry i (borrowed, valid until the set
 * changes; NULL when i is out of range). Entries are sorted by name. */
LQ_API int64_t lq_imatrix_count(const lq_imatrix *im);
LQ_API const char *lq_imatrix_name(const lq_imatrix *im, int64_t i);

/* Length of `name`'s vector (its in_features), or 0 when absent. */
LQ_API int64_t lq_imatrix_length(const lq_imatrix *im, const char *name);

/* Copy the importance weights of `name` (mean x^2 per column, the array
 * lq_quantize takes as `imatrix`) into out[count]. Errors: LQ_ERR_INVALID
 * (NULL, no such name: the message names it), LQ_ERR_SHAPE (count differs). */
LQ_API lq_status lq_imatrix_get(const lq_imatrix *im, const char *name, float *out,
                                int64_t count);

/* Write all entries in `format` (atomically, as lq_calib_save), with
 * `dataset` (may be NULL) recorded as the calibration text's name. The legacy
 * format stores mean x^2 times ncall, ncall = ceil(tokens / 512) (512 tokens
 * = llama-imatrix's default chunk), which its readers divide out again.
 * Errors: LQ_ERR_INVALID (NULL, an empty set, an unknown format),
 * LQ_ERR_UNSUPPORTED (GGUF in a build without the GGUF writer), LQ_ERR_IO,
 * LQ_ERR_NOMEM. */
LQ_API lq_status lq_imatrix_save(const lq_imatrix *im, const char *path, int format,
                                 const char *dataset);

/* CONSTRUCTOR. Read a file in either format (GGUF is recognised by its magic).
 * Every count and length is checked against the file size; values must be
 * finite and non-negative. Errors: LQ_ERR_INVALID, LQ_ERR_IO, LQ_ERR_FORMAT
 * (with the offending entry and offset in the message), LQ_ERR_UNSUPPORTED (a
 * GGUF file in a build without the GGUF reader), LQ_ERR_NOMEM. */
LQ_API lq_status lq_imatrix_load(const char *path, lq_imatrix **out);

/* ------------------------------------------------------------------------
 * GPTQ with its column order
 * ------------------------------------------------------------------------ */

/* CONSTRUCTOR. Quantize `src` with a gptq scheme, as lq_quantize does, and
 * also give the column order the codes are stored in: perm (cols int32, may
 * be NULL when the caller knows it is the identity) receives, for each stored
 * column j, the source column perm[j].
 *
 * The order is the identity except for act_order with a group size and
 * without static_groups: GPTQ then forms each group of g columns from
 * consecutive columns in activation order (descending Hessian diagonal), which
 * are scattered in the source order. *out then holds W[:, perm] in the normal
 * int layout (contiguous groups), so x W^T = x[:, perm] * out^T: permute the
 * activations, or hand tensor and perm to lq_hf_export, which writes the
 * equivalent g_idx. lq_quantize refuses that one configuration, because its
 * output could not say it is permuted.
 *
 * Errors: as lq_quantize, plus LQ_ERR_INVALID for a scheme whose method is
 * not gptq. */
LQ_API lq_status lq_gptq_quantize(lq_ctx *ctx, const lq_tensor *src, const lq_scheme *scheme,
                                  const lq_calib *calib, lq_tensor **out, int32_t *perm);

/* ------------------------------------------------------------------------
 * Moving scales between a layer and the operation before it
 * (AWQ and SmoothQuant): y = prev(..) feeds x = y / s into W' = W diag(s),
 * which computes the same function with rescaled weights.
 * ------------------------------------------------------------------------ */

/* AWQ scale search (AutoAWQ defaults: duo scaling, 20-point ratio grid,
 * normalised by sqrt(max s * min s)) for the `n` weights of shape
 * [out_i, in] that share one input described by `calib`. Each candidate s is
 * scored by the summed output error of Q(W diag(s)) diag(s)^-1 over all n
 * layers, Q being the int quantizer of `scheme` (an awq scheme); the error is
 * computed exactly from the Hessian, over all calibration tokens. scales
 * receives `in` floats. Errors: LQ_ERR_INVALID (NULL, n < 1, a scheme that is
 * not awq, no tokens in calib), LQ_ERR_SHAPE (in_features differ),
 * LQ_ERR_NOMEM, LQ_ERR_CANCELLED. */
LQ_API lq_status lq_awq_search(lq_ctx *ctx, const lq_scheme *scheme, const lq_calib *calib,
                               const lq_tensor *const *w, int n, float *scales);

/* SmoothQuant scales for the `n` weights [out_i, in] fed by one norm:
 * s_j = max|X_j|^alpha / max|W_j|^(1 - alpha), alpha from `scheme` (a
 * smoothquant scheme), max|W_j| over the rows of all n weights; as
 * mit-han-lab/smoothquant, max|W_j| and s_j are clamped to at least 1e-5.
 * scales receives `in` floats. Errors as lq_awq_search. */
LQ_API lq_status lq_smoothquant_scales(const lq_scheme *scheme, const lq_calib *calib,
                                       const lq_tensor *const *w, int n, float *scales);

/* Apply `scales` (n_in finite positive floats) in place: the previous
 * operation's output channels are divided by them and the next layers' input
 * columns multiplied, so the composition is unchanged up to rounding.
 *   prev: NULL (nothing before), a 1-D norm weight [n_in], or a 2-D linear
 *         weight [rows >= n_in, k] whose LAST n_in rows are the outputs
 *         feeding x (AWQ's v_proj -> o_proj, up_proj -> down_proj);
 *   prev_bias: NULL or a 1-D bias of prev's outputs (its last n_in entries);
 *   next: n_next 2-D weights [out_i, n_in].
 * All tensors must be f32, f16 or bf16 (16-bit ones are rounded back after
 * scaling); borrowed tensors change the caller's buffer. Nothing is changed
 * unless every argument checks out. Errors: LQ_ERR_INVALID (NULL, a scale
 * that is not finite and positive, a tensor of another type), LQ_ERR_SHAPE.
 * Not thread-safe on the tensors it changes. */
LQ_API lq_status lq_scales_apply(const float *scales, int64_t n_in, lq_tensor *prev,
                                 lq_tensor *prev_bias, lq_tensor *const *next, int n_next);

/* ------------------------------------------------------------------------
 * 8-bit matrix products (W8A8) for smoothquant and llm_int8 weights
 * ------------------------------------------------------------------------ */

/* y[tokens, out] = x[tokens, in] * W^T with W an int8:channel:sym tensor
 * (made by the smoothquant or llm_int8 method): lq_matmul_w8a8_raw (lq_matmul.h)
 * on the tensor's codes and row scales, so every activation row is quantized
 * to int8 on the fly (absmax / 127) and the dot products are exact int32
 * sums. Errors: LQ_ERR_INVALID (NULL, a weight that is not a 2-D
 * int8:channel:sym tensor, more than 131072 inputs), LQ_ERR_SHAPE,
 * LQ_ERR_NONFINITE (x), LQ_ERR_NOMEM. */
LQ_API lq_status lq_matmul_w8a8(lq_ctx *ctx, const float *x, int64_t tokens,
                                const lq_tensor *w, float *y);

/* LLM.int8() mixed decomposition: the columns j of x with any |x_tj| >=
 * threshold (an outlier column, decided on this x as bitsandbytes does) are
 * multiplied in float with the dequantized weight columns; the other columns
 * go through the int8 path of lq_matmul_w8a8. threshold <= 0 means the
 * scheme's (6.0 by default) for a llm_int8 tensor. *n_outliers (may be NULL)
 * receives the number of outlier columns. Errors as lq_matmul_w8a8. */
LQ_API lq_status lq_matmul_llm_int8(lq_ctx *ctx, const float *x, int64_t tokens,
                                    const lq_tensor *w, double threshold, float *y,
                                    int64_t *n_outliers);

/* ------------------------------------------------------------------------
 * What a method buys: output error on the calibration set
 * ------------------------------------------------------------------------ */

/* Run `scheme`'s method on src (one layer, [out, in]) with `calib`, and the
 * plain round-to-nearest of the same type and layout, and report each one's
 * relative squared output error on the calibration tokens,
 * ||X W^T - X What^T||^2 / ||X W^T||^2:
 *   - gptq, hqq, rtn: What is the dequantized tensor; computed exactly from
 *     the Hessian (all tokens);
 *   - awq: the scales searched for this layer alone, then What =
 *     Q(W diag(s)) diag(s)^-1; from the Hessian;
 *   - smoothquant: W8A8 (int8 weights, per-token int8 activations) after
 *     smoothing, against W8A8 without smoothing; on the sampled rows;
 *   - llm_int8: the mixed int8/float product against W8A8 without outlier
 *     columns; on the sampled rows.
 * Errors: as lq_quantize, plus LQ_ERR_INVALID when calib has no tokens (or no
 * samples for smoothquant and llm_int8), LQ_ERR_SHAPE. */
LQ_API lq_status lq_method_error(lq_ctx *ctx, const lq_tensor *src, const lq_scheme *scheme,
                                 const lq_calib *calib, double *err_method, double *err_rtn);

#ifdef __cplusplus
}
#endif
#endif /* LQ_CALIB_H */
