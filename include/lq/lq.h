/*
 * libquant — make large language models small, and run them.
 *
 * This umbrella header includes every public header. The API has two tiers,
 * as zstd's ZSTD_STATIC_LINKING_ONLY does:
 *
 *   - the STABLE tier, always declared: calls keep their name, arguments and
 *     behaviour across releases of one soname (symbol version LIBQUANT_0);
 *   - the EXPERIMENTAL tier, declared only when LQ_EXPERIMENTAL_API is
 *     defined before this header is included: calls that may still change
 *     in any release, even a patch release, until they move to the stable
 *     tier (symbol version LIBQUANT_EXPERIMENTAL_0, so a program that uses
 *     them is visibly tied to it).
 *
 * Stable tier:
 *   lq_core.h     status codes, lq_last_error(), versions, build info, lq_ctx
 *   lq_types.h    element types: plain numbers and quantized formats
 *   lq_tensor.h   the tensor handle
 *   lq_scheme.h   schemes ("int4:g128", "q4_k", "nf4:b64:dq", ...)
 *   lq_quant.h    lq_quantize / lq_dequantize
 *   lq_quality.h  error metrics, output error, memory estimator
 *   lq_calib.h    calibration sets, importance matrices
 *   lq_methods.h  GPTQ column order, AWQ / SmoothQuant scales, method output error
 *   lq_io.h       model files: GGUF and safetensors
 *   lq_matmul.h   matrix products with quantized weights, W8A8, LLM.int8
 *
 * Experimental tier (#define LQ_EXPERIMENTAL_API before #include <lq/lq.h>):
 *   lq_io.h       (its last block) split GGUF models written as llama-gguf-split
 *   lq_hf.h       Hugging Face checkpoint layouts (GPTQ, AWQ, bitsandbytes, FP8)
 *   lq_model.h    the reference Llama runner: tokenizer, forward pass, perplexity
 *   lq_pipeline.h whole GGUF models quantized as llama-quantize does
 *
 * Conventions, everywhere:
 *   - every public name starts with lq_ (LQ_ for macros);
 *   - objects are opaque handles made by a CONSTRUCTOR that returns an
 *     lq_status and writes the handle to an out-parameter, and released by a
 *     DESTRUCTOR that accepts NULL;
 *   - out-parameters come last, after every input;
 *   - every fallible call returns an lq_status (LQ_OK == 0, errors < 0), and
 *     lq_last_error() holds the detailed message for the calling thread;
 *   - the library never prints, never aborts on bad input, and never keeps a
 *     pointer it was given unless the documentation says so (LQ_BORROW).
 *
 * A first program:
 *
 *     #include <lq/lq.h>
 *     #include <stdio.h>
 *
 *     int main(void) {
 *         float w[4 * 256];
 *         for (int i = 0; i < 4 * 256; i++) w[i] = (float)((i * 37) % 101 - 50) / 50.0f;
 *         int64_t shape[2] = {4, 256};
 *         lq_tensor *t = NULL, *q = NULL;
 *         lq_scheme *s = NULL;
 *         double m[LQ_METRIC_COUNT_V1];
 *         if (lq_tensor_wrap(LQ_TYPE_F32, 2, shape, w, sizeof w, LQ_BORROW, "w", &t) ||
 *             lq_scheme_parse("int4:g128", &s) ||
 *             lq_quantize(NULL, t, s, NULL, NULL, &q) ||
 *             lq_tensor_error_metrics(NULL, t, q, m, LQ_METRIC_COUNT_V1)) {
 *             fprintf(stderr, "libquant: %s\n", lq_last_error());
 *             return 1;
 *         }
 *         printf("%s: %.3f bits/weight, RMSE %.5f, SQNR %.1f dB\n",
 *                lq_scheme_string(s), lq_tensor_bits_per_weight(q),
 *                m[LQ_METRIC_RMSE], m[LQ_METRIC_SQNR_DB]);
 *         lq_tensor_free(q);
 *         lq_tensor_free(t);
 *         lq_scheme_free(s);
 *         return 0;
 *     }
 *
 * Build it with: cc demo.c $(pkg-config --cflags --libs libquant)
 */
#ifndef LQ_H
#define LQ_H

#include <lq/lq_core.h>
#include <lq/lq_types.h>
#include <lq/lq_tensor.h>
#include <lq/lq_scheme.h>
#include <lq/lq_quant.h>
#include <lq/lq_quality.h>
#include <lq/lq_calib.h>
#include <lq/lq_methods.h>
#include <lq/lq_io.h>
#include <lq/lq_matmul.h>

#endif /* LQ_H */

/* The experimental tier, outside the guard: these headers declare nothing
 * without LQ_EXPERIMENTAL_API, and declare their calls when this header is
 * included again after defining it. */
#include <lq/lq_io.h>
#include <lq/lq_hf.h>
#include <lq/lq_model.h>
#include <lq/lq_pipeline.h>
