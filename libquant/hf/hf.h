/* hf.h — what the Hugging Face layouts share (internal, hf.c): finding a
 * layer's tensors in an lq_safetensors handle with their dtype and shape
 * checked, adding them, and the int weight in the form GPTQ and AWQ store
 * it. The layouts and their table are in layouts.h. */
#ifndef LQ_HF_HF_H
#define LQ_HF_HF_H

#include <stdint.h>

#include <lq/lq_hf.h>
#include <lq/lq_quant.h>

#include "../core/tensor.h"
#include "../formats/codec.h"

/* A tensor of the layer found in a handle. */
typedef struct lq__hf_part {
    const uint8_t *data;
    uint64_t nbytes;
    int ndim;
    int64_t shape[8];
    const char *dtype;
} lq__hf_part;

/* "<prefix>.<part>" into name (LQ_MAX_NAME + 1 bytes), or "<prefix><part>"
 * for a part that starts with '_' (gpt-oss's "<prefix>_blocks"); false
 * when too long. */
bool lq__hf_name(char *name, const char *prefix, const char *part);

/* Find "<prefix>.<part>" with one of the dtypes in `dtypes` (a list like
 * "F16,F32") and `ndim` dimensions (-1: any). Errors: LQ_ERR_FORMAT naming
 * the tensor (missing, other dtype, other rank). */
lq_status lq__hf_find(const lq_safetensors *st, const char *prefix, const char *part,
                      const char *dtypes, int ndim, lq__hf_part *out);

/* Add "<prefix>.<part>" (copied). */
lq_status lq__hf_add(lq_safetensors *st, const char *prefix, const char *part, const char *dtype,
                     int ndim, const int64_t *shape, const void *data, uint64_t nbytes);

/* Element i of an F16, BF16 or F32 tensor as float. */
float lq__hf_float(const lq__hf_part *p, int64_t i);
int32_t lq__hf_i32(const lq__hf_part *p, int64_t i);

/* An int weight as GPTQ and AWQ see it: codes by source column, and per
 * group g (of g_idx) and output o a scale and a zero point, with
 * W[o, c] = scales[g, o] * (codes[o, c] - zeros[g, o]), g = g_idx[c]. */
typedef struct lq__hf_int {
    int bits, sym;
    lq_type scale_type;
    int64_t out, in, group, ngroups;
    uint8_t *codes;  /* out x in */
    int32_t *zeros;  /* ngroups x out */
    float *scales;   /* ngroups x out */
    int32_t *g_idx;  /* in */
} lq__hf_int;

/* Room for a weight of these sizes (all fields zeroed otherwise). */
lq_status lq__hf_int_alloc(lq__hf_int *h, int64_t out, int64_t in, int64_t ngroups);
void lq__hf_int_free(lq__hf_int *h);

/* From a 2-D int tensor (any granularity; a per-tensor scale is repeated per
 * output) whose stored column j is source column perm[j] (NULL: identity). */
lq_status lq__hf_int_from_tensor(const char *fn, const lq_tensor *q, const int32_t *perm,
                                 lq__hf_int *h);

/* To an int tensor holding the same values, with perm as lq_hf_import says.
 * Errors: LQ_ERR_UNSUPPORTED when the groups of g_idx are not `group`
 * columns each, or a zero point does not fit a byte. */
lq_status lq__hf_int_to_tensor(const char *fn, const lq__hf_int *h, const char *name,
                               lq_tensor **out, int32_t *perm);

/* Add "<prefix>.scales", [groups, out]: F16, or F32 for an f32-scale weight
 * (GPTQ and AWQ store them alike). */
lq_status lq__hf_add_scales(lq_safetensors *st, const char *prefix, const lq__hf_int *h);

/* W[o, c] for all o, c into out (out x in floats). */
void lq__hf_int_decode(const lq__hf_int *h, float *out);

/* Bit fields in a stream of little-endian 32-bit words: value j of `bits`
 * bits at bit j*bits, LSB first, crossing word boundaries (the 3-bit layout
 * of GPTQ is this stream). Word k is words[k * stride]; the reader takes the
 * words as bytes (file data need not be aligned). */
void lq__hf_put_bits(int32_t *words, int64_t stride, int64_t j, int bits, uint32_t v);
uint32_t lq__hf_get_bits(const uint8_t *words, int64_t stride, int64_t j, int bits);

#endif
