/* qk_rows.h — the reverse of the converter's Q/K row reordering, for
 * writing a model of the runner back as a Hugging Face checkpoint
 * (internal). */
#ifndef LQ_HF_QK_ROWS_H
#define LQ_HF_QK_ROWS_H

#include <stdint.h>

#include <lq/lq_tensor.h>

/* CONSTRUCTOR. A copy of the 2-D t (rows in llama.cpp's order, as the
 * runner holds a Llama-class Q or K weight) with
 * its rows in the checkpoint's order, `heads` being the Q or K head count.
 * t may be plain (f32, f16, bf16) or quantized to an int, fp8 or
 * (without double quantization, rows of whole blocks) nf4/fp4 scheme.
 * Errors: LQ_ERR_SHAPE (rows not `heads` heads of an even size),
 * LQ_ERR_UNSUPPORTED (another layout: named), LQ_ERR_FORMAT, LQ_ERR_NOMEM. */
lq_status lq__hf_qk_unpermute(const char *fn, const lq_tensor *t, int64_t heads, lq_tensor **out);

#endif
