/*
 * lq_types.h — element types: plain numbers and quantized formats.
 *
 * One enum names every way libquant can store a tensor's elements. Plain types
 * hold one value per element; quantized formats pack codes together with the
 * scales (and zero points) needed to decode them. The values are pinned and
 * never reused. Stable tier (LIBQUANT_0).
 */
#ifndef LQ_TYPES_H
#define LQ_TYPES_H

#include <lq/lq_core.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int lq_type;

enum lq_type_code {
    /* plain numbers, little-endian */
    LQ_TYPE_F32 = 0,
    LQ_TYPE_F16 = 1,       /* IEEE binary16 */
    LQ_TYPE_BF16 = 2,      /* upper half of an IEEE binary32 */
    LQ_TYPE_F64 = 3,
    LQ_TYPE_I8 = 4,
    LQ_TYPE_U8 = 5,
    LQ_TYPE_I16 = 6,
    LQ_TYPE_I32 = 7,
    LQ_TYPE_I64 = 8,

    /* linear integer quantization: codes + scales (+ zero points), with a
     * granularity (per tensor, per output row, per group along the row) */
    LQ_TYPE_INT8 = 16,
    LQ_TYPE_INT4 = 17,
    LQ_TYPE_INT3 = 18,
    LQ_TYPE_INT2 = 19,

    /* bitsandbytes 4-bit codebooks with per-block absmax */
    LQ_TYPE_NF4 = 24,
    LQ_TYPE_FP4 = 25,

    /* OCP 8-bit floats with a per-tensor or per-row scale */
    LQ_TYPE_FP8_E4M3 = 28, /* E4M3FN: max 448, no infinity */
    LQ_TYPE_FP8_E5M2 = 29,

    /* ggml block formats, stored exactly as llama.cpp stores them */
    LQ_TYPE_Q4_0 = 32,
    LQ_TYPE_Q4_1 = 33,
    LQ_TYPE_Q5_0 = 34,
    LQ_TYPE_Q5_1 = 35,
    LQ_TYPE_Q8_0 = 36,
    LQ_TYPE_Q8_1 = 37,     /* activation side */
    LQ_TYPE_Q2_K = 38,
    LQ_TYPE_Q3_K = 39,
    LQ_TYPE_Q4_K = 40,
    LQ_TYPE_Q5_K = 41,
    LQ_TYPE_Q6_K = 42,
    LQ_TYPE_Q8_K = 43,     /* activation side */
    LQ_TYPE_IQ4_NL = 44,
    LQ_TYPE_IQ4_XS = 45,
    LQ_TYPE_TQ1_0 = 46,    /* ternary (BitNet b1.58), 5 values per byte */
    LQ_TYPE_TQ2_0 = 47,    /* ternary, 2 bits per value */
    LQ_TYPE_MXFP4 = 48,    /* E2M1 codes, an E8M0 power-of-two scale per 32 */
    LQ_TYPE_NVFP4 = 49,    /* E2M1 codes, a UE4M3 scale per 16, 64 per block */
    LQ_TYPE_IQ2_XXS = 50,  /* 2-bit i-quant: 8-value codebook points (256), 7 sign bits */
    LQ_TYPE_IQ2_XS = 51,   /* as iq2_xxs with 512 points and a 4-bit scale per 16 */
    LQ_TYPE_IQ2_S = 52,    /* 1024 points, 8 sign bits, a 4-bit scale per 16 */
    LQ_TYPE_IQ3_XXS = 53,  /* 3.06 bits: four-value groups from a 256-entry lattice grid */
    LQ_TYPE_IQ3_S = 54,    /* 3.44 bits: four-value groups from a 512-entry grid, free signs */
    LQ_TYPE_IQ1_S = 55,    /* 1.56 bits: eight-value groups of -1, 0, 1 from a 2048-entry grid */
    LQ_TYPE_IQ1_M = 56,    /* 1.75 bits: the same grid, scales per 16 and shifts per 8 */

    LQ_TYPE_COUNT_ = 57    /* one past the largest value; grows, never use it in files */
};

/* lq_type_name — lower-case name ("f32", "int4", "q4_k", ...), or NULL for a
 * value that is not a type. Static string. Thread-safe. */
LQ_API const char *lq_type_name(lq_type type);

/* lq_type_from_name — the type with that name (case-insensitive). Errors:
 * LQ_ERR_INVALID (NULL arguments or unknown name; the message names it). */
LQ_API lq_status lq_type_from_name(const char *name, lq_type *out);

/* lq_type_is_quantized — 1 for quantized formats, 0 for plain types and for
 * values that are not types. */
LQ_API int lq_type_is_quantized(lq_type type);

/* lq_type_ggml_id — the ggml_type id that GGUF files use for this type, or -1
 * when GGUF has no such type. */
LQ_API int lq_type_ggml_id(lq_type type);

#ifdef __cplusplus
}
#endif
#endif /* LQ_TYPES_H */
