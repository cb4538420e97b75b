/* version.c — run-time versions and build information. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <lq/lq_core.h>

#include "cpu.h"

unsigned lq_version_number(void) { return LQ_VERSION_NUMBER; }
const char *lq_version_string(void) { return LQ_VERSION_STRING; }

#if defined(__clang__)
#define LQ__COMPILER "clang-" __clang_version__
#elif defined(__GNUC__)
#define LQ__COMPILER "gcc-" __VERSION__
#else
#define LQ__COMPILER "unknown"
#endif

#ifndef LQ_BLAS_NAME
#define LQ_BLAS_NAME "none"
#endif

static char info[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void make_info(void)
{
    char simd[64] = "";
    for (int a = 0; a < LQ__ARCH_COUNT; a++) {
        if (!lq__arch_compiled((lq__arch)a))
            continue;
        if (*simd)
            strcat(simd, ",");
        strcat(simd, lq__arch_name((lq__arch)a));
    }
    char compiler[64];
    snprintf(compiler, sizeof compiler, "%s", LQ__COMPILER);
    for (char *c = compiler; *c; c++) /* keep the line "key=value key=value" */
        if (*c == ' ')
            *c = '_';
    const char *note = lq__arch_note();
    snprintf(info, sizeof info, "version=%s compiler=%s simd=%s selected=%s%s%s%s blas=%s",
             LQ_VERSION_STRING, compiler, simd, lq__arch_name(lq__arch_selected()),
             *note ? " note=\"" : "", note, *note ? "\"" : "", LQ_BLAS_NAME);
}

const char *lq_build_info(void)
{
    pthread_once(&once, make_info);
    return info;
}
