/* ggml_cases.h — what the ggml tests share: the block types, the golden
 * directory, reading raw files, and comparing bytes and float bits. */
#ifndef LQ_TESTS_GGML_CASES_H
#define LQ_TESTS_GGML_CASES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lq/lq.h>

typedef struct {
    lq_type type;
    const char *file;   /* name in the golden files and in ggml's symbols */
    int block, bytes;   /* elements and bytes per block */
    int weight;         /* 1: a weight format (lq_quantize); 0: activation side */
    int golden;         /* 1: shared/golden/ggml has its vectors (test_ggml_golden) */
    int lattice;        /* 1: ggml's search aborts on values near 1e13 (test_ggml_oracle) */
} ggml_case;

static const ggml_case ggml_cases[] = {
    {LQ_TYPE_Q4_0, "q4_0", 32, 18, 1, 1, 0},     {LQ_TYPE_Q4_1, "q4_1", 32, 20, 1, 1, 0},
    {LQ_TYPE_Q5_0, "q5_0", 32, 22, 1, 1, 0},     {LQ_TYPE_Q5_1, "q5_1", 32, 24, 1, 1, 0},
    {LQ_TYPE_Q8_0, "q8_0", 32, 34, 1, 1, 0},     {LQ_TYPE_Q2_K, "q2_K", 256, 84, 1, 1, 0},
    {LQ_TYPE_Q3_K, "q3_K", 256, 110, 1, 1, 0},   {LQ_TYPE_Q4_K, "q4_K", 256, 144, 1, 1, 0},
    {LQ_TYPE_Q5_K, "q5_K", 256, 176, 1, 1, 0},   {LQ_TYPE_Q6_K, "q6_K", 256, 210, 1, 1, 0},
    {LQ_TYPE_IQ4_NL, "iq4_nl", 32, 18, 1, 1, 0}, {LQ_TYPE_IQ4_XS, "iq4_xs", 256, 136, 1, 1, 0},
    {LQ_TYPE_TQ1_0, "tq1_0", 256, 54, 1, 0, 0},  {LQ_TYPE_TQ2_0, "tq2_0", 256, 66, 1, 0, 0},
    {LQ_TYPE_MXFP4, "mxfp4", 32, 17, 1, 0, 0},   {LQ_TYPE_NVFP4, "nvfp4", 64, 36, 1, 0, 0},
    {LQ_TYPE_IQ2_XXS, "iq2_xxs", 256, 66, 1, 0, 1}, {LQ_TYPE_IQ2_XS, "iq2_xs", 256, 74, 1, 0, 1},
    {LQ_TYPE_IQ2_S, "iq2_s", 256, 82, 1, 0, 1},
    {LQ_TYPE_IQ3_XXS, "iq3_xxs", 256, 98, 1, 0, 1}, {LQ_TYPE_IQ3_S, "iq3_s", 256, 110, 1, 0, 1},
    {LQ_TYPE_IQ1_S, "iq1_s", 256, 50, 1, 0, 1}, {LQ_TYPE_IQ1_M, "iq1_m", 256, 56, 1, 0, 1},
    {LQ_TYPE_Q8_1, "q8_1", 32, 36, 0, 0, 0},     {LQ_TYPE_Q8_K, "q8_K", 256, 292, 0, 0, 0},
};
#define GGML_NCASES ((int)(sizeof ggml_cases / sizeof ggml_cases[0]))

/* $LQ_SHARED/golden/ggml, else $LQ_SOURCE_ROOT/../shared/golden/ggml. */
static inline const char *golden_dir(void)
{
    static char dir[1024];
    if (!dir[0]) {
        const char *shared = getenv("LQ_SHARED");
        const char *root = getenv("LQ_SOURCE_ROOT");
        if (shared && *shared)
            snprintf(dir, sizeof dir, "%s/golden/ggml", shared);
        else
            snprintf(dir, sizeof dir, "%s/../shared/golden/ggml", root && *root ? root : ".");
    }
    return dir;
}

/* The whole file golden_dir()/name (malloc'd, *size set), or NULL. */
static inline void *read_golden(const char *name, size_t *size)
{
    char path[1280];
    snprintf(path, sizeof path, "%s/%s", golden_dir(), name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("# cannot open %s\n", path);
        return NULL;
    }
    void *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    if (buf)
        *size = (size_t)n;
    return buf;
}

/* Index of the first differing byte, or -1. */
static inline long first_diff(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (size_t i = 0; i < n; i++)
        if (p[i] != q[i])
            return (long)i;
    return -1;
}

#endif
