/* iq_sign_masks.h — the 7-bit sign fields of the lattice types as byte
 * masks, for the SIMD kernels (internal).
 *
 * lq__iq_even_sign_mask[f] has byte i 0xFF where bit i of f's sign byte is
 * set, 0 elsewhere, the sign byte being f with an eighth bit, the parity of
 * the seven (formats/ggml_grids_iq3_iq1.h, lq__iq_signs): one load spreads a
 * field to eight lanes. The table is written out by the preprocessor from
 * that definition (128 constant expressions), so each kernel level has it
 * as a constant without an initializer to run. */
#ifndef LQ_KERNELS_IQ_SIGN_MASKS_H
#define LQ_KERNELS_IQ_SIGN_MASKS_H

#include <stdint.h>

#define LQ__SM_BYTE(b, i) ((((b) >> (i)) & 1ULL) * (0xFFULL << (8 * (i))))
#define LQ__SM(b)                                                                         \
    (LQ__SM_BYTE(b, 0) | LQ__SM_BYTE(b, 1) | LQ__SM_BYTE(b, 2) | LQ__SM_BYTE(b, 3) |     \
     LQ__SM_BYTE(b, 4) | LQ__SM_BYTE(b, 5) | LQ__SM_BYTE(b, 6) | LQ__SM_BYTE(b, 7))
#define LQ__SM_PARITY7(b) \
    (((b) ^ (b) >> 1 ^ (b) >> 2 ^ (b) >> 3 ^ (b) >> 4 ^ (b) >> 5 ^ (b) >> 6) & 1)
#define LQ__SM_EVEN(b) LQ__SM((b) | LQ__SM_PARITY7(b) << 7)
#define LQ__SME4(b) LQ__SM_EVEN(b), LQ__SM_EVEN((b) + 1), LQ__SM_EVEN((b) + 2), LQ__SM_EVEN((b) + 3)
#define LQ__SME16(b) LQ__SME4(b), LQ__SME4((b) + 4), LQ__SME4((b) + 8), LQ__SME4((b) + 12)
#define LQ__SME64(b) LQ__SME16(b), LQ__SME16((b) + 16), LQ__SME16((b) + 32), LQ__SME16((b) + 48)

static const uint64_t lq__iq_even_sign_mask[128] = {LQ__SME64(0), LQ__SME64(64)};

#undef LQ__SME64
#undef LQ__SME16
#undef LQ__SME4
#undef LQ__SM_EVEN
#undef LQ__SM_PARITY7
#undef LQ__SM
#undef LQ__SM_BYTE

#endif
