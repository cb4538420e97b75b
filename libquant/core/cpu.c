/* cpu.c — CPU feature detection and the LQ_ARCH override. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif

#include "cpu.h"

static const char *const arch_names[LQ__ARCH_COUNT] = {"ref", "avx2", "avx512", "neon"};

const char *lq__arch_name(lq__arch arch)
{
    return (unsigned)arch < LQ__ARCH_COUNT ? arch_names[arch] : "?";
}

int lq__arch_compiled(lq__arch arch)
{
    switch (arch) {
    case LQ__ARCH_REF: return 1;
#ifdef LQ_HAVE_AVX2
    case LQ__ARCH_AVX2: return 1;
#endif
#ifdef LQ_HAVE_AVX512
    case LQ__ARCH_AVX512: return 1;
#endif
#ifdef LQ_HAVE_NEON
    case LQ__ARCH_NEON: return 1;
#endif
    default: return 0;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
/* CPUID leaf 1, ECX bit 29 (clang 14 has no __builtin_cpu_supports("f16c")) */
static int has_f16c(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29));
}
#endif

int lq__arch_supported(lq__arch arch)
{
    switch (arch) {
    case LQ__ARCH_REF: return 1;
#if defined(__x86_64__) && defined(__GNUC__)
    case LQ__ARCH_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c();
    case LQ__ARCH_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && lq__arch_supported(LQ__ARCH_AVX2);
#endif
#if defined(__aarch64__)
    case LQ__ARCH_NEON: return 1;
#endif
    default: return 0;
    }
}

int lq__cpu_has_vnni(void)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    return __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

int lq__cpu_has_dotprod(void)
{
#if defined(__aarch64__) && defined(__linux__) && defined(HWCAP_ASIMDDP)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
    return 0;
#endif
}

static lq__arch selected = LQ__ARCH_REF;
static char note[96];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int usable(lq__arch a)
{
    return lq__arch_compiled(a) && lq__arch_supported(a);
}

static void select_arch(void)
{
    for (int a = LQ__ARCH_COUNT - 1; a >= 0; a--) {
        if (usable((lq__arch)a)) {
            selected = (lq__arch)a;
            break;
        }
    }
    const char *want = getenv("LQ_ARCH");
    if (!want || !*want)
        return;
    for (int a = 0; a < LQ__ARCH_COUNT; a++) {
        if (strcmp(want, arch_names[a]) == 0) {
            if (usable((lq__arch)a))
                selected = (lq__arch)a;
            else
                snprintf(note, sizeof note, "LQ_ARCH=%s unavailable (%s)", want,
                         lq__arch_compiled((lq__arch)a) ? "CPU lacks it" : "not compiled in");
            return;
        }
    }
    snprintf(note, sizeof note, "LQ_ARCH=%.32s unknown", want);
}

lq__arch lq__arch_selected(void)
{
    pthread_once(&once, select_arch);
    return selected;
}

const char *lq__arch_note(void)
{
    pthread_once(&once, select_arch);
    return note;
}
