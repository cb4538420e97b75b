/* type_list.h — the element types, one row each (internal X-macro lists).
 *
 * Every table that has something per type is expanded from these rows: the
 * facts (core/type_info.c), the GGUF type ids (io/ggml_types.c), the codecs
 * (formats/codecs.c) and the kernels (kernels/ref/fill.c and the per-ISA
 * fill functions). Adding a ggml type is one row here plus its functions
 * (formats/ggml_*.c: lq__codec_<name>; kernels: lq__ref_dot_<name>, and
 * dequant_<name> / dot_<name> in each SIMD level when the row says SIMD).
 *
 * The enum lq_type in include/lq/lq_types.h is pinned ABI and cannot include
 * this internal header, so it stays written out; type_info.c checks at
 * compile time that each row's value is the enum's and that the rows reach
 * LQ_TYPE_COUNT_. Rows are in enum order. */
#ifndef LQ_CORE_TYPE_LIST_H
#define LQ_CORE_TYPE_LIST_H

/* Plain numbers, one value per element.
 * X(ENUM, name, value, ggml_id or -1, bytes per element, flags) */
#define LQ__PLAIN_TYPES(X)                  \
    X(F32, f32, 0, 0, 4, LQ__T_FLOAT)       \
    X(F16, f16, 1, 1, 2, LQ__T_FLOAT)       \
    X(BF16, bf16, 2, 30, 2, LQ__T_FLOAT)    \
    X(F64, f64, 3, 28, 8, LQ__T_FLOAT)      \
    X(I8, i8, 4, 24, 1, 0)                  \
    X(U8, u8, 5, -1, 1, 0)                  \
    X(I16, i16, 6, 25, 2, 0)                \
    X(I32, i32, 7, 26, 4, 0)                \
    X(I64, i64, 8, 27, 8, 0)

/* Formats whose layout depends on the scheme's parameters (group, block,
 * scale type); `codec` names their shared codec, lq__codec_<codec>.
 * X(ENUM, name, value, code bits, codec) */
#define LQ__PARAM_TYPES(X)                   \
    X(INT8, int8, 16, 8, linear)             \
    X(INT4, int4, 17, 4, linear)             \
    X(INT3, int3, 18, 3, linear)             \
    X(INT2, int2, 19, 2, linear)             \
    X(NF4, nf4, 24, 4, bnb4)                 \
    X(FP4, fp4, 25, 4, bnb4)                 \
    X(FP8_E4M3, fp8_e4m3, 28, 8, fp8)        \
    X(FP8_E5M2, fp8_e5m2, 29, 8, fp8)

/* ggml block formats, stored as llama.cpp stores them (ids from ggml.h's enum
 * ggml_type, sizes from ggml-common.h). `act` is the activation format of
 * the row kernels (vec_dot's second operand). `kernels` says which levels
 * have row kernels: NONE (activation-side formats, no weight kernels), REF
 * (the scalar reference only), SIMD (the reference and every SIMD level's
 * dequant_<name> / dot_<name>). `fallback` is the type llama-quantize gives
 * a tensor whose rows are not a multiple of the block (methods/mixture.c;
 * the type itself when it has none of its own). `flags` LQ__T_IMATRIX: ggml
 * quantizes the type only with an importance matrix (ggml's
 * ggml_quantize_requires_imatrix), and so does lq__blocks_quantize.
 * X(ENUM, name, value, ggml_id, block elements, block bytes, code bits,
 *   flags, act, kernels, fallback) */
#define LQ__GGML_TYPES(X)                                                \
    X(Q4_0, q4_0, 32, 2, 32, 18, 4, 0, Q8_0, SIMD, Q4_0)                 \
    X(Q4_1, q4_1, 33, 3, 32, 20, 4, 0, Q8_1, SIMD, Q4_1)                 \
    X(Q5_0, q5_0, 34, 6, 32, 22, 5, 0, Q8_0, SIMD, Q5_0)                 \
    X(Q5_1, q5_1, 35, 7, 32, 24, 5, 0, Q8_1, SIMD, Q5_1)                 \
    X(Q8_0, q8_0, 36, 8, 32, 34, 8, 0, Q8_0, SIMD, Q8_0)                 \
    X(Q8_1, q8_1, 37, 9, 32, 36, 8, LQ__T_ACT_ONLY, Q8_1, NONE, Q8_1)    \
    X(Q2_K, q2_k, 38, 10, 256, 84, 2, 0, Q8_K, SIMD, Q4_0)               \
    X(Q3_K, q3_k, 39, 11, 256, 110, 3, 0, Q8_K, SIMD, Q4_0)              \
    X(Q4_K, q4_k, 40, 12, 256, 144, 4, 0, Q8_K, SIMD, Q5_0)              \
    X(Q5_K, q5_k, 41, 13, 256, 176, 5, 0, Q8_K, SIMD, Q5_1)              \
    X(Q6_K, q6_k, 42, 14, 256, 210, 6, 0, Q8_K, SIMD, Q8_0)              \
    X(Q8_K, q8_k, 43, 15, 256, 292, 8, LQ__T_ACT_ONLY, Q8_K, NONE, Q8_K) \
    X(IQ4_NL, iq4_nl, 44, 20, 32, 18, 4, 0, Q8_0, SIMD, IQ4_NL)          \
    X(IQ4_XS, iq4_xs, 45, 23, 256, 136, 4, 0, Q8_K, SIMD, IQ4_NL)        \
    X(TQ1_0, tq1_0, 46, 34, 256, 54, 2, 0, Q8_K, SIMD, Q4_0)             \
    X(TQ2_0, tq2_0, 47, 35, 256, 66, 2, 0, Q8_K, SIMD, Q4_0)             \
    X(MXFP4, mxfp4, 48, 39, 32, 17, 4, 0, Q8_0, SIMD, MXFP4)             \
    X(NVFP4, nvfp4, 49, 40, 64, 36, 4, 0, Q8_0, SIMD, NVFP4)             \
    X(IQ2_XXS, iq2_xxs, 50, 16, 256, 66, 2, LQ__T_IMATRIX, Q8_K, SIMD, IQ4_NL) \
    X(IQ2_XS, iq2_xs, 51, 17, 256, 74, 2, LQ__T_IMATRIX, Q8_K, SIMD, IQ4_NL)   \
    X(IQ2_S, iq2_s, 52, 22, 256, 82, 2, 0, Q8_K, SIMD, IQ4_NL)                 \
    X(IQ3_XXS, iq3_xxs, 53, 18, 256, 98, 3, 0, Q8_K, SIMD, IQ4_NL)             \
    X(IQ3_S, iq3_s, 54, 21, 256, 110, 3, 0, Q8_K, SIMD, IQ4_NL)             \
    X(IQ1_S, iq1_s, 55, 19, 256, 50, 1, LQ__T_IMATRIX, Q8_K, SIMD, IQ4_NL)  \
    X(IQ1_M, iq1_m, 56, 29, 256, 56, 1, 0, Q8_K, SIMD, IQ4_NL)

/* ggml types GGUF files may hold that libquant has no lq_type for: their
 * tensors are sized and checked, not decoded. Supporting one moves its row
 * to LQ__GGML_TYPES. Ids GGUF never defined or removed: 4, 5, 31-33, 36-38.
 * X(name, ggml_id, block elements, block bytes) */
#define LQ__GGML_FOREIGN_TYPES(X)   \
    X(q1_0, 41, 128, 18)            \
    X(q2_0, 42, 64, 18)

/* LQ__IF_KERNELS_<level>_<kernels>(code): `code` when a row's `kernels`
 * column gives it kernels at that level, nothing otherwise. */
#define LQ__IF_KERNELS_REF_NONE(...)
#define LQ__IF_KERNELS_REF_REF(...) __VA_ARGS__
#define LQ__IF_KERNELS_REF_SIMD(...) __VA_ARGS__
#define LQ__IF_KERNELS_SIMD_NONE(...)
#define LQ__IF_KERNELS_SIMD_REF(...)
#define LQ__IF_KERNELS_SIMD_SIMD(...) __VA_ARGS__

#endif
