/* ggml_iq3_lattice.h — the search tables of the IQ3 quantizers (internal).
 *
 * ggml's IQ3 search rounds each group of four magnitudes to levels 0..7
 * (odd values 2l + 1 on the search's scale) and looks the four levels up as
 * a 12-bit code (3 bits per value, value i at bit 3i). A code that is a grid
 * point maps to its index; any other code maps to a list of candidate grid
 * points: those at the `rings` smallest squared distances from it (2 for the
 * 256-point grid, 3 for the 512-point one), by distance and then index, the
 * order in which ggml tries them. Built once per grid from the grid itself
 * (ggml_iq3_lattice.c). */
#ifndef LQ_FORMATS_GGML_IQ3_LATTICE_H
#define LQ_FORMATS_GGML_IQ3_LATTICE_H

#include <stdint.h>

#define LQ__IQ3_CODES 4096
/* Room for every grid's lists, counts included (the 512-point grid needs the
 * most, 28317 entries): lq__iq3_lattice_for never writes past it, and
 * tests/ggml/test_ggml_oracle checks that no list was cut. */
#define LQ__IQ3_LIST_CAP 32768

typedef struct {
    int size;                          /* grid points: 256 or 512 */
    int8_t point[512][4];              /* point k's values 2l + 1 */
    int32_t map[LQ__IQ3_CODES];        /* >= 0: grid index; else -1 - start of its list */
    uint16_t lists[LQ__IQ3_LIST_CAP];  /* at each start: n, then n grid indices */
    int list_len;                      /* entries of `lists` in use */
    int cut;                           /* 1 when a list did not fit (never, for ggml's grids) */
} lq__iq3_lattice;

/* The tables of the 256-point (IQ3_XXS) or 512-point (IQ3_S) grid, built on
 * first use; thread-safe. */
const lq__iq3_lattice *lq__iq3_lattice_for(int grid_size);

#endif
