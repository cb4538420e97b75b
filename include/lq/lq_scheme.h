/*
 * lq_scheme.h — what to quantize to, and how.
 *
 * A scheme is parsed from a short string so that the C API, the bindings and
 * the `lq` tool share one grammar (doc/schemes.md has the full reference):
 *
 *     scheme  = [method ":"] type { ":" option }
 *     method  = rtn | gptq | awq | hqq | smoothquant | llm_int8     (default rtn)
 *     type    = f32 | f16 | bf16 | int8 | int4 | int3 | int2 | nf4 | fp4
 *             | fp8_e4m3 | fp8_e5m2 | q4_0 | q4_1 | q5_0 | q5_1 | q8_0 | q2_k
 *             | q3_k | q4_k | q5_k | q6_k | iq4_nl | iq4_xs
 *             | q2_k_s | q3_k_s | q3_k_m | q3_k_l | q4_k_s | q4_k_m | q5_k_s
 *             | q5_k_m
 *               (llama.cpp file-type mixtures: per tensor role in a model,
 *                their base k-quant for a lone tensor)
 *     option  = gN (group of N weights along a row) | channel | tensor
 *             | sym | asym | bN (block size, nf4/fp4) | dq (double quant)
 *             | scale=f16 | scale=f32 | act_order | static_groups
 *             | damp=X | alpha=X | threshold=X | iters=N
 *
 * Examples: "int4" (= int4:g128:sym), "int4:g128:asym", "int8:channel",
 * "nf4:b64:dq", "fp8_e4m3:channel", "q4_k", "q4_k_m",
 * "gptq:int4:g128:act_order", "awq:int4:g128".
 *
 * A scheme is a small value object: parse it, inspect it, change it with the
 * setters, free it. lq_scheme_string() gives the canonical form, which parses
 * back to an identical scheme. Thread safety: a scheme that no thread modifies
 * may be used by many threads at once. Stable tier (LIBQUANT_0).
 */
#ifndef LQ_SCHEME_H
#define LQ_SCHEME_H

#include <lq/lq_core.h>
#include <lq/lq_types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lq_scheme lq_scheme;

/* Methods: how the codes are chosen. Pinned values. */
enum lq_method {
    LQ_METHOD_RTN = 0,         /* round to nearest (or ggml's reference search for ggml types) */
    LQ_METHOD_GPTQ = 1,        /* error feedback through the inverse Hessian; needs calibration */
    LQ_METHOD_AWQ = 2,         /* activation-aware channel scaling; needs calibration */
    LQ_METHOD_HQQ = 3,         /* half-quadratic zero-point optimization; no calibration */
    LQ_METHOD_SMOOTHQUANT = 4, /* W8A8 after moving activation outliers into the weights */
    LQ_METHOD_LLM_INT8 = 5     /* int8 rows plus float outlier columns */
};

/* Granularity values for LQ_PARAM_GROUP_SIZE besides a positive group size. */
#define LQ_GROUP_CHANNEL 0     /* one scale per output row */
#define LQ_GROUP_TENSOR (-1)   /* one scale for the whole tensor */

/* Parameters, read with lq_scheme_get_* and changed with lq_scheme_set_*.
 * Pinned values; new parameters are only appended. */
enum lq_param {
    LQ_PARAM_TYPE = 0,          /* int: lq_type */
    LQ_PARAM_METHOD = 1,        /* int: lq_method */
    LQ_PARAM_BITS = 2,          /* int, read-only: code bits (8, 4, 3, 2; 16/32 for floats; ggml nominal) */
    LQ_PARAM_GROUP_SIZE = 3,    /* int: N > 0, LQ_GROUP_CHANNEL or LQ_GROUP_TENSOR */
    LQ_PARAM_SYMMETRIC = 4,     /* int: 1 symmetric, 0 with zero points */
    LQ_PARAM_BLOCK_SIZE = 5,    /* int: nf4/fp4 absmax block (32..4096, power of two) */
    LQ_PARAM_DOUBLE_QUANT = 6,  /* int: nf4/fp4 8-bit absmax (blocks of 256) */
    LQ_PARAM_SCALE_TYPE = 7,    /* int: LQ_TYPE_F16 or LQ_TYPE_F32 for stored scales */
    LQ_PARAM_ACT_ORDER = 8,     /* int: gptq columns by descending Hessian diagonal */
    LQ_PARAM_STATIC_GROUPS = 9, /* int: gptq group parameters fixed before the solve */
    LQ_PARAM_MIXTURE = 10,      /* int, read-only: llama.cpp file type (llama_ftype) of a mixture, 0 if none */
    LQ_PARAM_DAMP = 11,         /* float: gptq damping, fraction of the mean Hessian diagonal */
    LQ_PARAM_ALPHA = 12,        /* float: smoothquant migration strength */
    LQ_PARAM_THRESHOLD = 13,    /* float: llm_int8 outlier threshold */
    LQ_PARAM_ITERS = 14         /* int: hqq iterations */
};

/* CONSTRUCTOR. Parse a scheme string (case-insensitive, no spaces).
 * Errors: LQ_ERR_INVALID for NULL arguments and for unknown or inconsistent
 * strings; the message names the offending part, e.g.
 * "lq_scheme_parse: 'int4:g100x': option 'g100x' is not a group size". */
LQ_API lq_status lq_scheme_parse(const char *text, lq_scheme **out);

/* CONSTRUCTOR. An independent copy. Errors: LQ_ERR_INVALID, LQ_ERR_NOMEM. */
LQ_API lq_status lq_scheme_clone(const lq_scheme *s, lq_scheme **out);

/* DESTRUCTOR. Accepts NULL. */
LQ_API void lq_scheme_free(lq_scheme *s);

/* The canonical string: method (when not rtn), type, then every option that
 * matters for that type in a fixed order, with defaults written out where they
 * decide the layout (granularity, symmetry, block size). Owned by the scheme,
 * valid until it is changed or freed. "" for NULL. */
LQ_API const char *lq_scheme_string(const lq_scheme *s);

/* Read a parameter. Errors: LQ_ERR_INVALID (NULL arguments, unknown parameter,
 * or a float parameter read as int and vice versa). */
LQ_API lq_status lq_scheme_get_int(const lq_scheme *s, int param, int64_t *out);
LQ_API lq_status lq_scheme_get_float(const lq_scheme *s, int param, double *out);

/* Change a parameter; the scheme is validated again and the canonical string
 * rebuilt. On error the scheme is left unchanged. Errors: LQ_ERR_INVALID
 * (unknown or read-only parameter, value out of range, or a value that does not
 * fit the type or method, e.g. a group size for fp8). */
LQ_API lq_status lq_scheme_set_int(lq_scheme *s, int param, int64_t value);
LQ_API lq_status lq_scheme_set_float(lq_scheme *s, int param, double value);

/* Storage a [rows, cols] weight takes under this scheme, in bytes, scales and
 * zero points included. Errors: LQ_ERR_SHAPE when the scheme cannot store that
 * shape (cols not a multiple of the group or block), LQ_ERR_INVALID. */
LQ_API lq_status lq_scheme_tensor_bytes(const lq_scheme *s, int64_t rows,
                                        int64_t cols, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif /* LQ_SCHEME_H */
