/* oracle.h — where the tests find llama.cpp, and what happens when it is not
 * there.
 *
 * The oracle (node-llama-cpp's prebuilt llama.cpp, and the npm packages next
 * to it) lives in one folder: $LQ_ORACLE_DIR, else ~/.cache/libquant/npm,
 * exactly as .ci/install-deps installs it. Every C test that compares with
 * llama.cpp finds it through lqt_oracle_path; the shell and node scripts read
 * the same variable with the same default.
 *
 * Without the oracle a comparison skips, saying why. With LQ_REQUIRE_ORACLE
 * set (to anything but "" or "0"; .ci/run sets it) the oracle was meant to be
 * there, so the same skip is a failure. */
#ifndef LQ_TESTS_ORACLE_H
#define LQ_TESTS_ORACLE_H

#include "harness.h"

/* The ggml and llama libraries inside the oracle folder. */
#define LQT_ORACLE_BINS "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/"
#define LQT_ORACLE_GGML_BASE LQT_ORACLE_BINS "libggml-base.so"
#define LQT_ORACLE_LLAMA LQT_ORACLE_BINS "libllama.v0.5.0.so"

/* `relative` inside the oracle folder (a static buffer, one of four in turn). */
static inline const char *lqt_oracle_path(const char *relative)
{
    static char buf[4][1024];
    static int next;
    char *p = buf[next++ % 4];
    const char *dir = getenv("LQ_ORACLE_DIR");
    const char *home = getenv("HOME");
    if (dir && *dir)
        snprintf(p, sizeof buf[0], "%s/%s", dir, relative);
    else
        snprintf(p, sizeof buf[0], "%s/.cache/libquant/npm/%s", home ? home : "", relative);
    return p;
}

static inline int lqt_oracle_required(void)
{
    const char *v = getenv("LQ_REQUIRE_ORACLE");
    return v && *v && strcmp(v, "0") != 0;
}

/* The running case cannot compare with the oracle: skip it, or fail when the
 * oracle is required. The case returns after this. */
#define ORACLE_SKIP_CASE(...)                                                  \
    do {                                                                       \
        if (lqt_oracle_required()) {                                           \
            LQT_FAIL_("the llama.cpp oracle is required (LQ_REQUIRE_ORACLE) " \
                      "but the comparison cannot run:");                       \
            fprintf(stdout, "#   ");                                           \
            fprintf(stdout, __VA_ARGS__);                                      \
            fputc('\n', stdout);                                               \
        } else {                                                               \
            SKIP_CASE(__VA_ARGS__);                                            \
        }                                                                      \
    } while (0)

/* The whole program needs the oracle and it is missing: skip everything, or
 * report one failed test when it is required. Call before anything is printed. */
#define lqt_oracle_skip_all(...)                                               \
    do {                                                                       \
        if (lqt_oracle_required()) {                                           \
            printf("1..1\n# the llama.cpp oracle is required (LQ_REQUIRE_ORACLE): "); \
            printf(__VA_ARGS__);                                               \
            printf("\nnot ok 1 - llama.cpp oracle\n");                         \
            exit(1);                                                           \
        }                                                                      \
        lqt_skip_all(__VA_ARGS__);                                             \
    } while (0)

/* Is the GGUF at `path` a float model (general.file_type ALL_F32 or
 * MOSTLY_F16), which llama-quantize quantizes without --allow-requantize? The
 * Hugging Face fixtures' NVFP4 conversions (f32 outtype, NVFP4 weights) are
 * not: llama.cpp and libquant both refuse to requantize them. */
#include <lq/lq_io.h>
static inline int lqt_float_gguf(const char *path)
{
    lq_gguf *g = NULL;
    uint32_t ft = 99;
    if (lq_gguf_open(path, &g) == LQ_OK)
        lq_gguf_get_u32(g, "general.file_type", &ft);
    lq_gguf_free(g);
    return ft <= 1;
}

#endif
