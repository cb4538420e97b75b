/* ftype_list.h — the llama.cpp file types libquant writes, one row each
 * (internal X-macro list). The ids are llama.h's enum llama_ftype and go into
 * GGUF's general.file_type; the default type is what llama-quantize gives a
 * tensor no rule of methods/mixture.c chooses otherwise.
 *
 * Expanded by methods/mixture.c (id, name and default type), the scheme
 * grammar (core/scheme_parse.c: a row whose name is neither its default
 * type's nor any type's, "q4_k_m", is a mixture name; "iq2_s" stays the type
 * there while IQ2_S is also a file type whose default is IQ2_XS), and the lists
 * of names in messages and help texts. The row order is the order those lists print.
 *
 * X(NAME, name, llama_ftype id, default lq_type ENUM) */
#ifndef LQ_CORE_FTYPE_LIST_H
#define LQ_CORE_FTYPE_LIST_H

#define LQ__FTYPES(X)                  \
    X(F32, f32, 0, F32)                \
    X(F16, f16, 1, F16)                \
    X(BF16, bf16, 32, BF16)            \
    X(Q4_0, q4_0, 2, Q4_0)             \
    X(Q4_1, q4_1, 3, Q4_1)             \
    X(Q5_0, q5_0, 8, Q5_0)             \
    X(Q5_1, q5_1, 9, Q5_1)             \
    X(Q8_0, q8_0, 7, Q8_0)             \
    X(Q2_K, q2_k, 10, Q2_K)            \
    X(Q2_K_S, q2_k_s, 21, Q2_K)        \
    X(Q3_K_S, q3_k_s, 11, Q3_K)        \
    X(Q3_K_M, q3_k_m, 12, Q3_K)        \
    X(Q3_K_L, q3_k_l, 13, Q3_K)        \
    X(Q4_K_S, q4_k_s, 14, Q4_K)        \
    X(Q4_K_M, q4_k_m, 15, Q4_K)        \
    X(Q5_K_S, q5_k_s, 16, Q5_K)        \
    X(Q5_K_M, q5_k_m, 17, Q5_K)        \
    X(Q6_K, q6_k, 18, Q6_K)            \
    X(IQ4_NL, iq4_nl, 25, IQ4_NL)      \
    X(IQ4_XS, iq4_xs, 30, IQ4_XS)      \
    X(IQ2_XXS, iq2_xxs, 19, IQ2_XXS)   \
    X(IQ2_XS, iq2_xs, 20, IQ2_XS)      \
    X(IQ2_S, iq2_s, 28, IQ2_XS)        \
    X(IQ2_M, iq2_m, 29, IQ2_S)         \
    X(IQ3_XXS, iq3_xxs, 23, IQ3_XXS)   \
    X(IQ3_XS, iq3_xs, 22, IQ3_S)       \
    X(IQ3_S, iq3_s, 26, IQ3_S)         \
    X(IQ3_M, iq3_m, 27, IQ3_S)         \
    X(IQ1_S, iq1_s, 24, IQ1_S)         \
    X(IQ1_M, iq1_m, 31, IQ1_M)         \
    X(TQ1_0, tq1_0, 36, TQ1_0)         \
    X(TQ2_0, tq2_0, 37, TQ2_0)         \
    X(MXFP4_MOE, mxfp4_moe, 38, MXFP4)

/* The names as one string literal, each preceded by ", ":
 * LQ__FTYPES(LQ__FTYPE_COMMA_NAME) + 2 is "F32, F16, ..., IQ4_XS". */
#define LQ__FTYPE_COMMA_NAME(N, n, id, t) ", " #N

#endif
