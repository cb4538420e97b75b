/* cpu.h — which SIMD path runs (internal). Detected once; LQ_ARCH=ref|avx2|
 * avx512|neon forces a level for testing. */
#ifndef LQ_CORE_CPU_H
#define LQ_CORE_CPU_H

typedef enum lq__arch {
    LQ__ARCH_REF = 0,
    LQ__ARCH_AVX2 = 1,   /* AVX2 + FMA + F16C */
    LQ__ARCH_AVX512 = 2, /* AVX-512 F/BW/VL (+VNNI when lq__cpu_has_vnni) */
    LQ__ARCH_NEON = 3,   /* aarch64 NEON (+dotprod when lq__cpu_has_dotprod) */
    LQ__ARCH_COUNT
} lq__arch;

/* The level selected for this process (thread-safe, computed once). */
lq__arch lq__arch_selected(void);
const char *lq__arch_name(lq__arch arch);
/* Whether the CPU runs a level and whether this build compiled it in. */
int lq__arch_supported(lq__arch arch);
int lq__arch_compiled(lq__arch arch);
int lq__cpu_has_vnni(void);
int lq__cpu_has_dotprod(void);
/* Text describing a refused LQ_ARCH request, or "" (for build info). */
const char *lq__arch_note(void);

#endif
