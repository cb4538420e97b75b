/*
 * libquant — make large language models small, and run them.
 *
 * This umbrella header is the whole stable API; each part lives in its own
 * header, which this one includes:
 *
 *   lq_core.h     status codes, lq_last_error(), versions, build info, lq_ctx
 *   lq_types.h    element types: plain numbers and quantized formats
 *   lq_tensor.h   the tensor handle
 *   lq_scheme.h   schemes ("int4:g128", "q4_k", "nf4:b64:dq", ...)
 *   lq_quant.h    lq_quantize / lq_dequantize
 *   lq_quality.h  error metrics, output error, memory estimator
 *   lq_calib.h    calibration sets, importance matrices
 *   lq_methods.h  GPTQ column order, AWQ / SmoothQuant scales, method output error
 *   lq_hf.h       Hugging Face checkpoint layouts (GPTQ, AWQ, bitsandbytes, FP8)
 *   lq_io.h       model files: GGUF and safetensors
 *   lq_matmul.h   matrix products with quantized weights, W8A8, LLM.int8
 *   lq_model.h    the reference Llama runner: tokenizer, forward pass, perplexity
 *
 * Conventions, everywhere:
 *   - every public name starts with lq_ (LQ_ for macros);
 *   - objects are opaque handles made by a CONSTRUCTOR that returns an
 *     lq_status and writes the handle to an out-parameter, and released by a
 *     DESTRUCTOR that accepts NULL;
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
#include <lq/lq_hf.h>
#include <lq/lq_io.h>
#include <lq/lq_matmul.h>
#include <lq/lq_model.h>
#include <lq/lq_pipeline.h>

#endif /* LQ_H */
