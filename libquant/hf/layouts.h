/* layouts.h — the table of Hugging Face layouts (internal): one row per
 * LQ_HF_* format with its functions and properties, and the per-layout
 * functions the rows point to (hf_gptq.c, hf_awq.c, hf_bnb.c, hf_fp8.c,
 * hf_fp4.c, hf_config.c). hf_api.c runs the public functions through the rows; the
 * layouts themselves use only hf.h. `fn` names the public function for
 * messages. */
#ifndef LQ_HF_LAYOUTS_H
#define LQ_HF_LAYOUTS_H

#include <stdbool.h>
#include <stdint.h>

#include <lq/lq_hf.h>

#include "../core/scheme.h"
#include "../io/json.h"
#include "hf.h"

typedef struct lq__hf_layout lq__hf_layout;

struct lq__hf_layout {
    const char *name;
    /* Store q under prefix. perm is non-NULL only when stores_perm; calib
     * only when uses_calib (then it is never NULL). */
    lq_status (*export_)(const char *fn, const lq__hf_layout *l, const lq_tensor *q,
                         const int32_t *perm, const lq_calib *calib, const char *prefix,
                         lq_safetensors *st);
    /* The int weight of a GPTQ-family layout (the import and the decoding
     * then go through lq__hf_int); NULL for the others, which have import. */
    lq_status (*read_int)(const char *fn, const lq__hf_layout *l, const lq_safetensors *st,
                          const char *prefix, lq__hf_int *h);
    lq_status (*import)(const char *fn, const lq_safetensors *st, const char *prefix,
                        lq_tensor **out);
    /* A decoder of the layout's own (NULL: import, then lq_dequantize_f32). */
    lq_status (*decode)(const char *fn, const lq_safetensors *st, const char *prefix, float *out,
                        int64_t count);
    /* Write quantization_config's fields for the scheme; NULL, or why the
     * scheme cannot be stored in the layout. */
    const char *(*config)(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s);
    bool stores_perm; /* keeps a column order (GPTQ's g_idx) */
    bool uses_calib;  /* needs a calibration set (a static activation scale) */
    /* the variant of the family: gptq_v2 (zeros as they are), bnb 4-bit
     * (not int8), fp8 with a static activation scale */
    bool variant;
};

/* The row of `format`, or NULL for a value that is not an LQ_HF_* format. */
const lq__hf_layout *lq__hf_layout_of(int format);

/* ---- the layouts (one file each) ------------------------------------------- */

lq_status lq__hf_gptq_export(const char *fn, const lq_tensor *q, const int32_t *perm, int v2,
                             const char *prefix, lq_safetensors *st);
lq_status lq__hf_gptq_read(const char *fn, const lq_safetensors *st, int v2, const char *prefix,
                           lq__hf_int *h);
lq_status lq__hf_awq_export(const char *fn, const lq_tensor *q, const char *prefix,
                            lq_safetensors *st);
lq_status lq__hf_awq_read(const char *fn, const lq_safetensors *st, const char *prefix,
                          lq__hf_int *h);
lq_status lq__hf_bnb4_export(const char *fn, const lq_tensor *q, const char *prefix,
                             lq_safetensors *st);
lq_status lq__hf_bnb4_import(const char *fn, const lq_safetensors *st, const char *prefix,
                             lq_tensor **out);
lq_status lq__hf_bnb4_decode(const char *fn, const lq_safetensors *st, const char *prefix,
                             float *out, int64_t count);
/* The [rows, cols] a Linear4bit layer's quant state declares (2-D only),
 * without reading its codes. Errors: LQ_ERR_FORMAT naming the layer. */
lq_status lq__hf_bnb4_shape(const char *fn, const lq_safetensors *st, const char *prefix,
                            int64_t *rows, int64_t *cols);
lq_status lq__hf_int8_export(const char *fn, const lq_tensor *q, const char *prefix,
                             lq_safetensors *st);
lq_status lq__hf_int8_import(const char *fn, const lq_safetensors *st, const char *prefix,
                             lq_tensor **out);
lq_status lq__hf_int8_decode(const char *fn, const lq_safetensors *st, const char *prefix,
                             float *out, int64_t count);
lq_status lq__hf_fp8_export(const char *fn, const lq_tensor *q, const lq_calib *calib,
                            const char *prefix, lq_safetensors *st);
lq_status lq__hf_fp8_import(const char *fn, const lq_safetensors *st, const char *prefix,
                            lq_tensor **out);

lq_status lq__hf_nvfp4_export(const char *fn, const lq_tensor *q, const char *prefix,
                              lq_safetensors *st);
lq_status lq__hf_nvfp4_import(const char *fn, const lq_safetensors *st, const char *prefix,
                              lq_tensor **out);
lq_status lq__hf_nvfp4_decode(const char *fn, const lq_safetensors *st, const char *prefix,
                              float *out, int64_t count);
/* The NVFP4 layer at prefix ([rows, cols], cols a multiple of 64) as ggml's
 * NVFP4 blocks into dst, whatever its global scale, which goes to *global
 * (the values are the blocks' divided by it). Errors: LQ_ERR_FORMAT (missing
 * or mis-shaped tensors, a negative or NaN scale), LQ_ERR_UNSUPPORTED
 * (columns not a multiple of 64). */
lq_status lq__hf_nvfp4_blocks(const char *fn, const lq_safetensors *st, const char *prefix,
                              int64_t rows, int64_t cols, void *dst, float *global);
lq_status lq__hf_mxfp4_export(const char *fn, const lq_tensor *q, const char *prefix,
                              lq_safetensors *st);
lq_status lq__hf_mxfp4_import(const char *fn, const lq_safetensors *st, const char *prefix,
                              lq_tensor **out);
lq_status lq__hf_mxfp4_decode(const char *fn, const lq_safetensors *st, const char *prefix,
                              float *out, int64_t count);

/* quantization_config of each family (hf_config.c; algorithms.md 1.8, 2.6,
 * 3.4, 6.3). */
const char *lq__hf_gptq_config(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s);
const char *lq__hf_awq_config(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s);
const char *lq__hf_bnb_config(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s);
const char *lq__hf_fp8_config(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s);
const char *lq__hf_nvfp4_config(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s);
const char *lq__hf_mxfp4_config(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s);

#endif
