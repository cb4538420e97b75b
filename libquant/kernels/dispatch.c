/* dispatch.c — one kernel table per instruction-set level, built once: the
 * reference first, then each level the table may use, lowest first. */
#include <pthread.h>

#include "../core/type_info.h"
#include "kernels.h"
#include "vexp.h"

static lq__kernels tables[LQ__ARCH_COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;

int lq__kernels_build(lq__kernels *k, lq__arch arch, int optional)
{
    if ((unsigned)arch >= LQ__ARCH_COUNT || !lq__arch_compiled(arch) || !lq__arch_supported(arch))
        return 0;
    lq__f16_table_init();
    k->arch = arch;
    lq__kernels_fill_ref(k);
#ifdef LQ_HAVE_AVX2
    if (arch == LQ__ARCH_AVX2 || arch == LQ__ARCH_AVX512)
        lq__kernels_fill_avx2(k);
#endif
#ifdef LQ_HAVE_AVX512
    if (arch == LQ__ARCH_AVX512) {
        lq__kernels_fill_avx512(k);
        if (optional && lq__cpu_has_vnni())
            lq__kernels_fill_avx512_vnni(k);
    }
#endif
#ifdef LQ_HAVE_NEON
    if (arch == LQ__ARCH_NEON)
        lq__kernels_fill_neon(k, optional && lq__cpu_has_dotprod());
#endif
    (void)optional;
    return 1;
}

/* Which tables exist, decided once: the CPU checks execute cpuid, which
 * traps to the hypervisor under KVM, too slow to repeat on every product. */
static int built[LQ__ARCH_COUNT];

static void build(void)
{
    for (int a = 0; a < LQ__ARCH_COUNT; a++)
        built[a] = lq__kernels_build(&tables[a], (lq__arch)a, 1);
}

const lq__kernels *lq__kernels_for(lq__arch arch)
{
    if ((unsigned)arch >= LQ__ARCH_COUNT)
        return NULL;
    pthread_once(&once, build);
    return built[arch] ? &tables[arch] : NULL;
}

const lq__kernels *lq__kernels_get(void)
{
    return lq__kernels_for(lq__arch_selected());
}

void lq__dequant_row_f16(const lq__kernels *k, lq_type type, const void *x, uint16_t *y,
                         int64_t n)
{
    /* 256 elements: a whole number of blocks of every type */
    enum { PIECE = 256 };
    const lq__type_info *ti = lq__type(type);
    int64_t piece_bytes = ti->flags & LQ__T_GGML ? PIECE / ti->block_elems * ti->block_bytes
                                                 : PIECE * ti->elem_bytes;
    float buf[PIECE];
    const uint8_t *p = x;
    for (int64_t i = 0; i < n; i += PIECE, p += piece_bytes) {
        int64_t len = n - i < PIECE ? n - i : PIECE;
        k->t[type].dequant(p, buf, len);
        k->to_f16(buf, y + i, len);
    }
}

void lq__exp_f32(float *x, int64_t n)
{
    lq__kernels_get()->exp_f32(x, n);
}
