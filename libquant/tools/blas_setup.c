/* blas_setup.c — give OpenBLAS the kernels this CPU can run.
 *
 * OpenBLAS picks its kernel family when it loads, from the CPU model; a
 * release older than the CPU falls back to "Prescott" (SSE3) kernels, about
 * a third to a fifth of the speed (Debian 12's 0.3.21 on recent Xeons: see
 * doc/benchmarks.md). Only the environment variable OPENBLAS_CORETYPE,
 * read at load time, overrides the choice. So when it is unset, OpenBLAS has
 * fallen back, and libquant found AVX2 or AVX-512, the lq tool sets it and
 * runs itself again, once. Programs linking libquant can do the same or set
 * the variable themselves. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const char *blas_core(void)
{
    char *(*core)(void) = NULL;
    void *sym = dlsym(RTLD_DEFAULT, "openblas_get_corename");
    memcpy(&core, &sym, sizeof sym); /* POSIX: a data pointer may hold a function */
    return core ? core() : NULL;
}

const char *lq_tool_blas_core(void)
{
    const char *core = blas_core();
    return core ? core : "unknown";
}

void lq_tool_blas_setup(char **argv)
{
    const char *core = blas_core();
    if (getenv("OPENBLAS_CORETYPE") || !core || strcmp(core, "Prescott") != 0)
        return;
    const char *info = lq_build_info();
    const char *family = strstr(info, "selected=avx512") ? "SkylakeX"
                         : strstr(info, "selected=avx2") ? "Haswell" : NULL;
    if (!family)
        return;
    setenv("OPENBLAS_CORETYPE", family, 1);
    execv("/proc/self/exe", argv); /* returns only on failure: then run as we are */
    unsetenv("OPENBLAS_CORETYPE");
}
