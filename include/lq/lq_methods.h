/*
 * lq_methods.h — the calibrated methods' own calls: GPTQ with its column
 * order, the AWQ and SmoothQuant scales and moving them into the weights, and
 * what a method buys in output error. Calibration sets are in lq_calib.h, the
 * 8-bit products of smoothquant and llm_int8 weights in lq_matmul.h.
 *
 * What lq_quantize does with each method (doc/methods.md has the details):
 *   gptq        error feedback through the inverse Hessian (needs a set);
 *   awq         AWQ's clipping search and quantizer (needs a set), on a
 *               weight whose scales were already moved in with
 *               lq_awq_search + lq_scales_apply (and the set rescaled with
 *               lq_calib_scale_channels);
 *   hqq         HQQ's zero-point solver (no set);
 *   smoothquant, llm_int8   int8 rows with absmax / 127 scales (no set); the
 *               smoothing scales are lq_smoothquant_scales, the int8
 *               products lq_matmul_w8a8 and lq_matmul_llm_int8.
 * The output always approximates the tensor it was given.
 *
 * Thread safety: the calls only read their inputs, except the tensors
 * lq_scales_apply changes.
 *
 * Stable tier (LIBQUANT_0). Include <lq/lq.h> rather than this file.
 */
#ifndef LQ_METHODS_H
#define LQ_METHODS_H

#include <lq/lq_calib.h>
#include <lq/lq_core.h>
#include <lq/lq_quant.h>
#include <lq/lq_scheme.h>
#include <lq/lq_tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

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
 * activations, or hand tensor and perm to lq_hf_export (experimental,
 * lq_hf.h), which writes the equivalent g_idx. lq_quantize refuses that
 * one configuration, because its output could not say it is permuted.
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
#endif /* LQ_METHODS_H */
